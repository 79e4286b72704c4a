/**
 * Runs the unprivileged corpus on the running kernel as an unprivileged process, and reads/writes
 * the recording of its answers (unpriv-verdicts.json).
 *
 * The kernel refuses bpf(2) to unprivileged users while `kernel.unprivileged_bpf_disabled` is
 * non-zero. {@link liveUnprivAnswers} (root only) sets it to 0 for the duration of one child
 * process (unpriv-child.ts, run as uid/gid 65534 with no capabilities) and always puts the
 * previous value back. Value 1 is one-way (it cannot be reset without a reboot): it is never
 * written, and a kernel at 1 cannot answer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Answer } from './harness.js';

/** The sysctl. */
export const KNOB = '/proc/sys/kernel/unprivileged_bpf_disabled';

/** Path of the recording. */
export const UNPRIV_RECORD = new URL('./unpriv-verdicts.json', import.meta.url).pathname;

/** Answers of the kernel to the unprivileged corpus. */
export interface UnprivAnswers {
  programs: Record<string, Answer>;
  maps: Record<string, Answer>;
}

/** The recorded answers (empty when nothing was recorded). */
export function readUnprivRecord(): UnprivAnswers {
  if (!existsSync(UNPRIV_RECORD)) return { programs: {}, maps: {} };
  const r = JSON.parse(readFileSync(UNPRIV_RECORD, 'utf8')) as UnprivAnswers;
  return { programs: r.programs, maps: r.maps };
}

const sorted = (r: Record<string, Answer>): Record<string, Answer> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Writes the recording. */
export function writeUnprivRecord(a: UnprivAnswers): void {
  const out = {
    kernel: 'Linux 6.18',
    about:
      'Answers of the kernel to test/verifier/unpriv-corpus.ts, loaded by uid 65534 without capabilities, kernel.unprivileged_bpf_disabled=0',
    programs: sorted(a.programs),
    maps: sorted(a.maps),
  };
  writeFileSync(UNPRIV_RECORD, `${JSON.stringify(out, null, 1)}\n`);
}

/**
 * Why the live kernel cannot answer here, or undefined when it can: the caller must be root
 * (to set the sysctl and drop to another uid) and the sysctl must exist and not be 1.
 */
export function liveUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root: cannot set kernel.unprivileged_bpf_disabled';
  if (!existsSync(KNOB)) return `${KNOB} does not exist`;
  const v = readFileSync(KNOB, 'utf8').trim();
  if (v === '1') return `${KNOB} is 1 (one-way until reboot): unprivileged bpf(2) cannot be enabled`;
  if (v !== '0' && v !== '2') return `${KNOB} is ${v}`;
  return undefined;
}

const ROOT = new URL('../../', import.meta.url).pathname;
const CHILD = new URL('./unpriv-child.ts', import.meta.url).pathname;

/**
 * Runs unpriv-child.ts as uid/gid 65534 with `kernel.unprivileged_bpf_disabled` = 0, and puts
 * the sysctl back to its previous value (also when the child fails). Throws when the live kernel
 * cannot answer ({@link liveUnavailable}) or the child fails.
 */
export function liveUnprivAnswers(): UnprivAnswers {
  const why = liveUnavailable();
  if (why !== undefined) throw new Error(`unprivileged kernel comparison unavailable: ${why}`);
  const before = readFileSync(KNOB, 'utf8').trim();
  let r: ReturnType<typeof spawnSync>;
  try {
    if (before !== '0') writeFileSync(KNOB, '0');
    r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp' },
    });
  } finally {
    if (readFileSync(KNOB, 'utf8').trim() !== before) writeFileSync(KNOB, before);
  }
  if (readFileSync(KNOB, 'utf8').trim() !== before) throw new Error(`${KNOB} was not restored to ${before}`);
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`unpriv-child.ts exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  const out = JSON.parse(String(r.stdout)) as UnprivAnswers & { uid: number };
  if (out.uid !== 65534) throw new Error(`unpriv-child.ts ran as uid ${out.uid}, not 65534`);
  return { programs: out.programs, maps: out.maps };
}
