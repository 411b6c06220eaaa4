import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { vi } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend, type Handlers } from './fake-api.js';
import Harness from './Harness.svelte';

/**
 * Mounts a viewer panel (a component taking the photo `id`) with an app on a fake backend, and a
 * way to step to another photo as the viewer does.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any panel component: this is a test mount
export function mountPanel(component: Component<any>, handlers: Handlers = {}, id = 7) {
  const backend = fakeBackend(handlers);
  const app = new AppStore(backend.transport);
  const view = render(Harness, { props: { app, component, props: { id } } });
  return {
    backend,
    app,
    showPhoto: async (next: number) => {
      // Harness has a prop named `props`, which rerender reads as its old `{ props }` form (and
      // warns about): so use that form on purpose, without the warning.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        await view.rerender({ props: { app, component, props: { id: next } } });
      } finally {
        warn.mockRestore();
      }
    },
  };
}
