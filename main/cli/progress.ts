import cliProgress from 'cli-progress';
import path from 'node:path';
import type { Engine, ProgressEvent } from '../engine/index.js';

/** The bar's label: the phase, and for jobs what kind of work (thumbnails, then embeddings). */
function label(event: ProgressEvent): string {
  if (event.phase === 'scan') return 'Scanning  ';
  if (event.phase === 'read') return 'Reading   ';
  return event.kind === 'thumbnail' ? 'Thumbnails' : 'Embedding ';
}

/**
 * A progress bar on stderr with rate and ETA, shown only when stderr is a terminal (so pipes,
 * `--json` consumers and CI logs stay clean). Returns a function that removes it.
 */
export function attachProgressBar(engine: Engine, stream: NodeJS.WriteStream = process.stderr): () => void {
  if (!stream.isTTY) return () => undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} {bar} {value}/{total} | {rate}/s | ETA {eta_formatted} | {current}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | null = null;
  const onProgress = (event: ProgressEvent) => {
    const total = event.phase === 'scan' ? event.found : event.total;
    const value = event.phase === 'scan' ? event.found : event.phase === 'jobs' ? event.done + event.failed : event.done;
    const payload = {
      phase: label(event),
      rate: event.phase === 'scan' ? '-' : event.rate.toFixed(1),
      current: event.current ? path.basename(event.current).slice(0, 40) : '',
    };
    if (phase !== payload.phase) {
      if (phase !== null) bar.stop();
      bar.start(total, value, payload);
      phase = payload.phase;
    } else {
      bar.setTotal(total);
      bar.update(value, payload);
    }
  };
  engine.on('progress', onProgress);
  return () => {
    engine.off('progress', onProgress);
    if (phase !== null) bar.stop();
  };
}
