import { render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { setLanguage } from '../lib/prefs.svelte.js';
import type { CallResult, EventPayload } from '../lib/types.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import CaptionsLive from './CaptionsLive.svelte';
import JobsPanel from './JobsPanel.svelte';

const captionsStatus = (captioned: number, photos = 40): CallResult<'captions.status'> => ({ model: 'florence-2-base-ft', installed: true, reason: null, missingModel: null, detail: 'brief', readsText: true, captioned, edited: 0, photos });

const captionProgress = (done: number, total = 40): EventPayload<'progress'> => ({ phase: 'jobs', kind: 'caption:florence-2-base-ft:brief', done, failed: 0, total, rate: 1, etaSeconds: total - done, current: null });

async function mount(component: typeof JobsPanel | typeof CaptionsLive, handlers: Handlers = {}) {
  const backend = fakeBackend(handlers);
  const app = new AppStore(backend.transport);
  await app.start(); // subscribes to progress events, as the window does
  render(Harness, { props: { app, component, props: {} } });
  return { backend, app };
}

describe('JobsPanel', () => {
  it('recounts the photos with a caption as the caption jobs progress, not only when the page is opened again', async () => {
    let captioned = 38;
    const { backend } = await mount(JobsPanel, { 'captions.status': () => captionsStatus(captioned) });
    await waitFor(() => expect(screen.getByTestId('captions-summary').textContent).toContain('38 of 40 photos'));
    // The last two captions land; only the jobs' progress says so (no caption event reached this window).
    captioned = 40;
    backend.emit('progress', captionProgress(40));
    await waitFor(() => expect(screen.getByTestId('captions-summary').textContent).toContain('40 of 40 photos'), { timeout: 3000 });
  });

  it('recounts at once when the queue goes idle', async () => {
    let captioned = 10;
    const { backend } = await mount(JobsPanel, { 'captions.status': () => captionsStatus(captioned) });
    await waitFor(() => expect(screen.getByTestId('captions-summary').textContent).toContain('10 of 40 photos'));
    captioned = 40;
    backend.emit('jobs.state', { running: false, paused: false });
    await waitFor(() => expect(screen.getByTestId('captions-summary').textContent).toContain('40 of 40 photos'), { timeout: 500 });
  });

  it('says why a file failed in the UI’s language, with the engine’s words one click away', async () => {
    const failures = [
      { photoId: 3, path: '/photos/cut.jpg', error: 'thumbnail: truncated or damaged image data: VipsJpeg: Premature end of JPEG file' },
      { photoId: 4, path: '/photos/notes.jpg', error: 'thumbnail: not a photo: its bytes are a PDF, whatever its name says (only raster photos are read)' },
      { photoId: 5, path: '/photos/odd.jpg', error: 'caption:florence-2-base-ft:brief: florence-2-base-ft gave an empty caption' },
    ];
    setLanguage('zh-CN');
    try {
      await mount(JobsPanel, { 'jobs.status': () => ({ paused: false, running: false, kinds: [], failures }) });
      const [cut, pdf, odd] = await screen.findAllByTestId('jobs-failure');
      expect(within(cut!).getByTestId('failure-text').textContent).toContain('文件不完整或已损坏');
      const raw = within(cut!).getByTestId('failure-raw');
      expect(raw.textContent).toBe(failures[0]!.error);
      expect(raw.closest('details')!.open).toBe(false);
      expect(within(pdf!).getByTestId('failure-text').textContent).toContain('不是 Iris 能读取的照片格式');
      // Not a kind the UI knows: the engine's text as it is, nothing hidden.
      expect(within(odd!).getByTestId('failure-text').textContent).toBe(failures[2]!.error);
      expect(within(odd!).queryByTestId('failure-raw')).toBeNull();
    } finally {
      setLanguage('en');
    }
  });
});

describe('CaptionsLive', () => {
  it('announces caption writing progress politely, at most every ten seconds, and the end at once', async () => {
    const { backend } = await mount(CaptionsLive);
    const live = screen.getByTestId('captions-live');
    expect(live.getAttribute('aria-live')).toBe('polite');
    backend.emit('progress', captionProgress(12));
    await waitFor(() => expect(live.textContent).toBe('Writing captions: 12 of 40'));
    backend.emit('progress', captionProgress(13));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(live.textContent).toBe('Writing captions: 12 of 40');
    backend.emit('progress', captionProgress(40));
    await waitFor(() => expect(live.textContent).toBe('Captions written: 40 of 40'));
  });
});
