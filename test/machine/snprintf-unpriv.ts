/**
 * bpf_snprintf loaded by a process without capabilities (shared by test/machine/snprintf.test.ts
 * and its child snprintf-unpriv-child.ts): the format in a frozen BPF_F_RDONLY_PROG array.
 */
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import { errorLine } from '../verifier/harness.js';
import { insn } from './core-relo-case.js';

/** One unprivileged case: the output buffer initialized or not, read back or not after the call. */
export interface UnprivCase {
  what: string;
  outInit: boolean;
  readBack: boolean;
}

/** The cases. */
export const UNPRIV_CASES: readonly UnprivCase[] = [
  { what: 'uninitialized output', outInit: false, readBack: false },
  { what: 'initialized output', outInit: true, readBack: false },
  { what: 'uninitialized output read back', outInit: false, readBack: true },
];

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** 'ok', or errno code + error line, of loading case `c` through `b`. */
export function unprivAnswer(b: Backend, c: UnprivCase): string {
  try {
    using fd = b.mapCreate({
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 16,
      maxEntries: 1,
      mapFlags: MapFlag.RDONLY_PROG,
    });
    const v = new Uint8Array(16);
    v.set([0x25, 0x64]); // "%d"
    b.mapUpdateElem(fd.fd, new Uint8Array(4), v);
    b.mapFreeze(fd.fd);
    const insns = cat(
      insn(0x7a, 10, 0, -8, 5),
      ...(c.outInit ? [insn(0x7a, 10, 0, -16, 0)] : []),
      insn(0xbf, 1, 10, 0, 0),
      insn(0x07, 1, 0, 0, -16),
      insn(0xb7, 2, 0, 0, 8),
      insn(0x18, 3, 2, 0, fd.fd),
      insn(0, 0, 0, 0, 0),
      insn(0xbf, 4, 10, 0, 0),
      insn(0x07, 4, 0, 0, -8),
      insn(0xb7, 5, 0, 0, 8),
      insn(0x85, 0, 0, 0, 165),
      ...(c.readBack ? [insn(0x79, 0, 10, -16, 0)] : []),
      insn(0xb7, 0, 0, 0, 0),
      insn(0x95, 0, 0, 0, 0),
    );
    b.progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL', logLevel: 1 }).close();
    return `${c.what}: ok`;
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0)
      return `${c.what}: ${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${c.what}: ${e.code} (no log)`;
    throw e;
  }
}
