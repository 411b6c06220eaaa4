import { describe, expect, it } from 'vitest';
import { IrisCallError } from '../../../main/contract/rpc.js';
import { errorCodeOf, errorMessage } from './errors.js';
import { prefs } from './prefs.svelte.js';

describe('errorMessage', () => {
  it('shows the engine’s words for the person as they are, and says first what an unavailable, internal or contract error means', () => {
    prefs.language = 'en';
    expect(errorMessage({ name: 'IrisCallError', code: 'usage', message: 'model florence-2 is not installed: run `iris models install florence-2`' })).toBe(
      'model florence-2 is not installed: run `iris models install florence-2`',
    );
    expect(errorMessage(new IrisCallError('not-found', 'no photo with id 7'))).toBe('no photo with id 7');
    expect(errorMessage({ code: 'unavailable', message: 'the engine is restarting' })).toBe('Iris cannot do this right now: the engine is restarting');
    expect(errorMessage({ code: 'internal', message: 'photos.get failed: boom' })).toBe('Something went wrong inside Iris: photos.get failed: boom');
    expect(errorMessage({ code: 'unknown-call', message: 'unknown call photos.frob' })).toMatch(/^This window and Iris do not understand each other/);
    expect(errorMessage(new Error("Error invoking remote method 'iris:call': Error: plain"))).toBe('plain');
    prefs.language = 'zh-CN';
    expect(errorMessage({ code: 'internal', message: 'boom' })).toBe('Iris 内部出错：boom');
    prefs.language = 'en';
  });

  it('reads the code of a plain object and of an IrisCallError, and nothing else', () => {
    expect(errorCodeOf({ code: 'forbidden', message: 'x' })).toBe('forbidden');
    expect(errorCodeOf(new IrisCallError('usage', 'x'))).toBe('usage');
    expect(errorCodeOf({ code: 'ENOENT', message: 'x' })).toBeNull();
    expect(errorCodeOf('text')).toBeNull();
  });
});
