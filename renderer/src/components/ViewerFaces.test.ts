import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ViewerFaces from './ViewerFaces.svelte';

describe('face boxes in the viewer', () => {
  it("draws each face where it is in the photo's own coordinates, with its person's name", async () => {
    const backend = fakeBackend({
      'faces.ofPhoto': () => [
        { id: 5, box: { x: 0.1, y: 0.2, w: 0.25, h: 0.3 }, score: 0.9, personId: 3, personName: 'Anna', manual: false },
        { id: 6, box: { x: 0.6, y: 0.2, w: 0.2, h: 0.3 }, score: 0.8, personId: null, personName: null, manual: false },
      ],
    });
    const app = new AppStore(backend.transport);
    render(Harness, { props: { app, component: ViewerFaces, props: { id: 42, width: 4000, height: 3000 } } });
    const svg = await screen.findByTestId('viewer-faces');
    expect(svg.getAttribute('viewBox')).toBe('0 0 4000 3000');
    const boxes = screen.getAllByTestId('viewer-face');
    expect(boxes.map((box) => box.querySelector('rect')!.getAttribute('x'))).toEqual(['400', '2400']);
    expect(boxes[0]!.querySelector('rect')!.getAttribute('width')).toBe('1000');
    expect(boxes[0]!.textContent).toBe('Anna');
    expect(boxes[1]!.querySelector('text')).toBeNull();
    expect(backend.callsOf('faces.ofPhoto')).toEqual([{ photoId: 42 }]);
  });
});
