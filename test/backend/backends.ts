/**
 * The backends the shared behavioural suites run against: the machine always, the kernel when
 * bpf(2) works here. With CI=true an unusable kernel is a failure, not a skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { type KernelBackend, kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

/** Number of possible CPUs of this host (per-CPU value buffers need it). */
export function possibleCpus(): number {
  try {
    const s = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of s.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 2;
  }
}

/** One backend under test. */
export interface BackendCase {
  /** `machine` or `kernel`. */
  name: string;
  /** The backend (throws when unavailable: the test then fails, which CI wants). */
  backend(): Backend;
  /** node:test skip reason, or false. */
  skip: string | false;
  /** Number of possible CPUs the backend has. */
  cpus: number;
  /** A fresh bpffs directory for pins. */
  pinDir(name: string): string;
  /** Removes a pin (unlink in the bpffs). */
  unpin(path: string): void;
}

let kernelState: { backend?: KernelBackend; reason?: string } | undefined;

function probeKernel(): { backend?: KernelBackend; reason?: string } {
  if (kernelState !== undefined) return kernelState;
  try {
    const b = kernelBackend();
    b.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    kernelState = { backend: b };
  } catch (e) {
    kernelState = { reason: (e as Error).message };
  }
  return kernelState;
}

const CPUS = possibleCpus();
let machine: Machine | undefined;

/** The machine under test (one per test file), with the host's number of CPUs. */
export function theMachine(): Machine {
  machine ??= new Machine({ cpus: CPUS });
  return machine;
}

/** Both backends. */
export function backends(): BackendCase[] {
  const k = probeKernel();
  const kskip =
    k.backend !== undefined || process.env.CI === 'true' ? false : `bpf(2) unusable here: ${k.reason}`;
  return [
    {
      name: 'machine',
      backend: theMachine,
      skip: false,
      cpus: CPUS,
      pinDir: (name) => {
        const dir = `/sys/fs/bpf/${name}-${process.pid}`;
        theMachine().bpffs.mkdir(dir);
        return dir;
      },
      unpin: (path) => {
        theMachine().bpffs.unlink(path);
      },
    },
    {
      name: 'kernel',
      backend: () => {
        if (k.backend === undefined) throw new Error(`bpf(2) unusable (a failure with CI=true): ${k.reason}`);
        return k.backend;
      },
      skip: kskip,
      cpus: CPUS,
      pinDir: (name) => {
        const dir = `/sys/fs/bpf/${name}-${process.pid}-${Date.now()}`;
        mountBpffs();
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        return dir;
      },
      unpin: (path) => {
        rmSync(path, { force: true });
      },
    },
  ];
}

function mountBpffs(): void {
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (!mounts.split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf')) {
    execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }
}
