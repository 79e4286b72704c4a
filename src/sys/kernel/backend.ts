/**
 * {@link KernelBackend}: the {@link Backend} over the running kernel's bpf(2).
 *
 * Attrs are encoded with the uapi codec into bytes whose pointers are the real addresses of the
 * caller's arrays. The element commands (the hot path) fill the FFI's one element attr, cache the
 * addresses of the last key/value arrays, and make one call without arguments (see
 * {@link ElemCall}), so a lookup or update allocates nothing.
 *
 * @module
 */

import {
  type BtfLoadAttr,
  batchCount,
  btfLoadLogTrueSize,
  encodeBtfLoad,
  encodeGetId,
  encodeInfo,
  encodeLinkCreate,
  encodeLinkDetach,
  encodeLinkUpdate,
  encodeMapBatch,
  encodeMapCreate,
  encodeMapFreeze,
  encodeObj,
  encodeProgBindMap,
  encodeProgLoad,
  encodeTestRun,
  getIdNext,
  type LinkCreateAttr,
  type LinkUpdateAttr,
  type MapBatchAttr,
  type MapCreateAttr,
  type ObjAttr,
  type ProgLoadAttr,
  progLoadLogTrueSize,
  type TestRunAttr,
  type TestRunResult,
  testRunResult,
} from '../../uapi/attrs.js';
import { Cmd } from '../../uapi/constants.js';
import {
  type BtfInfo,
  decodeBtfInfo,
  decodeLinkInfo,
  decodeMapInfo,
  decodeProgInfo,
  encodeBtfInfoRequest,
  encodeMapInfoRequest,
  encodeProgInfoRequest,
  type LinkInfo,
  type MapInfo,
  type ProgInfo,
} from '../../uapi/info.js';
import { InfoLayout, LinkInfoLayout } from '../../uapi/layout.js';
import type { AttrMemory } from '../../uapi/memory.js';
import type {
  Backend,
  BatchResult,
  BtfInfoQuery,
  LinkInfoQuery,
  MapInfoQuery,
  ProgInfoQuery,
} from '../backend.js';
import { BpfError, Errno, VerifierError } from '../errors.js';
import { Fd, type FdKind, LoadedFd } from '../fd.js';
import { type ElemCall, type Ffi, ffi } from './ffi.js';

const CMD_NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(Cmd)) if (!CMD_NAMES.has(v)) CMD_NAMES.set(v, `BPF_${k}`);

/** The name of a bpf(2) command, e.g. `BPF_PROG_LOAD`. */
export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `BPF_CMD_${cmd}`;
}

/** First log buffer when the backend manages the log (grown on ENOSPC to `log_true_size`). */
const LOG_INITIAL = 64 * 1024;
/** The kernel's limit on log_size (`UINT_MAX >> 2`). */
const LOG_MAX = 0x3fffffff;
/** Attempts for EAGAIN (PROG_LOAD documents it) and EINTR. */
const RETRIES = 5;

const TWO32 = 4294967296;

