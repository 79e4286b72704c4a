/**
 * Shared setup of the kernel tests: the backend, or why bpf(2) is unusable here. Tests pass
 * `{ skip }` to node:test; with CI=true nothing is skipped and {@link kernel} throws instead, so an
 * unusable bpf(2) fails the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { type KernelBackend, kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

function probe(): { backend?: KernelBackend; reason?: string } {
  try {
    const b = kernelBackend();
    b.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    return { backend: b };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

const state = probe();

/** Skip reason for node:test (false when the kernel tests must run). */
export const skip: string | false =
  state.backend !== undefined || process.env.CI === 'true' ? false : `bpf(2) unusable here: ${state.reason}`;

/** The kernel backend; throws (failing the test) when bpf(2) is unusable. */
export function kernel(): KernelBackend {
  if (state.backend === undefined) {
    throw new Error(`bpf(2) unusable (with CI=true this is a failure, not a skip): ${state.reason}`);
  }
  return state.backend;
}

/** Number of open fds of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A mounted bpffs directory (mounts /sys/fs/bpf if needed). */
export function bpffs(): string {
  const dir = '/sys/fs/bpf';
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (!mounts.split('\n').some((l) => l.split(' ')[1] === dir && l.split(' ')[2] === 'bpf')) {
    if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir]);
  }
  return dir;
}
