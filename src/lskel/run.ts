/**
 * The light-skeleton runner: `loadAndRun(backend, lskel, options)` plays the host side of a
 * (signed) light skeleton on any {@link Backend}:
 *
 * 1. creates the metadata map (an array of one element holding the blob), exclusive to the
 *    loader when signed (`excl_prog_hash` = progHash(loader)), writes the blob and freezes it;
 * 2. for the inline scheme, asks for the map's hash (BPF_OBJ_GET_INFO_BY_FD), which also makes
 *    the kernel keep it in `map->sha` for the loader to read;
 * 3. loads the loader (BPF_PROG_TYPE_SYSCALL, sleepable) with the metadata map as fd_array[0]
 *    (no fd_array_cnt: Linux 6.18 checks maps bound that way against a zero digest), its
 *    signature and keyring. The kernel of this project cannot verify signatures
 *    (CONFIG_SYSTEM_DATA_VERIFICATION is off): there the signature is left out, with a warning
 *    and `signature: "not-verified-by-kernel"` in the result;
 * 4. runs it with BPF_PROG_TEST_RUN and returns the maps and programs it created.
 *
 * Host overrides: `maxEntries` goes into the context, `initialValues` over the map's value in
 * the runner's copy of the blob; an unsigned loader honours both, a signed one neither (the
 * runner warns, and the signed blob and loader win).
 *
 * The metadata map and the loader are closed before returning, on success and on error.
 *
 * @module
 */

import {
  add64Imm,
  callKfunc,
  exit,
  ldMapIdx,
  mov64Imm,
  mov64Reg,
  R0,
  R1,
  R2,
  R3,
  R10,
} from '../isa/builder.js';
import { encode } from '../isa/codec.js';
import type { SourceLine } from '../loader/errors.js';
import { lastInsn } from '../loader/object.js';
import type { Backend } from '../sys/backend.js';
import { Errno } from '../sys/errors.js';
import { Fd } from '../sys/fd.js';
import { KeySpec, MapType, ProgFlag, ProgType } from '../uapi/constants.js';
import { KFUNC_BTF_ID, kfuncBtf, type LightSkeleton, LoaderRefusal, type MetadataScheme } from './gen.js';

/** What the host did to the skeleton's environment; the attack lab sets these. */
export interface HostileHost {
  /** Create the metadata map without excl_prog_hash. */
  omitExclusive?: boolean;
  /** Do not freeze the metadata map. */
  skipFreeze?: boolean;
  /** Flip one byte of the blob (index) before writing it. */
  tamperData?: number;
  /** Flip one byte of the loader's instructions (index) before loading. */
  tamperInsns?: number;
}

/** Options of {@link loadAndRun}. */
export interface RunOptions {
  /** Keyring holding the signer's certificate (default: the session keyring). */
  keyringId?: number;
  /** Host overrides of max_entries by map name (honoured by unsigned loaders only). */
  maxEntries?: Readonly<Record<string, number>>;
  /**
   * Host overrides of initial values (global data, `.kconfig`) by map name, each exactly the
   * map's value size (honoured by unsigned loaders only: written over the map's value in the
   * runner's copy of the blob; a signed loader's blob is bound to its signature).
   */
  initialValues?: Readonly<Record<string, Uint8Array>>;
  /** Attack lab knobs. */
  hostile?: HostileHost;
  /** Receives warnings (also collected in the result). */
  warn?: (message: string) => void;
}

/** How the signature was treated. */
export type SignatureStatus = 'verified' | 'not-verified-by-kernel' | 'unsigned';

/** Maps and programs created through a light skeleton. */
export interface LskelCollection extends Disposable {
  /** Map fds by object name. */
  maps: Map<string, Fd>;
  /** Program fds by object name. */
  programs: Map<string, Fd>;
  signature: SignatureStatus;
  warnings: string[];
  /** Closes every fd. */
  close(): void;
}

/** Why a loader refused to run or failed. */
export class LoaderError extends Error {
  /** `not-exclusive`, `hash-mismatch` (metadata checks of a signed loader) or `failed` (a bpf command inside). */
  readonly reason: 'not-exclusive' | 'hash-mismatch' | 'failed';
  /** The errno the loader returned. */
  readonly errno: number;
  /** What failed (`PROG_LOAD of 'xdp_prog'`), when the loader recorded it. */
  readonly step: string | undefined;
  /** The verifier log of a refused program (its end, when it did not fit), one entry a line. */
  readonly log: readonly string[];
  /** The source line of the instruction the verifier log ends at, when the program has line info. */
  readonly source: SourceLine | undefined;
  constructor(
    reason: LoaderError['reason'],
    errno: number,
    message: string,
    step?: string,
    log: readonly string[] = [],
    source?: SourceLine,
  ) {
    super(message);
    this.name = 'LoaderError';
    this.reason = reason;
    this.errno = errno;
    this.step = step;
    this.log = log;
    this.source = source;
  }
}

function errnoName(n: number): string {
  for (const [k, v] of Object.entries(Errno)) if (v === n) return k;
  return `errno ${n}`;
}

