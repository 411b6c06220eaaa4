import fs from 'node:fs';

/**
 * This process's own peak resident set, in bytes. On Linux it reads VmHWM rather than getrusage's
 * maxRSS: a process spawned by Node starts as a fork of its parent, and Linux carries the forked
 * image's RSS into maxRSS across exec, so maxRSS would report the parent's peak. VmHWM belongs to
 * this process alone. Elsewhere maxRSS is right.
 */
export function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
