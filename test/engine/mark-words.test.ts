import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractMarks } from '../../main/engine/search/mark-words.js';

/** The search box's words for hearts and stars (search/mark-words.ts): what becomes a chip, and what stays a word. */
describe('favourite and star words in a query', () => {
  const read = (query: string) => {
    const { text, chips } = extractMarks(query);
    return { text, chips: chips.map((chip) => (chip.kind === 'rating' ? `rating ${chip.min}` : chip.kind)) };
  };

  it('takes favourites and star ratings out of the words', () => {
    assert.deepEqual(read('my favourites'), { text: '', chips: ['favourite'] });
    assert.deepEqual(read('favorite beach photos'), { text: 'beach photos', chips: ['favourite'] });
    assert.deepEqual(read('beach 5 stars'), { text: 'beach', chips: ['rating 5'] });
    assert.deepEqual(read('3+ stars sunsets'), { text: 'sunsets', chips: ['rating 3'] });
    assert.deepEqual(read('four stars or more'), { text: '', chips: ['rating 4'] });
    assert.deepEqual(read('rated 2 dogs'), { text: 'dogs', chips: ['rating 2'] });
    assert.deepEqual(read('★★★★ cats'), { text: 'cats', chips: ['rating 4'] });
    assert.deepEqual(read('收藏 海边'), { text: '海边', chips: ['favourite'] });
    assert.deepEqual(read('四颗星 猫'), { text: '猫', chips: ['rating 4'] });
  });

  it('leaves words that only look like marks', () => {
    for (const query of ['a 5-star hotel', 'five star hotel lobby', '五星酒店', 'starfish on the beach', 'stars at night', '6 stars', 'the lovers']) {
      assert.deepEqual(read(query), { text: query, chips: [] }, query);
    }
  });
});
