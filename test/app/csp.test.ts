import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENT_SECURITY_POLICY, pageSecurityHeaders } from '../../main/app/csp.js';

/** "a b; c d" -> { a: ['b'], c: ['d'] } */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('content security policy', () => {
  const policy = directives(CONTENT_SECURITY_POLICY);

  it('is exactly the policy of the issue', () => {
    assert.equal(
      CONTENT_SECURITY_POLICY,
      "default-src 'self'; script-src 'self'; img-src 'self' iris: data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
  });

  it('runs scripts from the bundle only: no inline, no eval, no other scheme', () => {
    assert.deepEqual(policy.get('script-src'), ["'self'"]);
    assert.deepEqual(policy.get('default-src'), ["'self'"]);
    assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe-eval'));
    assert.ok(!/script-src[^;]*unsafe-inline/.test(CONTENT_SECURITY_POLICY));
  });

  it('shows photos from iris: but fetches nothing from it or the network', () => {
    assert.ok(policy.get('img-src')!.includes('iris:'));
    assert.deepEqual(policy.get('connect-src'), ["'self'"]);
    assert.ok(!CONTENT_SECURITY_POLICY.includes('http'));
  });

  it('forbids plugins, <base> and framing', () => {
    assert.deepEqual(policy.get('object-src'), ["'none'"]);
    assert.deepEqual(policy.get('base-uri'), ["'none'"]);
    assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
  });

  it('is sent as a header with nosniff', () => {
    const headers = pageSecurityHeaders();
    assert.equal(headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
  });
});