/** Encoding memory over real addresses; keeps every array alive until {@link KernelMemory.reset}. */
class KernelMemory implements AttrMemory {
  readonly #f: Ffi;
  readonly #keep: Uint8Array[] = [];
  constructor(f: Ffi) {
    this.#f = f;
  }
  addressOf(bytes: Uint8Array): bigint {
    this.#keep.push(bytes);
    return BigInt(addressOf(this.#f, bytes));
  }
  view(): Uint8Array {
    throw new TypeError('kernel attr memory encodes only');
  }
  cString(): string {
    throw new TypeError('kernel attr memory encodes only');
  }
  reset(): void {
    this.#keep.length = 0;
  }
}

const bases = new WeakMap<ArrayBufferLike, number>();

/** Address of `bytes[0]`, 0 for an empty array. Buffer base addresses are cached per ArrayBuffer. */
function addressOf(f: Ffi, bytes: Uint8Array): number {
  if (bytes.byteLength === 0) return 0;
  const ab = bytes.buffer;
  let base = bases.get(ab);
  if (base === undefined) {
    base = f.address(bytes) - bytes.byteOffset;
    bases.set(ab, base);
  }
  return base + bytes.byteOffset;
}

type LogLoad = { log: string; logTrueSize: number };

/** The bpf(2) backend. Get the shared instance with {@link kernelBackend}. */
export class KernelBackend implements Backend {
  /** `'kernel'`. */
  readonly name = 'kernel';
  readonly #f: Ffi;
  readonly #mem: KernelMemory;
  readonly #closer: (n: number) => void;
  // Hot path: the FFI's element attr and its bound calls.
  readonly #elem32: Uint32Array;
  readonly #lookup: ElemCall;
  readonly #update: ElemCall;
  readonly #delete: ElemCall;
  readonly #getNextKey: ElemCall;
  readonly #lookupAndDelete: ElemCall;
  #lastKey: Uint8Array | undefined;
  #lastKeyAddr = 0;
  #lastValue: Uint8Array | undefined;
  #lastValueAddr = 0;

  /** Loads the FFI; throws (with the reason) where bpf(2) cannot be called. */
  constructor() {
    this.#f = ffi();
    this.#mem = new KernelMemory(this.#f);
    const f = this.#f;
    this.#closer = (n: number) => {
      f.close(n);
    };
    this.#elem32 = new Uint32Array(f.elemAttr.buffer, f.elemAttr.byteOffset, 8);
    this.#lookup = f.elem.lookup;
    this.#update = f.elem.update;
    this.#delete = f.elem.delete;
    this.#getNextKey = f.elem.getNextKey;
    this.#lookupAndDelete = f.elem.lookupAndDelete;
  }

  /** Raw bpf(2): returns the result or throws {@link BpfError}; retries EINTR (and EAGAIN if asked). */
  raw(cmd: number, attr: Uint8Array, retryAgain = false): number {
    for (let attempt = 0; ; attempt++) {
      const r = this.#f.bpf(cmd, attr, attr.length);
      if (r >= 0) return r;
      const e = this.#f.errno();
      if (attempt < RETRIES && (e === Errno.EINTR || (retryAgain && e === Errno.EAGAIN))) continue;
      throw new BpfError(cmdName(cmd), e);
    }
  }

  /** Like {@link KernelBackend.raw} but returns `-errno` instead of throwing. */
  rawErrno(cmd: number, attr: Uint8Array, retryAgain = false): number {
    for (let attempt = 0; ; attempt++) {
      const r = this.#f.bpf(cmd, attr, attr.length);
      if (r >= 0) return r;
      const e = this.#f.errno();
      if (attempt < RETRIES && (e === Errno.EINTR || (retryAgain && e === Errno.EAGAIN))) continue;
      return -e;
    }
  }

  #call(cmd: number, attr: Uint8Array, retryAgain = false): number {
    try {
      return this.raw(cmd, attr, retryAgain);
    } finally {
      this.#mem.reset();
    }
  }

  #fd(n: number, kind: FdKind): Fd {
    return new Fd(n, kind, this.#closer);
  }