/** The step the loader recorded in the blob before it failed, and the verifier log it kept. */
function failure(
  backend: Backend,
  metaFd: number,
  lskel: LightSkeleton,
): { step: string | undefined; log: string[] } {
  const none = { step: undefined, log: [] };
  try {
    const v = new Uint8Array(lskel.data.length);
    if (!backend.mapLookupElem(metaFd, new Uint8Array(4), v)) return none;
    const off = lskel.stepOffset;
    const n = off !== undefined ? new DataView(v.buffer).getUint32(off, true) : 0;
    const step = lskel.steps?.[n - 1];
    let log: string[] = [];
    const l = lskel.log;
    if (step?.startsWith('PROG_LOAD') && l !== undefined && l.offset + l.size <= v.length) {
      const buf = v.subarray(l.offset, l.offset + l.size);
      const end = buf.indexOf(0);
      log = new TextDecoder()
        .decode(end < 0 ? buf : buf.subarray(0, end))
        .split('\n')
        .filter((x) => x !== '');
    }
    return { step, log };
  } catch {
    return none;
  }
}

/** The source line of the last instruction a refused program's log mentions. */
function sourceOf(
  lskel: LightSkeleton,
  step: string | undefined,
  log: readonly string[],
): SourceLine | undefined {
  const m = step !== undefined ? /^PROG_LOAD of '(.*)'$/.exec(step) : null;
  if (m === null) return undefined;
  const lines = lskel.programs.find((p) => p.name === m[1])?.lines;
  const insn = lastInsn(log);
  if (lines === undefined || insn === undefined) return undefined;
  let best: (typeof lines)[number] | undefined;
  for (const l of lines) if (l.slot <= insn && (best === undefined || l.slot >= best.slot)) best = l;
  return best === undefined
    ? undefined
    : { file: best.file, line: best.line, column: best.column, text: best.text };
}

/** The last verifier log lines for a message: the last 3, and how many were left out. */
function logTail(log: readonly string[]): string {
  if (log.length === 0) return '';
  const tail = log.slice(-3);
  return `\n${tail.join('\n')}${log.length > 3 ? ` (${log.length - 3} lines omitted)` : ''}`;
}

