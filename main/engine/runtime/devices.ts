import { UsageError } from '../errors.js';

/**
 * Where models run. `auto` is a policy, the others name one onnxruntime execution provider (EP).
 * Plain data with no onnxruntime import, so the CLI and the settings can validate a device
 * without loading the native runtime.
 */
export const DEVICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
/** An execution provider Iris can ask onnxruntime for: every device but the `auto` policy. */
export type Provider = Exclude<Device, 'auto'>;

/** What `listSupportedBackends()` returns: the EPs compiled into this onnxruntime-node build. */
export interface Backend {
  name: string;
  bundled: boolean;
}

export function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value);
}

/** Validates a device typed by a user (CLI flag, IRIS_DEVICE, a setting). Case and spaces are forgiven. */
export function parseDevice(value: string): Device {
  const device = value.trim().toLowerCase();
  if (isDevice(device)) return device;
  throw new UsageError(`unknown device "${value}": expected one of ${DEVICES.join(', ')}`);
}

/**
 * The EPs `auto` prefers, best first, with the platforms they can exist on. WebGPU is left out of
 * `auto` on purpose: onnxruntime marks it experimental, its operator coverage is partial and a
 * driver fault can take the process down, so it runs only when asked for by name.
 */
const AUTO_ORDER: readonly { provider: Provider; platforms: readonly NodeJS.Platform[] }[] = [
  { provider: 'cuda', platforms: ['linux', 'win32'] },
  { provider: 'dml', platforms: ['win32'] },
  { provider: 'coreml', platforms: ['darwin'] },
];

/**
 * The EPs to try for `device`, in order; the first that creates a session wins.
 *
 * - `auto`: the platform's accelerators that this build lists (onnxruntime-node registers only
 *   listed backends, so an unlisted one can never work), then cpu.
 * - an explicit device: that EP, then cpu. Decision: an explicit device that fails FALLS BACK
 *   rather than throwing, because a photo library that cannot search at all is worse than a slow
 *   one; but the fallback is never silent: the session carries a warning that callers print, and
 *   the attempt with its reason is stored and shown by `iris doctor`. `strict` turns the fallback
 *   off (benchmarks, tests, a user who would rather fail than wait).
 * - `cpu`: cpu only. cpu is always last: every build has it.
 */
export function candidateProviders(device: Device, platform: NodeJS.Platform, supportedBackends: readonly Backend[], strict = false): Provider[] {
  if (device === 'cpu') return ['cpu'];
  if (device !== 'auto') return strict ? [device] : [device, 'cpu'];
  const listed = new Set(supportedBackends.map((backend) => backend.name));
  const accelerators = AUTO_ORDER.filter((entry) => entry.platforms.includes(platform) && listed.has(entry.provider)).map((entry) => entry.provider);
  return [...accelerators, 'cpu'];
}

/**
 * Why `provider` cannot work in this build, without trying it; undefined when it is worth a try.
 * Gives a clearer reason than onnxruntime's own "backend not found".
 */
export function unavailableReason(provider: Provider, platform: NodeJS.Platform, arch: string, supportedBackends: readonly Backend[]): string | undefined {
  if (supportedBackends.some((backend) => backend.name === provider)) return undefined;
  const listed = supportedBackends.map((backend) => backend.name).join(', ');
  return `onnxruntime-node has no ${provider} execution provider on ${platform}-${arch} (this build offers: ${listed})`;
}
