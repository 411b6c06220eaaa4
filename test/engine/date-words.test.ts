import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chipRange, extractDates } from '../../main/engine/search/date-words.js';

/** Date words in a query become capture-date chips (issue 19); "now" is fixed: Monday 7 December 2026. */
const now = new Date(2026, 11, 7, 15);
const chips = (query: string) => extractDates(query, now);

describe('date words in a search query', () => {
  it('years, months and ISO months', () => {
    assert.deepEqual(chips('red car 2020'), { text: 'red car', chips: [{ label: '2020', after: '2020-01-01', before: '2021-01-01' }] });
    assert.deepEqual(chips('beach June 2019').chips, [{ label: 'June 2019', after: '2019-06-01', before: '2019-07-01' }]);
    assert.deepEqual(chips('beach dec 2019').chips, [{ label: 'dec 2019', after: '2019-12-01', before: '2020-01-01' }]);
    assert.deepEqual(chips('snow 2019-12').chips, [{ label: '2019-12', after: '2019-12-01', before: '2020-01-01' }]);
  });

  it('relative words count from now: last summer is the last one that has ended; winter spans the new year', () => {
    assert.deepEqual(chips('a dog last summer').chips[0], { label: 'last summer', after: '2026-06-01', before: '2026-09-01' });
    assert.deepEqual(extractDates('a dog last summer', new Date(2026, 6, 1)).chips[0], { label: 'last summer', after: '2025-06-01', before: '2025-09-01' });
    assert.deepEqual(chips('snow last winter').chips[0], { label: 'last winter', after: '2025-12-01', before: '2026-03-01' });
    assert.deepEqual(chips('party last year').chips[0], { label: 'last year', after: '2025-01-01', before: '2026-01-01' });
    assert.deepEqual(chips('cake last month').chips[0], { label: 'last month', after: '2026-11-01', before: '2026-12-01' });
    assert.deepEqual(chips('walk last week').chips[0], { label: 'last week', after: '2026-11-30', before: '2026-12-07' });
    assert.deepEqual(chips('sunset yesterday').chips[0], { label: 'yesterday', after: '2026-12-06', before: '2026-12-07' });
  });

  it('Chinese date words', () => {
    assert.deepEqual(chips('去年夏天的海边'), { text: '海边', chips: [{ label: '去年夏天', after: '2025-06-01', before: '2025-09-01' }] });
    assert.deepEqual(chips('2019年6月 海边').chips[0], { label: '2019年6月', after: '2019-06-01', before: '2019-07-01' });
    assert.deepEqual(chips('猫 2018年').chips[0], { label: '2018年', after: '2018-01-01', before: '2019-01-01' });
    assert.deepEqual(chips('猫 去年').chips[0], { label: '去年', after: '2025-01-01', before: '2026-01-01' });
    assert.deepEqual(chips('上个月 生日').chips[0], { label: '上个月', after: '2026-11-01', before: '2026-12-01' });
    assert.deepEqual(chips('昨天 日落').chips[0], { label: '昨天', after: '2026-12-06', before: '2026-12-07' });
  });

  it('leaves a query that is only a date, and numbers that are not years, as words', () => {
    assert.deepEqual(chips('2019'), { text: '2019', chips: [] });
    assert.deepEqual(chips('route 66 and 3000 people'), { text: 'route 66 and 3000 people', chips: [] });
    assert.deepEqual(chips('IMG_2019_0042').chips, []);
  });

  it('several chips narrow to what they all allow', () => {
    const both = chips('beach 2019 june 2019');
    assert.deepEqual(chipRange(both.chips), { after: '2019-06-01', before: '2019-07-01' });
    assert.equal(chipRange([]), undefined);
  });
});
