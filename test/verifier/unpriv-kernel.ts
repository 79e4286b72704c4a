/**
 * Runs the unprivileged corpus on the running kernel as an unprivileged process, and reads/writes
 * the recording of its answers (unpriv-verdicts.json).
 *
 * The kernel refuses bpf(2) to unprivileged users while `kernel.unprivileged_bpf_disabled` is
 * non-zero. {@link liveUnprivAnswers} (root only) sets it to 0 for the duration of one child
 * process (unpriv-child.ts, run as uid/gid 65534 or as root without capabilities) and always puts the
 * previous value back. Value 1 is one-way (it cannot be reset without a reboot): it is never
 * written, and a kernel at 1 cannot answer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp' };

/**
 * How the child runs unprivileged: as uid/gid 65534 when that user can read the tree (the child
 * script and tsx), else as root with every capability dropped (util-linux setpriv: empty bounding,
 * inheritable and ambient sets), which the kernel's bpf(2) checks treat the same (they test
 * capabilities, not uids).
 */
function childSpawn(): { cmd: string; args: string[]; ids: { uid?: number; gid?: number } } {
  const node = [process.execPath, '--import', 'tsx', CHILD];
  const tsx = join(ROOT, 'node_modules/tsx/package.json');
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); fs.accessSync(${JSON.stringify(CHILD)}, 4); fs.accessSync(${JSON.stringify(tsx)}, 4);`,
    ],
    { uid: 65534, gid: 65534, cwd: '/', env: ENV, stdio: 'ignore' },
  );
  if (probe.status === 0) return { cmd: node[0]!, args: node.slice(1), ids: { uid: 65534, gid: 65534 } };
  if (SETPRIV === undefined)
    throw new Error(
      'uid 65534 cannot read the tree and setpriv (util-linux) is not installed to drop capabilities',
    );
  return {
    cmd: SETPRIV,
    args: ['--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all', '--', ...node],
    ids: {},
  };
}

/**
 * Runs unpriv-child.ts without privileges ({@link childSpawn}) with
 * `kernel.unprivileged_bpf_disabled` = 0, and puts the sysctl back to its previous value (also
 * when the child fails). Throws when the live kernel cannot answer ({@link liveUnavailable}) or the
 * child fails.
 */
export function liveUnprivAnswers(): UnprivAnswers {
  const why = liveUnavailable();
  if (why !== undefined) throw new Error(`unprivileged kernel comparison unavailable: ${why}`);
  const how = childSpawn();
  const before = readFileSync(KNOB, 'utf8').trim();
  let r: ReturnType<typeof spawnSync>;
  try {
    if (before !== '0') writeFileSync(KNOB, '0');
    r = spawnSync(how.cmd, how.args, {
      cwd: ROOT,
      ...how.ids,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: ENV,
    });
  } finally {
    if (readFileSync(KNOB, 'utf8').trim() !== before) writeFileSync(KNOB, before);
  }
  if (readFileSync(KNOB, 'utf8').trim() !== before) throw new Error(`${KNOB} was not restored to ${before}`);
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`unpriv-child.ts exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  const out = JSON.parse(String(r.stdout)) as UnprivAnswers & { uid: number; capEff: string };
  if (!/^0+$/.test(out.capEff) || (out.uid !== 0 && out.uid !== 65534))
    throw new Error(`unpriv-child.ts ran as uid ${out.uid} with capabilities ${out.capEff}`);
  return { programs: out.programs, maps: out.maps };
}
