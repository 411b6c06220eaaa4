import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate } from '../../main/app/menu.js';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [...(item.role ? [item.role] : []), ...(Array.isArray(item.submenu) ? roles(item.submenu) : [])]);
}

describe('application menu', () => {
  it('has the standard edit and view roles', () => {
    const all = roles(menuTemplate({ platform: 'linux', devTools: false }));
    for (const role of ['editMenu', 'reload', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen', 'windowMenu', 'quit']) assert.ok(all.includes(role), role);
  });

  it('has no developer tools in a packaged build', () => {
    assert.ok(!roles(menuTemplate({ platform: 'linux', devTools: false })).includes('toggleDevTools'));
    assert.ok(!roles(menuTemplate({ platform: 'darwin', devTools: false })).includes('toggleDevTools'));
    assert.ok(roles(menuTemplate({ platform: 'linux', devTools: true })).includes('toggleDevTools'));
  });

  it('uses the app menu on macOS', () => {
    assert.ok(roles(menuTemplate({ platform: 'darwin', devTools: false })).includes('appMenu'));
    assert.ok(!roles(menuTemplate({ platform: 'win32', devTools: false })).includes('appMenu'));
  });
});
