import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend, libraryStatus } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import LibraryView from './LibraryView.svelte';

describe('LibraryView, first run', () => {
  it('says what Iris can do once its models are there, and offers the search model before any search fails', async () => {
    const backend = fakeBackend({ 'library.status': () => libraryStatus({ clipInstalled: false }) });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: LibraryView, props: {} } });
    const abilities = await screen.findByTestId('first-run-abilities');
    expect(abilities.textContent).toContain('find a photo from a sentence');
    expect(abilities.textContent).toContain('answer questions about a photo');
    expect(within(abilities).getByTestId('model-download').dataset.model).toBe('clip-vit-b32');
    expect(abilities.textContent).not.toContain('iris models install');
  });
});
