/**
 * Answers to the unprivileged corpus (unpriv-corpus.ts) from any backend, and from the machine's
 * verifier on its own:
 *
 * - {@link loadAnswer} / {@link mapCreateAnswer}: BPF_PROG_LOAD / BPF_MAP_CREATE through a
 *   {@link Backend} (the kernel backend in unpriv-child.ts, run as uid 65534; a machine process
 *   without capabilities from {@link unprivProcess}), the maps created by the loading process;
 * - {@link unprivVerify}: `verify()` with `privileged: false`.
 */
import { encode } from '../../src/isa/codec.js';
import { Machine, type MachineContext } from '../../src/machine/index.js';
import { licenseIsGpl } from '../../src/machine/prog.js';
import { verify } from '../../src/machine/verifier/index.js';
import type { VerifierMap } from '../../src/machine/verifier/types.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { ProgFlag } from '../../src/uapi/constants.js';
import type { CorpusProgram } from './corpus.js';
import { type Answer, errorLine } from './harness.js';
import type { MapCreateCase } from './unpriv-corpus.js';

/** `p` loaded through `b` (log level 1); the process creates, and then closes, the maps it needs. */
export function loadAnswer(b: Backend, p: CorpusProgram): Answer {
  const fds = [];
  try {
    for (const m of p.maps) {
      const fd = b.mapCreate({
        mapType: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        mapFlags: m.flags ?? 0,
      });
      fds.push(fd);
      if (m.freeze) b.mapFreeze(fd.fd);
    }
    b.progLoad({
      progType: p.progType,
      insns: encode(p.insns),
      license: p.license,
      logLevel: 1,
      ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
      ...(p.sleepable ? { progFlags: ProgFlag.SLEEPABLE } : {}),
      ...(fds.length > 0 ? { fdArray: Int32Array.from(fds.map((f) => f.fd)) } : {}),
    }).close();
    return { verdict: 'accepted' };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // A map the program needs that this process may not create.
    if (fds.length < p.maps.length)
      return { verdict: 'rejected', errno: e.code, line: `map create: ${e.code}` };
    return { verdict: 'rejected', errno: e.code, line: e instanceof VerifierError ? errorLine(e.lines) : '' };
  } finally {
    for (const f of fds) f.close();
  }
}

/** MAP_CREATE of case `m` through `b` (the map is closed at once). */
export function mapCreateAnswer(b: Backend, m: MapCreateCase): Answer {
  try {
    b.mapCreate({
      mapType: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      mapFlags: m.flags ?? 0,
    }).close();
    return { verdict: 'accepted' };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return { verdict: 'rejected', errno: e.code };
  }
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  7: 'E2BIG',
  9: 'EBADF',
  13: 'EACCES',
  14: 'EFAULT',
  22: 'EINVAL',
  524: 'ENOTSUPP',
};

/** The machine's verifier on `p` for an unprivileged loader (`privileged: false`). */
export function unprivVerify(p: CorpusProgram): Answer {
  const maps: VerifierMap[] = p.maps.map((m) => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags ?? 0,
  }));
  const r = verify(p.insns, {
    progType: p.progType,
    ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
    gpl: licenseIsGpl(p.license),
    maps: (kind, k) => (kind === 'idx' ? maps[k] : undefined),
    privileged: false,
  });
  if (r.ok) return { verdict: 'accepted' };
  return { verdict: 'rejected', errno: ERRNO[r.errno] ?? String(r.errno), line: r.error ?? '' };
}

/** A process of a new machine with unprivileged bpf(2) enabled: no capabilities, uid 65534. */
export function unprivProcess(): MachineContext {
  const m = new Machine();
  m.sysctl.unprivilegedBpfDisabled = 0;
  return m.process({ caps: [], uid: 65534, gid: 65534 });
}
