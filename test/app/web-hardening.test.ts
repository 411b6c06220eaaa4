import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Session, WebContents } from 'electron';
import { denyAllPermissions, hardenWebContents } from '../../main/app/web-hardening.js';

/** Enough of a WebContents to fire its navigation events and ask its window-open handler. */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

function preventable(extra: object = {}) {
  const event = { prevented: false, preventDefault: () => (event.prevented = true), ...extra };
  return event;
}

function hardened() {
  const contents = new FakeContents();
  const refused: string[] = [];
  hardenWebContents(contents as unknown as WebContents, (what) => refused.push(what));
  return { contents, refused };
}

describe('web contents hardening', () => {
  it('denies navigation away from the app', () => {
    const { contents, refused } = hardened();
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/', 'javascript:alert(1)']) {
      const event = preventable();
      contents.emit('will-navigate', event, url);
      assert.equal(event.prevented, true, url);
    }
    assert.equal(refused.length, 4);
  });

  it('lets the app reload its own pages', () => {
    const { contents } = hardened();
    const event = preventable();
    contents.emit('will-navigate', event, 'app://iris/index.html');
    assert.equal(event.prevented, false);
  });

  it('denies redirects and sub-frame navigations away from the app', () => {
    const { contents } = hardened();
    const redirect = preventable();
    contents.emit('will-redirect', redirect, 'https://evil.example/');
    assert.equal(redirect.prevented, true);
    const frame = preventable({ url: 'https://evil.example/' });
    contents.emit('will-frame-navigate', frame);
    assert.equal(frame.prevented, true);
  });

  it('denies every new window, also for the app\'s own URLs', () => {
    const { contents } = hardened();
    assert.deepEqual(contents.openHandler!({ url: 'https://example.com/' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler!({ url: 'app://iris/index.html' }), { action: 'deny' });
  });

  it('refuses to attach a webview', () => {
    const { contents } = hardened();
    const event = preventable();
    contents.emit('will-attach-webview', event, {}, {});
    assert.equal(event.prevented, true);
  });
});

describe('permissions', () => {
  it('are all denied, asked or checked', () => {
    const handlers: Record<string, (...args: never[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (handler: never) => (handlers.request = handler),
      setPermissionCheckHandler: (handler: never) => (handlers.check = handler),
      setDevicePermissionHandler: (handler: never) => (handlers.device = handler),
    };
    denyAllPermissions(session as unknown as Session);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem']) {
      let granted: boolean | undefined;
      (handlers.request as unknown as (c: unknown, p: string, cb: (ok: boolean) => void) => void)({}, permission, (ok) => (granted = ok));
      assert.equal(granted, false, permission);
      assert.equal((handlers.check as unknown as (c: unknown, p: string) => boolean)({}, permission), false, permission);
    }
    assert.equal((handlers.device as unknown as (d: unknown) => boolean)({ deviceType: 'usb' }), false);
  });
});
