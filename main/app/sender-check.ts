import type { WebFrameMain } from 'electron';
import { isAppUrl } from './schemes.js';

/** The parts of a frame the check reads (WebFrameMain in the app, plain objects in tests). */
export type FrameFacts = Pick<WebFrameMain, 'url' | 'processId' | 'routingId'>;

export type SenderCheck = { ok: true } | { ok: false; reason: string };

/**
 * Is this IPC message from our page? It must come from our window's web contents, from its main
 * frame (not an iframe some content managed to create, nor a frame that has since gone away), and
 * that frame must be showing the app's own origin (not a page it was navigated to). Navigation is
 * denied anyway (web-hardening.ts); this is the second lock on the same door.
 */
export function checkSender(sender: {
  fromOurWindow: boolean;
  senderFrame: FrameFacts | null;
  mainFrame: Pick<FrameFacts, 'processId' | 'routingId'> | null;
}): SenderCheck {
  const { fromOurWindow, senderFrame, mainFrame } = sender;
  if (!fromOurWindow) return { ok: false, reason: 'not from the Iris window' };
  if (!senderFrame || !mainFrame) return { ok: false, reason: 'the sending frame is gone' };
  if (senderFrame.processId !== mainFrame.processId || senderFrame.routingId !== mainFrame.routingId) {
    return { ok: false, reason: 'not from the main frame' };
  }
  if (!isAppUrl(senderFrame.url)) return { ok: false, reason: `not from the app's origin (${describeOrigin(senderFrame.url)})` };
  return { ok: true };
}

/** The scheme and host only: a refused URL may carry anything in its path or query. */
function describeOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'unparseable URL';
  }
}