/** Runs `lskel` on `backend` (see the module doc). Throws BpfError/VerifierError or {@link LoaderError}. */
export function loadAndRun(backend: Backend, lskel: LightSkeleton, opts: RunOptions = {}): LskelCollection {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    opts.warn?.(m);
  };
  const h = opts.hostile ?? {};
  const onKernel = backend.name === 'kernel';
  let status: SignatureStatus = 'unsigned';
  if (lskel.signed && lskel.signature === undefined)
    throw new TypeError('signed skeleton without a signature');
  const data = lskel.data.slice();
  for (const [name, value] of Object.entries(opts.initialValues ?? {})) {
    const m = lskel.maps.find((x) => x.name === name);
    if (m === undefined) throw new RangeError(`initial value for '${name}': the skeleton has no such map`);
    if (value.length !== m.valueSize)
      throw new RangeError(`initial value for '${name}' is ${value.length} bytes, expected ${m.valueSize}`);
    if (lskel.signed) {
      warn(`initial value override of '${name}' ignored: the signed loader uses its signed value`);
      continue;
    }
    if (m.valueOffset === undefined || m.valueOffset + value.length > data.length)
      throw new RangeError(`map '${name}' has no initial value in the skeleton`);
    data.set(value, m.valueOffset);
  }
  if (h.tamperData !== undefined) data[h.tamperData % data.length] ^= 0x01;
  const insns = lskel.insns.slice();
  if (h.tamperInsns !== undefined) insns[h.tamperInsns % insns.length] ^= 0x01;

  const meta = backend.mapCreate({
    mapType: MapType.ARRAY,
    keySize: 4,
    valueSize: data.length,
    maxEntries: 1,
    mapName: '__loader.map',
    exclProgHash: lskel.signed && !h.omitExclusive ? lskel.exclProgHash : undefined,
  });
  let loader: Fd | undefined;
  let btfFd: Fd | undefined;
  try {
    backend.mapUpdateElem(meta.fd, new Uint8Array(4), data, 0);
    if (lskel.signed && !h.skipFreeze) backend.mapFreeze(meta.fd);
    if (lskel.signed && lskel.scheme === 'inline' && !h.skipFreeze) {
      backend.objGetInfoByFd(meta.fd, { kind: 'map', hash: new Uint8Array(32) });
    }
    let signature: Uint8Array | undefined;
    let keyringId: number | undefined;
    if (lskel.signed) {
      if (onKernel) {
        warn(
          'signature not verified: this kernel cannot verify BPF signatures (CONFIG_SYSTEM_DATA_VERIFICATION is off); the loader still checks its metadata',
        );
        status = 'not-verified-by-kernel';
      } else {
        signature = lskel.signature;
        keyringId = opts.keyringId ?? KeySpec.SESSION_KEYRING;
        status = 'verified';
      }
    }
    const loadTime = lskel.signed && lskel.scheme === 'load-time';
    if (loadTime && onKernel)
      throw new LoaderError(
        'failed',
        Errno.EOPNOTSUPP,
        'the load-time metadata scheme needs a kernel that verifies signatures over exclusive maps (Linux 6.18 does not): use --scheme inline',
      );
    const kfunc = lskel.signed && lskel.scheme === 'kfunc';
    if (kfunc && onKernel)
      throw new LoaderError(
        'failed',
        Errno.EOPNOTSUPP,
        'the kfunc metadata scheme needs bpf_loader_verify_metadata, which Linux 6.18 lacks: use --scheme inline',
      );
    if (kfunc) {
      if (lskel.kfuncBtf === undefined) throw new TypeError('kfunc-scheme skeleton without its prog BTF');
      btfFd = backend.btfLoad({ btf: lskel.kfuncBtf });
    }
    loader = backend.progLoad({
      progType: ProgType.SYSCALL,
      insns,
      license: 'Dual BSD/GPL',
      progFlags: ProgFlag.SLEEPABLE,
      progName: '__loader.prog',
      fdArray: btfFd !== undefined ? Int32Array.of(meta.fd, btfFd.fd) : Int32Array.of(meta.fd),
      // The load-time scheme binds the metadata map up front (fd_array_cnt); the others must not
      // (Linux 6.18 checks maps bound that way against a zero digest).
      fdArrayCnt: loadTime,
      signature,
      keyringId,
    });
    const ctx = new Uint8Array(lskel.ctxSize);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(0, lskel.ctxSize, true);
    for (const m of lskel.maps) {
      const o = opts.maxEntries?.[m.name];
      if (o !== undefined) {
        dv.setUint32(m.descOffset + 4, o, true);
        if (lskel.signed)
          warn(`max_entries override of '${m.name}' ignored: the signed loader uses ${m.maxEntries}`);
      }
    }
    const r = backend.progTestRun({ progFd: loader.fd, ctxIn: ctx });
    const ret = r.retval | 0;
    if (ret !== 0) {
      const errno = -ret;
      if (lskel.signed && errno === LoaderRefusal.NOT_EXCLUSIVE)
        throw new LoaderError(
          'not-exclusive',
          errno,
          lskel.scheme === 'kfunc'
            ? 'loader refused: bpf_loader_verify_metadata says the metadata map is not exclusive to it or not frozen'
            : 'loader refused: the metadata map is not exclusive to it',
        );
      if (lskel.signed && errno === LoaderRefusal.HASH_MISMATCH)
        throw new LoaderError(
          'hash-mismatch',
          errno,
          "loader refused: the metadata map's hash differs from the signed one",
        );
      const f = failure(backend, meta.fd, lskel);
      const src = sourceOf(lskel, f.step, f.log);
      const at = src !== undefined ? ` (${src.file}:${src.line}: ${src.text.trim()})` : '';
      throw new LoaderError(
        'failed',
        errno,
        `loader failed: ${f.step !== undefined ? `${f.step}${at}: ` : ''}${errnoName(errno)}${logTail(f.log)}`,
        f.step,
        f.log,
        src,
      );
    }
    const closer = (n: number): void => backend.close(n);
    const maps = new Map<string, Fd>();
    const programs = new Map<string, Fd>();
    for (const m of lskel.maps) maps.set(m.name, new Fd(dv.getInt32(m.descOffset, true), 'map', closer));
    for (const p of lskel.programs)
      programs.set(p.name, new Fd(dv.getInt32(p.descOffset, true), 'prog', closer));
    const close = (): void => {
      for (const f of [...programs.values(), ...maps.values()]) f.close();
    };
    return { maps, programs, signature: status, warnings, close, [Symbol.dispose]: close };
  } finally {
    loader?.close();
    btfFd?.close();
    meta.close();
  }
}

/**
 * The metadata scheme to sign for on `backend`: `kfunc` when the backend provides
 * `bpf_loader_verify_metadata` (probed by loading a tiny syscall program that calls it), else
 * `inline` (Linux 6.18, whose kernel cannot load the other two). The load-time scheme cannot be
 * probed without a signing key; select it explicitly where the backend has it.
 */
export function probeScheme(backend: Backend): MetadataScheme {
  if (backend.name === 'kernel') return 'inline';
  let btf: Fd | undefined;
  let map: Fd | undefined;
  try {
    btf = backend.btfLoad({ btf: kfuncBtf() });
    map = backend.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const insns = encode([
      ldMapIdx(R1, 0),
      mov64Reg(R2, R10),
      add64Imm(R2, -32),
      mov64Imm(R3, 32),
      callKfunc(KFUNC_BTF_ID, 1),
      mov64Imm(R0, 0),
      exit(),
    ]);
    backend
      .progLoad({
        progType: ProgType.SYSCALL,
        insns,
        license: 'GPL',
        progFlags: ProgFlag.SLEEPABLE,
        fdArray: Int32Array.of(map.fd, btf.fd),
      })
      .close();
    return 'kfunc';
  } catch {
    return 'inline';
  } finally {
    map?.close();
    btf?.close();
  }
}
