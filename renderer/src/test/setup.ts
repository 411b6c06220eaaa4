/**
 * jsdom has no layout: elements measure 0×0. Components that size themselves from clientWidth /
 * clientHeight (the grid, the map) read these instead; tests can change them.
 */
export const viewport = { width: 1200, height: 800 };

Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
  configurable: true,
  get() {
    return viewport.width;
  },
});
Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
  configurable: true,
  get() {
    return viewport.height;
  },
});

// The viewer preloads images with `new Image()`; jsdom never loads them, which is what we want.