  /** close(2). */
  close(fd: number): void {
    if (this.#f.close(fd) !== 0) throw new BpfError('close', this.#f.errno());
  }

  mapCreate(attr: MapCreateAttr): Fd {
    return this.#fd(this.#call(Cmd.MAP_CREATE, encodeMapCreate(attr, this.#mem)), 'map');
  }

  // --- element commands: the hot path ------------------------------------------------------

  // The cached-address checks test `length`, not `byteLength`: both are 0 once the buffer is
  // detached (so a detached array never reuses a stale address), but on Node 20 the `byteLength`
  // getter is not inlined here and cost ~50 ns per call (measured in paired A/B rounds).
  #setElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags: number): void {
    const a = this.#elem32;
    a[0] = mapFd;
    a[1] = 0;
    let ka = 0;
    if (key !== undefined) {
      if (key === this.#lastKey && key.length !== 0) ka = this.#lastKeyAddr;
      else {
        ka = addressOf(this.#f, key);
        this.#lastKey = key;
        this.#lastKeyAddr = ka;
      }
    }
    a[2] = ka >>> 0;
    a[3] = (ka / TWO32) >>> 0;
    let va = 0;
    if (value !== undefined) {
      if (value === this.#lastValue && value.length !== 0) va = this.#lastValueAddr;
      else {
        va = addressOf(this.#f, value);
        this.#lastValue = value;
        this.#lastValueAddr = va;
      }
    }
    a[4] = va >>> 0;
    a[5] = (va / TWO32) >>> 0;
    a[6] = flags >>> 0;
    a[7] = 0;
  }

  /**
   * The failure path of an element command whose call returned `r` (`-errno`), kept out of line so
   * the hot path stays small: ENOENT is `false` where absence is an answer, EINTR is retried.
   */
  #elemFailed(cmd: number, call: ElemCall, r: number, absentOk: boolean): boolean {
    for (let attempt = 0; ; attempt++) {
      const e = -r;
      if (e === Errno.ENOENT && absentOk) return false;
      if (e !== Errno.EINTR || attempt >= RETRIES) throw new BpfError(cmdName(cmd), e);
      r = call();
      if (r === 0) return true;
    }
  }

  mapLookupElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): boolean {
    this.#setElem(mapFd, key, value, flags);
    const r = this.#lookup();
    return r === 0 || this.#elemFailed(Cmd.MAP_LOOKUP_ELEM, this.#lookup, r, true);
  }

  mapUpdateElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): void {
    this.#setElem(mapFd, key, value, flags);
    const r = this.#update();
    if (r !== 0) this.#elemFailed(Cmd.MAP_UPDATE_ELEM, this.#update, r, false);
  }

  mapDeleteElem(mapFd: number, key: Uint8Array): boolean {
    this.#setElem(mapFd, key, undefined, 0);
    const r = this.#delete();
    return r === 0 || this.#elemFailed(Cmd.MAP_DELETE_ELEM, this.#delete, r, true);
  }

  mapGetNextKey(mapFd: number, key: Uint8Array | undefined, nextKey: Uint8Array): boolean {
    this.#setElem(mapFd, key, nextKey, 0);
    const r = this.#getNextKey();
    return r === 0 || this.#elemFailed(Cmd.MAP_GET_NEXT_KEY, this.#getNextKey, r, true);
  }

  mapLookupAndDeleteElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): boolean {
    this.#setElem(mapFd, key, value, flags);
    const r = this.#lookupAndDelete();
    return r === 0 || this.#elemFailed(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, this.#lookupAndDelete, r, true);
  }

  #batch(cmd: number, attr: MapBatchAttr): BatchResult {
    const bytes = encodeMapBatch(attr, this.#mem);
    try {
      const r = this.rawErrno(cmd, bytes);
      if (r >= 0) return { count: batchCount(bytes), done: false };
      if (r === -Errno.ENOENT) return { count: batchCount(bytes), done: true };
      throw new BpfError(cmdName(cmd), -r, `after ${batchCount(bytes)} elements`);
    } finally {
      this.#mem.reset();
    }
  }

  mapLookupBatch(attr: MapBatchAttr): BatchResult {
    return this.#batch(Cmd.MAP_LOOKUP_BATCH, attr);
  }

  mapLookupAndDeleteBatch(attr: MapBatchAttr): BatchResult {
    return this.#batch(Cmd.MAP_LOOKUP_AND_DELETE_BATCH, attr);
  }

