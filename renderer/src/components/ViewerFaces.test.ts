import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
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

  it('draws a face box by hand: dragged over the photo, given to the engine in fractions, and the lists reload', async () => {
    const backend = fakeBackend({ 'faces.ofPhoto': () => [], 'faces.draw': () => ({ id: 9, recognised: true }) });
    const app = new AppStore(backend.transport);
    let drawn = 0;
    render(Harness, { props: { app, component: ViewerFaces, props: { id: 42, width: 4000, height: 3000, drawing: true, onDrawn: () => drawn++ } } });
    const svg = await screen.findByTestId('viewer-faces');
    // Without layout (jsdom) client coordinates are the photo's pixels.
    await fireEvent.pointerDown(svg, { clientX: 400, clientY: 300 });
    await fireEvent.pointerMove(svg, { clientX: 800, clientY: 700 });
    expect(screen.getByTestId('viewer-face-draft').getAttribute('width')).toBe('400');
    await fireEvent.pointerUp(svg);
    await waitFor(() => expect(drawn).toBe(1));
    const [args] = backend.callsOf('faces.draw');
    expect(args).toMatchObject({ photoId: 42, personId: null });
    expect(args!.box.x).toBeCloseTo(0.1, 6);
    expect(args!.box.y).toBeCloseTo(0.1, 6);
    expect(args!.box.w).toBeCloseTo(0.1, 6);
    expect(args!.box.h).toBeCloseTo(400 / 3000, 6);
    // A click without a drag is not a face.
    await fireEvent.pointerDown(svg, { clientX: 10, clientY: 10 });
    await fireEvent.pointerUp(svg);
    expect(backend.callsOf('faces.draw')).toHaveLength(1);
  });
});
