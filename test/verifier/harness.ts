/**
 * Runs corpus programs on the kernel (live, through bpf(2)) and on the machine's verifier, and
 * reads/writes the recording of the kernel's answers (kernel-verdicts.json).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseBtf } from '../../src/btf/index.js';
import { progHash } from '../../src/hash/index.js';
import { encode } from '../../src/isa/codec.js';
import { verify } from '../../src/machine/verifier/index.js';
import type { VerifierMap } from '../../src/machine/verifier/types.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { KernelBackend } from '../../src/sys/kernel/index.js';
import { ProgFlag } from '../../src/uapi/constants.js';
import type { CorpusProgram } from './corpus.js';
import { encodeFuncInfo } from './globals.js';

/** One answer: verdict, errno name, and the error line (last log line before the summary). */
export interface Answer {
  verdict: 'accepted' | 'rejected';
  errno?: string;
  line?: string;
}

/** Path of the recording. */
export const RECORD = new URL('./kernel-verdicts.json', import.meta.url).pathname;

/** The recorded kernel answers by program name. */
export function readRecord(): Record<string, Answer> {
  if (!existsSync(RECORD)) return {};
  return (JSON.parse(readFileSync(RECORD, 'utf8')) as { programs: Record<string, Answer> }).programs;
}

/** Writes the recording. */
export function writeRecord(programs: Record<string, Answer>): void {
  const sorted = Object.fromEntries(Object.entries(programs).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileSync(RECORD, `${JSON.stringify({ kernel: 'Linux 6.18', programs: sorted }, null, 1)}\n`);
}

const OTHER_HASH = new Uint8Array(32).fill(0xab);

/** The error line of a log: the last line that is not the summary or a statistics line. */
export function errorLine(lines: readonly string[]): string {
  const keep = lines.filter(
    (l) => l.trim() !== '' && !l.startsWith('processed ') && !l.startsWith('verification time'),
  );
  // A kernel line printed without its newline runs into the summary: cut the summary off.
  return (keep[keep.length - 1] ?? '').replace(/processed \d+ insns \(limit.*$/, '');
}

/** Loads `p` into the kernel. */
export function kernelAnswer(k: KernelBackend, p: CorpusProgram): Answer {
  const bytes = encode(p.insns);
  const hash = progHash(bytes);
  const fds = p.maps.map((m) =>
    k.mapCreate({
      mapType: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      mapFlags: m.flags ?? 0,
      ...(m.excl ? { exclProgHash: m.excl === 'self' ? hash : OTHER_HASH } : {}),
    }),
  );
  try {
    for (let i = 0; i < fds.length; i++) if (p.maps[i]!.freeze) k.mapFreeze(fds[i]!.fd);
    const btf = p.btf !== undefined ? k.btfLoad({ btf: p.btf }) : undefined;
    if (btf !== undefined) fds.push(btf);
    const prog = k.progLoad({
      progType: p.progType,
      insns: bytes,
      license: p.license,
      logLevel: 1,
      ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
      ...(p.sleepable ? { progFlags: ProgFlag.SLEEPABLE } : {}),
      ...(p.maps.length > 0
        ? { fdArray: Int32Array.from(fds.slice(0, p.maps.length).map((f) => f.fd)) }
        : {}),
      ...(btf !== undefined
        ? { progBtfFd: btf.fd, funcInfo: encodeFuncInfo(p.funcInfo ?? []), funcInfoRecSize: 8 }
        : {}),
    });
    prog.close();
    return { verdict: 'accepted' };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const line = e instanceof VerifierError ? errorLine(e.lines) : '';
    return { verdict: 'rejected', errno: e.code, line };
  } finally {
    for (const f of fds) f.close();
  }
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  7: 'E2BIG',
  9: 'EBADF',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  22: 'EINVAL',
  524: 'ENOTSUPP',
};

/** Runs the machine's verifier on `p`. */
export function machineAnswer(p: CorpusProgram, logLevel = 0): Answer & { processed: number } {
  const hash = progHash(encode(p.insns));
  const maps: VerifierMap[] = p.maps.map((m) => ({
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags ?? 0,
    ...(m.excl ? { exclProgHash: m.excl === 'self' ? hash : OTHER_HASH } : {}),
    // as kernelAnswer makes them: frozen when asked, values zero
    ...(m.freeze ? { frozen: true } : {}),
    ...(m.maxEntries === 1 ? { directValue: () => new Uint8Array(m.valueSize) } : {}),
  }));
  const r = verify(p.insns, {
    progType: p.progType,
    gpl: [
      'GPL',
      'GPL v2',
      'Dual BSD/GPL',
      'Dual MIT/GPL',
      'GPL and additional rights',
      'Dual MPL/GPL',
    ].includes(p.license),
    maps: (kind, k) => (kind === 'idx' ? maps[k] : undefined),
    progHash: hash,
    logLevel,
    ...(p.btf !== undefined ? { btf: parseBtf(p.btf), funcInfo: p.funcInfo ?? [] } : {}),
  });
  if (r.ok) return { verdict: 'accepted', processed: r.processed };
  return {
    verdict: 'rejected',
    errno: ERRNO[r.errno] ?? String(r.errno),
    line: r.error ?? '',
    processed: r.processed,
  };
}