  mapUpdateBatch(attr: MapBatchAttr): number {
    const bytes = encodeMapBatch(attr, this.#mem);
    try {
      const r = this.rawErrno(Cmd.MAP_UPDATE_BATCH, bytes);
      if (r < 0) throw new BpfError('BPF_MAP_UPDATE_BATCH', -r, `after ${batchCount(bytes)} elements`);
      return batchCount(bytes);
    } finally {
      this.#mem.reset();
    }
  }

  mapDeleteBatch(attr: MapBatchAttr): number {
    const bytes = encodeMapBatch(attr, this.#mem);
    try {
      const r = this.rawErrno(Cmd.MAP_DELETE_BATCH, bytes);
      if (r < 0) throw new BpfError('BPF_MAP_DELETE_BATCH', -r, `after ${batchCount(bytes)} elements`);
      return batchCount(bytes);
    } finally {
      this.#mem.reset();
    }
  }

  mapFreeze(mapFd: number): void {
    this.#call(Cmd.MAP_FREEZE, encodeMapFreeze(mapFd));
  }

  // --- loads ---------------------------------------------------------------------------------

  /**
   * Runs a load with the log policy of {@link Backend.progLoad}. `encode` builds the attr for a
   * log level and buffer; `trueSize` reads log_true_size back.
   */
  #load(
    cmd: number,
    given: Uint8Array | undefined,
    level0: number,
    encode: (level: number, buf: Uint8Array | undefined) => Uint8Array,
    trueSize: (attr: Uint8Array) => number,
  ): { fd: number } & LogLoad {
    const name = cmdName(cmd);
    let level = level0;
    let size = level > 0 ? LOG_INITIAL : 0;
    let retriedForLog = false;
    for (;;) {
      const buf = given ?? (size > 0 ? new Uint8Array(size) : undefined);
      const attr = encode(level, buf);
      let r: number;
      try {
        r = this.rawErrno(cmd, attr, true);
      } finally {
        this.#mem.reset();
      }
      const logTrueSize = level > 0 ? trueSize(attr) : 0;
      const log = buf === undefined ? '' : cString(buf);
      if (r >= 0) return { fd: r, log, logTrueSize };
      const e = -r;
      if (given === undefined) {
        if (e === Errno.ENOSPC && level > 0 && logTrueSize > size && logTrueSize <= LOG_MAX) {
          size = logTrueSize;
          continue;
        }
        if (level === 0 && !retriedForLog && e !== Errno.EPERM && e !== Errno.E2BIG) {
          retriedForLog = true;
          level = 1;
          size = LOG_INITIAL;
          continue;
        }
      }
      if (log.length > 0) throw new VerifierError(name, e, log, e === Errno.ENOSPC);
      throw new BpfError(name, e);
    }
  }

  progLoad(attr: ProgLoadAttr): LoadedFd {
    const r = this.#load(
      Cmd.PROG_LOAD,
      attr.logBuf,
      attr.logLevel ?? 0,
      (logLevel, logBuf) => encodeProgLoad({ ...attr, logLevel, logBuf }, this.#mem),
      progLoadLogTrueSize,
    );
    return new LoadedFd(r.fd, 'prog', this.#closer, r.log, r.logTrueSize);
  }

  btfLoad(attr: BtfLoadAttr): LoadedFd {
    const r = this.#load(
      Cmd.BTF_LOAD,
      attr.logBuf,
      attr.logLevel ?? 0,
      (logLevel, logBuf) => encodeBtfLoad({ ...attr, logLevel, logBuf }, this.#mem),
      btfLoadLogTrueSize,
    );
    return new LoadedFd(r.fd, 'btf', this.#closer, r.log, r.logTrueSize);
  }

  // --- objects -------------------------------------------------------------------------------

  objPin(attr: ObjAttr & { bpfFd: number }): void {
    this.#call(Cmd.OBJ_PIN, encodeObj(attr, this.#mem));
  }

  objGet(attr: ObjAttr, kind: FdKind = 'obj'): Fd {
    return this.#fd(this.#call(Cmd.OBJ_GET, encodeObj(attr, this.#mem)), kind);
  }

  #nextId(cmd: number, startId: number): number | undefined {
    const attr = encodeGetId({ id: startId });
    const r = this.rawErrno(cmd, attr);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw new BpfError(cmdName(cmd), -r);
    return getIdNext(attr);
  }

  progGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.PROG_GET_NEXT_ID, startId);
  }
  mapGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.MAP_GET_NEXT_ID, startId);
  }
  btfGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.BTF_GET_NEXT_ID, startId);
  }
  linkGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.LINK_GET_NEXT_ID, startId);
  }

  progGetFdById(id: number, openFlags = 0): Fd {
    return this.#fd(this.#call(Cmd.PROG_GET_FD_BY_ID, encodeGetId({ id, openFlags })), 'prog');
  }
  mapGetFdById(id: number, openFlags = 0): Fd {
    return this.#fd(this.#call(Cmd.MAP_GET_FD_BY_ID, encodeGetId({ id, openFlags })), 'map');
  }
  btfGetFdById(id: number, openFlags = 0): Fd {
    return this.#fd(this.#call(Cmd.BTF_GET_FD_BY_ID, encodeGetId({ id, openFlags })), 'btf');
  }
  linkGetFdById(id: number, openFlags = 0): Fd {
    return this.#fd(this.#call(Cmd.LINK_GET_FD_BY_ID, encodeGetId({ id, openFlags })), 'link');
  }

  objGetInfoByFd(fd: number, query: ProgInfoQuery): ProgInfo;
  objGetInfoByFd(fd: number, query: MapInfoQuery): MapInfo;
  objGetInfoByFd(fd: number, query: BtfInfoQuery): BtfInfo;
  objGetInfoByFd(fd: number, query: LinkInfoQuery): LinkInfo;
  objGetInfoByFd(
    fd: number,
    query: ProgInfoQuery | MapInfoQuery | BtfInfoQuery | LinkInfoQuery,
  ): ProgInfo | MapInfo | BtfInfo | LinkInfo {
    let info: Uint8Array;
    switch (query.kind) {
      case 'prog':
        info = encodeProgInfoRequest(query, this.#mem);
        break;
      case 'map':
        info = encodeMapInfoRequest(query, this.#mem);
        break;
      case 'btf':
        info = encodeBtfInfoRequest(query, this.#mem);
        break;
      case 'link':
        info = new Uint8Array(LinkInfoLayout.size);
        break;
    }
    const attr = encodeInfo({ bpfFd: fd, info }, this.#mem);
    this.#call(Cmd.OBJ_GET_INFO_BY_FD, attr);
    const len = new DataView(attr.buffer).getUint32(InfoLayout.fields.info_len[0], true);
    const got = info.subarray(0, Math.min(len, info.length));
    switch (query.kind) {
      case 'prog':
        return decodeProgInfo(got);
      case 'map':
        return decodeMapInfo(got, query.hash);
      case 'btf':
        return decodeBtfInfo(got, query);
      case 'link':
        return decodeLinkInfo(got);
    }
  }

  progTestRun(attr: TestRunAttr): TestRunResult {
    const bytes = encodeTestRun(attr, this.#mem);
    this.#call(Cmd.PROG_TEST_RUN, bytes);
    return testRunResult(bytes);
  }

  linkCreate(attr: LinkCreateAttr): Fd {
    return this.#fd(this.#call(Cmd.LINK_CREATE, encodeLinkCreate(attr, this.#mem)), 'link');
  }

  linkUpdate(attr: LinkUpdateAttr): void {
    this.#call(Cmd.LINK_UPDATE, encodeLinkUpdate(attr));
  }

  linkDetach(linkFd: number): void {
    this.#call(Cmd.LINK_DETACH, encodeLinkDetach(linkFd));
  }

  progBindMap(progFd: number, mapFd: number): void {
    this.#call(Cmd.PROG_BIND_MAP, encodeProgBindMap({ progFd, mapFd }));
  }
}

function cString(buf: Uint8Array): string {
  const nul = buf.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? buf : buf.subarray(0, nul));
}

let shared: KernelBackend | undefined;

/** The shared {@link KernelBackend}; throws (with the reason) where bpf(2) cannot be called. */
export function kernelBackend(): KernelBackend {
  shared ??= new KernelBackend();
  return shared;
}
