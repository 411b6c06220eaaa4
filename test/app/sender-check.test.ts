import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSender } from '../../main/app/sender-check.js';

describe('IPC sender check', () => {
  const mainFrame = { processId: 4, routingId: 1 };
  const ourFrame = { ...mainFrame, url: 'app://iris/index.html' };

  it('accepts the main frame of our window on the app origin', () => {
    assert.deepEqual(checkSender({ fromOurWindow: true, senderFrame: ourFrame, mainFrame }), { ok: true });
  });

  it('refuses another web contents', () => {
    const result = checkSender({ fromOurWindow: false, senderFrame: ourFrame, mainFrame });
    assert.equal(result.ok, false);
  });

  it('refuses a sub-frame of our window', () => {
    assert.equal(checkSender({ fromOurWindow: true, senderFrame: { ...ourFrame, routingId: 7 }, mainFrame }).ok, false);
    assert.equal(checkSender({ fromOurWindow: true, senderFrame: { ...ourFrame, processId: 9 }, mainFrame }).ok, false);
  });

  it('refuses a frame that is gone', () => {
    assert.equal(checkSender({ fromOurWindow: true, senderFrame: null, mainFrame }).ok, false);
    assert.equal(checkSender({ fromOurWindow: true, senderFrame: ourFrame, mainFrame: null }).ok, false);
  });

  it('refuses our main frame once it shows another origin, without echoing the URL path', () => {
    for (const url of ['https://evil.example/steal?token=1', 'file:///tmp/page.html', 'app://other/index.html', 'about:blank', 'data:text/html,x']) {
      const result = checkSender({ fromOurWindow: true, senderFrame: { ...ourFrame, url }, mainFrame });
      assert.equal(result.ok, false, url);
      assert.ok(!(result as { reason: string }).reason.includes('token'), 'the reason names the origin only');
    }
  });
});
