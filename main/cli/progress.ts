import cliProgress from 'cli-progress';
import path from 'node:path';
import type { Engine, ProgressEvent } from '../engine/index.js';

const PHASE_LABEL: Record<ProgressEvent['phase'], string> = { scan: 'Scanning', read: 'Reading ', jobs: 'Thumbnails' };

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
  let phase: ProgressEvent['phase'] | null = null;
  const onProgress = (event: ProgressEvent) => {
    const total = event.phase === 'scan' ? event.found : event.total;
    const value = event.phase === 'scan' ? event.found : event.phase === 'jobs' ? event.done + event.failed : event.done;
    const payload = {
      phase: PHASE_LABEL[event.phase],
      rate: event.phase === 'scan' ? '-' : event.rate.toFixed(1),
      current: event.current ? path.basename(event.current).slice(0, 40) : '',
    };
    if (phase !== event.phase) {
      if (phase !== null) bar.stop();
      bar.start(total, value, payload);
      phase = event.phase;
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
