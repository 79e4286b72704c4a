/**
 * Typed attrs of the bpf(2) commands and their codec: `encodeX(attr, mem)` gives the bytes of
 * `union bpf_attr` for the command (the kernel backend passes them to bpf(2)), `decodeX(bytes, mem)`
 * gives the typed attr back (the machine's `bpf_sys_bpf` helper decodes attrs a program built in
 * its memory). One codec, two directions: `decodeX(encodeX(a, mem), mem)` equals `a` with its
 * defaults filled in.
 *
 * Conventions: field names are the kernel's in camelCase; fds and 32-bit values are numbers;
 * 64-bit values (`map_extra`, flags, cookies) are bigints; buffers are `Uint8Array` (their length
 * gives the size/count field that goes with the pointer); strings are JavaScript strings. Output
 * buffers (log, data_out, ctx_out) are written by the command; their length is the capacity.
 *
 * @module
 */

import { LD_IMM64, Pseudo, SLOT_SIZE } from '../isa/opcodes.js';
import { FormatError } from '../util/errors.js';
import { attrBytes, cStringBytes, dataView, getName, getS32, getU32, getU64, put, putName } from './codec.js';
import { AttachType } from './constants.js';
import {
  BtfLoadLayout,
  GetIdLayout,
  InfoLayout,
  LinkCreateLayout,
  LinkDetachLayout,
  LinkUpdateLayout,
  MapBatchLayout,
  MapCreateLayout,
  MapElemLayout,
  ObjLayout,
  ProgBindMapLayout,
  ProgLoadLayout,
  TestRunLayout,
} from './layout.js';
import type { AttrMemory } from './memory.js';

const NULL = 0n;

function addr(mem: AttrMemory, b: Uint8Array | undefined): bigint {
  return b === undefined ? NULL : mem.addressOf(b);
}

function optView(mem: AttrMemory, a: bigint, len: number): Uint8Array | undefined {
  return a === NULL ? undefined : mem.view(a, len);
}

// ---------------------------------------------------------------------------------------------
// BPF_MAP_CREATE

/** Attr of `BPF_MAP_CREATE`. */
export interface MapCreateAttr {
  /** {@link MapType}. */
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** {@link MapFlag} bits. */
  mapFlags?: number;
  /** Fd of the template inner map, for map-in-map types. */
  innerMapFd?: number;
  numaNode?: number;
  /** At most 15 bytes. */
  mapName?: string;
  mapIfindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  /** Type-specific (bloom filter hash count, arena address). */
  mapExtra?: bigint;
  valueTypeBtfObjFd?: number;
  mapTokenFd?: number;
  /** SHA-256 of the only program allowed to use the map (`excl_prog_hash`, 32 bytes). */
  exclProgHash?: Uint8Array;
}

/** Encodes a {@link MapCreateAttr}. */
export function encodeMapCreate(a: MapCreateAttr, mem: AttrMemory): Uint8Array {
  const L = MapCreateLayout.fields;
  const b = new Uint8Array(MapCreateLayout.size);
  const dv = dataView(b);
  put(dv, L.map_type, a.mapType);
  put(dv, L.key_size, a.keySize);
  put(dv, L.value_size, a.valueSize);
  put(dv, L.max_entries, a.maxEntries);
  put(dv, L.map_flags, a.mapFlags ?? 0);
  put(dv, L.inner_map_fd, a.innerMapFd ?? 0);
  put(dv, L.numa_node, a.numaNode ?? 0);
  if (a.mapName) putName(b, L.map_name, a.mapName);
  put(dv, L.map_ifindex, a.mapIfindex ?? 0);
  put(dv, L.btf_fd, a.btfFd ?? 0);
  put(dv, L.btf_key_type_id, a.btfKeyTypeId ?? 0);
  put(dv, L.btf_value_type_id, a.btfValueTypeId ?? 0);
  put(dv, L.btf_vmlinux_value_type_id, a.btfVmlinuxValueTypeId ?? 0);
  put(dv, L.map_extra, a.mapExtra ?? 0n);
  put(dv, L.value_type_btf_obj_fd, a.valueTypeBtfObjFd ?? 0);
  put(dv, L.map_token_fd, a.mapTokenFd ?? 0);
  if (a.exclProgHash !== undefined) {
    put(dv, L.excl_prog_hash, mem.addressOf(a.exclProgHash));
    put(dv, L.excl_prog_hash_size, a.exclProgHash.length);
  }
  return b;
}

/** Decodes a {@link MapCreateAttr}. */
export function decodeMapCreate(bytes: Uint8Array, mem: AttrMemory): MapCreateAttr {
  const L = MapCreateLayout.fields;
  const b = attrBytes(bytes, MapCreateLayout.size, 'BPF_MAP_CREATE attr');
  const dv = dataView(b);
  const hashSize = getU32(dv, L.excl_prog_hash_size);
  return {
    mapType: getU32(dv, L.map_type),
    keySize: getU32(dv, L.key_size),
    valueSize: getU32(dv, L.value_size),
    maxEntries: getU32(dv, L.max_entries),
    mapFlags: getU32(dv, L.map_flags),
    innerMapFd: getU32(dv, L.inner_map_fd),
    numaNode: getU32(dv, L.numa_node),
    mapName: getName(b, L.map_name),
    mapIfindex: getU32(dv, L.map_ifindex),
    btfFd: getU32(dv, L.btf_fd),
    btfKeyTypeId: getU32(dv, L.btf_key_type_id),
    btfValueTypeId: getU32(dv, L.btf_value_type_id),
    btfVmlinuxValueTypeId: getU32(dv, L.btf_vmlinux_value_type_id),
    mapExtra: getU64(dv, L.map_extra),
    valueTypeBtfObjFd: getS32(dv, L.value_type_btf_obj_fd),
    mapTokenFd: getS32(dv, L.map_token_fd),
    exclProgHash: optView(mem, getU64(dv, L.excl_prog_hash), hashSize),
  };
}

// ---------------------------------------------------------------------------------------------
// Element commands

/**
 * Attr of `BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_UPDATE_ELEM`, `BPF_MAP_DELETE_ELEM`,
 * `BPF_MAP_GET_NEXT_KEY` and `BPF_MAP_LOOKUP_AND_DELETE_ELEM`. `value` is the value (in for update,
 * out for lookups) or, for GET_NEXT_KEY, the next key (out).
 */
export interface MapElemAttr {
  mapFd: number;
  /** The key; absent for GET_NEXT_KEY's first key and for queue/stack maps. */
  key?: Uint8Array;
  /** The value (or `next_key`). */
  value?: Uint8Array;
  /** {@link ElemFlag} bits. */
  flags?: bigint;
}

/** Encodes a {@link MapElemAttr}. */
export function encodeMapElem(a: MapElemAttr, mem: AttrMemory): Uint8Array {
  const L = MapElemLayout.fields;
  const b = new Uint8Array(MapElemLayout.size);
  const dv = dataView(b);
  put(dv, L.map_fd, a.mapFd);
  put(dv, L.key, addr(mem, a.key));
  put(dv, L.value, addr(mem, a.value));
  put(dv, L.flags, a.flags ?? 0n);
  return b;
}

/** The map fd of an element or batch attr, to find the key and value sizes before decoding. */
export function peekMapFd(bytes: Uint8Array, batch = false): number {
  const f = batch ? MapBatchLayout.fields.map_fd : MapElemLayout.fields.map_fd;
  if (bytes.length < f[0] + 4) throw new FormatError('map attr', 'too short for map_fd');
  return dataView(bytes).getUint32(f[0], true);
}

/**
 * Decodes a {@link MapElemAttr}: `keySize` and `valueSize` come from the map (see
 * {@link peekMapFd}); for GET_NEXT_KEY pass the key size as `valueSize`.
 */
export function decodeMapElem(
  bytes: Uint8Array,
  mem: AttrMemory,
  keySize: number,
  valueSize: number,
): MapElemAttr {
  const L = MapElemLayout.fields;
  const dv = dataView(attrBytes(bytes, MapElemLayout.size, 'map elem attr'));
  return {
    mapFd: getU32(dv, L.map_fd),
    key: optView(mem, getU64(dv, L.key), keySize),
    value: optView(mem, getU64(dv, L.value), valueSize),
    flags: getU64(dv, L.flags),
  };
}

/** Attr of the batch commands (`BPF_MAP_LOOKUP_BATCH` ... `BPF_MAP_DELETE_BATCH`). */
export interface MapBatchAttr {
  mapFd: number;
  /** Opaque position to start from (absent: from the beginning). */
  inBatch?: Uint8Array;
  /** Receives the position to continue from. */
  outBatch?: Uint8Array;
  /** `count` keys (in for update/delete, out for lookups). */
  keys?: Uint8Array;
  /** `count` values. */
  values?: Uint8Array;
  /** Number of elements: capacity in, elements done out. */
  count: number;
  /** {@link ElemFlag} bits applied per element. */
  elemFlags?: bigint;
  flags?: bigint;
}

/** Encodes a {@link MapBatchAttr}. */
export function encodeMapBatch(a: MapBatchAttr, mem: AttrMemory): Uint8Array {
  const L = MapBatchLayout.fields;
  const b = new Uint8Array(MapBatchLayout.size);
  const dv = dataView(b);
  put(dv, L.in_batch, addr(mem, a.inBatch));
  put(dv, L.out_batch, addr(mem, a.outBatch));
  put(dv, L.keys, addr(mem, a.keys));
  put(dv, L.values, addr(mem, a.values));
  put(dv, L.count, a.count);
  put(dv, L.map_fd, a.mapFd);
  put(dv, L.elem_flags, a.elemFlags ?? 0n);
  put(dv, L.flags, a.flags ?? 0n);
  return b;
}

/** The `count` field of a batch attr (the kernel writes it back). */
export function batchCount(bytes: Uint8Array): number {
  return dataView(bytes).getUint32(MapBatchLayout.fields.count[0], true);
}

/** Decodes a {@link MapBatchAttr}; sizes come from the map (`batchSize` is the position token's). */
export function decodeMapBatch(
  bytes: Uint8Array,
  mem: AttrMemory,
  sizes: { keySize: number; valueSize: number; batchSize: number },
): MapBatchAttr {
  const L = MapBatchLayout.fields;
  const dv = dataView(attrBytes(bytes, MapBatchLayout.size, 'map batch attr'));
  const count = getU32(dv, L.count);
  return {
    mapFd: getU32(dv, L.map_fd),
    inBatch: optView(mem, getU64(dv, L.in_batch), sizes.batchSize),
    outBatch: optView(mem, getU64(dv, L.out_batch), sizes.batchSize),
    keys: optView(mem, getU64(dv, L.keys), count * sizes.keySize),
    values: optView(mem, getU64(dv, L.values), count * sizes.valueSize),
    count,
    elemFlags: getU64(dv, L.elem_flags),
    flags: getU64(dv, L.flags),
  };
}

// ---------------------------------------------------------------------------------------------
// BPF_PROG_LOAD

/** Attr of `BPF_PROG_LOAD`. */
export interface ProgLoadAttr {
  /** {@link ProgType}. */
  progType: number;
  /** The instructions, little-endian, 8 bytes per slot (`insn_cnt` = length / 8). */
  insns: Uint8Array;
  /** License string, e.g. `GPL`. */
  license: string;
  /** {@link LogLevel} bits; 0 for no log. */
  logLevel?: number;
  /**
   * The log buffer (`log_buf`/`log_size`). The kernel backend allocates and grows one itself when
   * `logLevel` is set and this is absent.
   */
  logBuf?: Uint8Array;
  kernVersion?: number;
  /** {@link ProgFlag} bits. */
  progFlags?: number;
  /** At most 15 bytes. */
  progName?: string;
  progIfindex?: number;
  /** {@link AttachType}. */
  expectedAttachType?: number;
  progBtfFd?: number;
  /** Size of one `bpf_func_info` record (8 today). */
  funcInfoRecSize?: number;
  /** `func_info_cnt` records. */
  funcInfo?: Uint8Array;
  /** Size of one `bpf_line_info` record (16 today). */
  lineInfoRecSize?: number;
  lineInfo?: Uint8Array;
  attachBtfId?: number;
  /** `attach_prog_fd` (union with `attach_btf_obj_fd`). */
  attachProgFd?: number;
  /** `attach_btf_obj_fd` (union with `attach_prog_fd`; wins when both are given). */
  attachBtfObjFd?: number;
  coreReloRecSize?: number;
  coreRelos?: Uint8Array;
  /** fds referred to by `MAP_IDX`/`MAP_IDX_VALUE` loads and kfunc calls. */
  fdArray?: Int32Array;
  /**
   * Pass `fd_array_cnt` (Linux 6.14+): the kernel then binds every map of `fdArray` to the program
   * up front. Default false (the classic sparse fd_array).
   */
  fdArrayCnt?: boolean;
  progTokenFd?: number;
  /** Detached PKCS#7 signature over the instructions. */
  signature?: Uint8Array;
  /** Serial of the keyring holding the signer's certificate. */
  keyringId?: number;
}

const FUNC_INFO_REC = 8;
const LINE_INFO_REC = 16;
const LICENSE_MAX = 127;

/** Encodes a {@link ProgLoadAttr}. */
export function encodeProgLoad(a: ProgLoadAttr, mem: AttrMemory): Uint8Array {
  const L = ProgLoadLayout.fields;
  const b = new Uint8Array(ProgLoadLayout.size);
  const dv = dataView(b);
  if (a.insns.length % SLOT_SIZE !== 0) {
    throw new RangeError(`insns are ${a.insns.length} bytes, not a multiple of ${SLOT_SIZE}`);
  }
  put(dv, L.prog_type, a.progType);
  put(dv, L.insn_cnt, a.insns.length / SLOT_SIZE);
  put(dv, L.insns, mem.addressOf(a.insns));
  put(dv, L.license, mem.addressOf(cStringBytes(a.license)));
  put(dv, L.log_level, a.logLevel ?? 0);
  if (a.logBuf !== undefined) {
    put(dv, L.log_size, a.logBuf.length);
    put(dv, L.log_buf, mem.addressOf(a.logBuf));
  }
  put(dv, L.kern_version, a.kernVersion ?? 0);
  put(dv, L.prog_flags, a.progFlags ?? 0);
  if (a.progName) putName(b, L.prog_name, a.progName);
  put(dv, L.prog_ifindex, a.progIfindex ?? 0);
  put(dv, L.expected_attach_type, a.expectedAttachType ?? 0);
  put(dv, L.prog_btf_fd, a.progBtfFd ?? 0);
  if (a.funcInfo !== undefined) {
    const rec = a.funcInfoRecSize ?? FUNC_INFO_REC;
    put(dv, L.func_info_rec_size, rec);
    put(dv, L.func_info, mem.addressOf(a.funcInfo));
    put(dv, L.func_info_cnt, Math.floor(a.funcInfo.length / rec));
  }
  if (a.lineInfo !== undefined) {
    const rec = a.lineInfoRecSize ?? LINE_INFO_REC;
    put(dv, L.line_info_rec_size, rec);
    put(dv, L.line_info, mem.addressOf(a.lineInfo));
    put(dv, L.line_info_cnt, Math.floor(a.lineInfo.length / rec));
  }
  put(dv, L.attach_btf_id, a.attachBtfId ?? 0);
  put(dv, L.attach_prog_fd, a.attachBtfObjFd ?? a.attachProgFd ?? 0);
  if (a.coreRelos !== undefined) {
    const rec = a.coreReloRecSize ?? 16;
    put(dv, L.core_relo_rec_size, rec);
    put(dv, L.core_relos, mem.addressOf(a.coreRelos));
    put(dv, L.core_relo_cnt, Math.floor(a.coreRelos.length / rec));
  }
  if (a.fdArray !== undefined) {
    const fds = new Uint8Array(a.fdArray.buffer, a.fdArray.byteOffset, a.fdArray.byteLength);
    put(dv, L.fd_array, mem.addressOf(fds));
    if (a.fdArrayCnt) put(dv, L.fd_array_cnt, a.fdArray.length);
  }
  put(dv, L.prog_token_fd, a.progTokenFd ?? 0);
  if (a.signature !== undefined) {
    put(dv, L.signature, mem.addressOf(a.signature));
    put(dv, L.signature_size, a.signature.length);
  }
  put(dv, L.keyring_id, a.keyringId ?? 0);
  return b;
}

/**
 * Number of fd_array entries a program refers to: one past the largest index of its
 * `MAP_IDX`/`MAP_IDX_VALUE` loads and kfunc calls (`call` with src 2 and off > 0). This is how many
 * entries a sparse fd_array (no `fd_array_cnt`) must have.
 */
export function fdArrayExtent(insns: Uint8Array): number {
  const dv = dataView(insns);
  let n = 0;
  for (let p = 0; p + SLOT_SIZE <= insns.length; p += SLOT_SIZE) {
    const code = insns[p]!;
    const src = insns[p + 1]! >> 4;
    if (code === LD_IMM64) {
      if (src === Pseudo.MAP_IDX || src === Pseudo.MAP_IDX_VALUE) {
        n = Math.max(n, (dv.getUint32(p + 4, true) >>> 0) + 1);
      }
      p += SLOT_SIZE;
    } else if (code === 0x85 && src === 2) {
      const off = dv.getInt16(p + 2, true);
      if (off > 0) n = Math.max(n, off + 1);
    }
  }
  return n;
}

/** Decodes a {@link ProgLoadAttr}. A sparse fd_array is read up to {@link fdArrayExtent}. */
export function decodeProgLoad(bytes: Uint8Array, mem: AttrMemory): ProgLoadAttr {
  const L = ProgLoadLayout.fields;
  const b = attrBytes(bytes, ProgLoadLayout.size, 'BPF_PROG_LOAD attr');
  const dv = dataView(b);
  const insnCnt = getU32(dv, L.insn_cnt);
  const insns = mem.view(getU64(dv, L.insns), insnCnt * SLOT_SIZE);
  const licAddr = getU64(dv, L.license);
  const logSize = getU32(dv, L.log_size);
  const fiRec = getU32(dv, L.func_info_rec_size);
  const liRec = getU32(dv, L.line_info_rec_size);
  const crRec = getU32(dv, L.core_relo_rec_size);
  const fdCnt = getU32(dv, L.fd_array_cnt);
  const fdAddr = getU64(dv, L.fd_array);
  let fdArray: Int32Array | undefined;
  if (fdAddr !== NULL) {
    const n = fdCnt > 0 ? fdCnt : fdArrayExtent(insns);
    const raw = mem.view(fdAddr, n * 4).slice();
    fdArray = new Int32Array(raw.buffer, 0, n);
  }
  return {
    progType: getU32(dv, L.prog_type),
    insns,
    license: licAddr === NULL ? '' : mem.cString(licAddr, LICENSE_MAX),
    logLevel: getU32(dv, L.log_level),
    logBuf: logSize === 0 ? undefined : optView(mem, getU64(dv, L.log_buf), logSize),
    kernVersion: getU32(dv, L.kern_version),
    progFlags: getU32(dv, L.prog_flags),
    progName: getName(b, L.prog_name),
    progIfindex: getU32(dv, L.prog_ifindex),
    expectedAttachType: getU32(dv, L.expected_attach_type),
    progBtfFd: getU32(dv, L.prog_btf_fd),
    funcInfoRecSize: fiRec,
    funcInfo: optView(mem, getU64(dv, L.func_info), fiRec * getU32(dv, L.func_info_cnt)),
    lineInfoRecSize: liRec,
    lineInfo: optView(mem, getU64(dv, L.line_info), liRec * getU32(dv, L.line_info_cnt)),
    attachBtfId: getU32(dv, L.attach_btf_id),
    attachProgFd: getU32(dv, L.attach_prog_fd),
    coreReloRecSize: crRec,
    coreRelos: optView(mem, getU64(dv, L.core_relos), crRec * getU32(dv, L.core_relo_cnt)),
    fdArray,
    fdArrayCnt: fdCnt > 0,
    progTokenFd: getS32(dv, L.prog_token_fd),
    signature: optView(mem, getU64(dv, L.signature), getU32(dv, L.signature_size)),
    keyringId: getS32(dv, L.keyring_id),
  };
}

/** `log_true_size` the kernel wrote back into a PROG_LOAD attr. */
export function progLoadLogTrueSize(bytes: Uint8Array): number {
  return dataView(bytes).getUint32(ProgLoadLayout.fields.log_true_size[0], true);
}

// ---------------------------------------------------------------------------------------------
// BPF_BTF_LOAD

/** Attr of `BPF_BTF_LOAD`. */
export interface BtfLoadAttr {
  /** Raw BTF (header, types, strings). */
  btf: Uint8Array;
  /** Log buffer; the kernel backend allocates one when `logLevel` is set and this is absent. */
  logBuf?: Uint8Array;
  logLevel?: number;
  btfFlags?: number;
  btfTokenFd?: number;
}

/** Encodes a {@link BtfLoadAttr}. */
export function encodeBtfLoad(a: BtfLoadAttr, mem: AttrMemory): Uint8Array {
  const L = BtfLoadLayout.fields;
  const b = new Uint8Array(BtfLoadLayout.size);
  const dv = dataView(b);
  put(dv, L.btf, mem.addressOf(a.btf));
  put(dv, L.btf_size, a.btf.length);
  if (a.logBuf !== undefined) {
    put(dv, L.btf_log_buf, mem.addressOf(a.logBuf));
    put(dv, L.btf_log_size, a.logBuf.length);
  }
  put(dv, L.btf_log_level, a.logLevel ?? 0);
  put(dv, L.btf_flags, a.btfFlags ?? 0);
  put(dv, L.btf_token_fd, a.btfTokenFd ?? 0);
  return b;
}

/** Decodes a {@link BtfLoadAttr}. */
export function decodeBtfLoad(bytes: Uint8Array, mem: AttrMemory): BtfLoadAttr {
  const L = BtfLoadLayout.fields;
  const dv = dataView(attrBytes(bytes, BtfLoadLayout.size, 'BPF_BTF_LOAD attr'));
  const logSize = getU32(dv, L.btf_log_size);
  return {
    btf: mem.view(getU64(dv, L.btf), getU32(dv, L.btf_size)),
    logBuf: logSize === 0 ? undefined : optView(mem, getU64(dv, L.btf_log_buf), logSize),
    logLevel: getU32(dv, L.btf_log_level),
    btfFlags: getU32(dv, L.btf_flags),
    btfTokenFd: getS32(dv, L.btf_token_fd),
  };
}

/** `btf_log_true_size` the kernel wrote back into a BTF_LOAD attr. */
export function btfLoadLogTrueSize(bytes: Uint8Array): number {
  return dataView(bytes).getUint32(BtfLoadLayout.fields.btf_log_true_size[0], true);
}

// ---------------------------------------------------------------------------------------------
// BPF_OBJ_PIN / BPF_OBJ_GET

/** Attr of `BPF_OBJ_PIN` and `BPF_OBJ_GET`. */
export interface ObjAttr {
  /** Path in a bpffs (relative to `pathFd` with {@link FileFlag.PATH_FD}). */
  pathname: string;
  /** The object to pin (PIN only). */
  bpfFd?: number;
  /** {@link FileFlag} bits. */
  fileFlags?: number;
  pathFd?: number;
}

const PATH_MAX = 4095;

/** Encodes an {@link ObjAttr}. */
export function encodeObj(a: ObjAttr, mem: AttrMemory): Uint8Array {
  const L = ObjLayout.fields;
  const b = new Uint8Array(ObjLayout.size);
  const dv = dataView(b);
  put(dv, L.pathname, mem.addressOf(cStringBytes(a.pathname)));
  put(dv, L.bpf_fd, a.bpfFd ?? 0);
  put(dv, L.file_flags, a.fileFlags ?? 0);
  put(dv, L.path_fd, a.pathFd ?? 0);
  return b;
}

/** Decodes an {@link ObjAttr}. */
export function decodeObj(bytes: Uint8Array, mem: AttrMemory): ObjAttr {
  const L = ObjLayout.fields;
  const dv = dataView(attrBytes(bytes, ObjLayout.size, 'BPF_OBJ attr'));
  return {
    pathname: mem.cString(getU64(dv, L.pathname), PATH_MAX),
    bpfFd: getU32(dv, L.bpf_fd),
    fileFlags: getU32(dv, L.file_flags),
    pathFd: getS32(dv, L.path_fd),
  };
}

// ---------------------------------------------------------------------------------------------
// GET_NEXT_ID / GET_FD_BY_ID

/** Attr of `BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID` and `..._GET_FD_BY_ID`. */
export interface GetIdAttr {
  /** `start_id` (GET_NEXT_ID) or the object id (GET_FD_BY_ID); same field. */
  id: number;
  /** `open_flags` (GET_FD_BY_ID): {@link FileFlag} bits. */
  openFlags?: number;
  fdByIdTokenFd?: number;
}

/** Encodes a {@link GetIdAttr}. */
export function encodeGetId(a: GetIdAttr): Uint8Array {
  const L = GetIdLayout.fields;
  const b = new Uint8Array(GetIdLayout.size);
  const dv = dataView(b);
  put(dv, L.start_id, a.id);
  put(dv, L.open_flags, a.openFlags ?? 0);
  put(dv, L.fd_by_id_token_fd, a.fdByIdTokenFd ?? 0);
  return b;
}

/** Decodes a {@link GetIdAttr}. */
export function decodeGetId(bytes: Uint8Array): GetIdAttr {
  const L = GetIdLayout.fields;
  const dv = dataView(attrBytes(bytes, GetIdLayout.size, 'GET_ID attr'));
  return {
    id: getU32(dv, L.start_id),
    openFlags: getU32(dv, L.open_flags),
    fdByIdTokenFd: getS32(dv, L.fd_by_id_token_fd),
  };
}

/** `next_id` the kernel wrote back (GET_NEXT_ID). */
export function getIdNext(bytes: Uint8Array): number {
  return dataView(bytes).getUint32(GetIdLayout.fields.next_id[0], true);
}

// ---------------------------------------------------------------------------------------------
// BPF_OBJ_GET_INFO_BY_FD

/** Attr of `BPF_OBJ_GET_INFO_BY_FD`: `info` is the info struct (in: requests, out: answers). */
export interface InfoAttr {
  bpfFd: number;
  info: Uint8Array;
}

/** Encodes an {@link InfoAttr}. */
export function encodeInfo(a: InfoAttr, mem: AttrMemory): Uint8Array {
  const L = InfoLayout.fields;
  const b = new Uint8Array(InfoLayout.size);
  const dv = dataView(b);
  put(dv, L.bpf_fd, a.bpfFd);
  put(dv, L.info_len, a.info.length);
  put(dv, L.info, mem.addressOf(a.info));
  return b;
}

/** Decodes an {@link InfoAttr}. */
export function decodeInfo(bytes: Uint8Array, mem: AttrMemory): InfoAttr {
  const L = InfoLayout.fields;
  const dv = dataView(attrBytes(bytes, InfoLayout.size, 'GET_INFO attr'));
  return { bpfFd: getU32(dv, L.bpf_fd), info: mem.view(getU64(dv, L.info), getU32(dv, L.info_len)) };
}

/** `info_len` the kernel wrote back. */
export function infoLen(bytes: Uint8Array): number {
  return dataView(bytes).getUint32(InfoLayout.fields.info_len[0], true);
}

// ---------------------------------------------------------------------------------------------
// BPF_PROG_TEST_RUN

/** Attr of `BPF_PROG_TEST_RUN`. */
export interface TestRunAttr {
  progFd: number;
  /** Packet (or other) input data. */
  dataIn?: Uint8Array;
  /** Receives the output data; its length is the capacity (`data_size_out`). */
  dataOut?: Uint8Array;
  repeat?: number;
  /** Context input (e.g. `struct xdp_md`, a syscall program's ctx). */
  ctxIn?: Uint8Array;
  /** Receives the context output; its length is the capacity. */
  ctxOut?: Uint8Array;
  /** {@link TestRunFlag} bits. */
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

/** What `BPF_PROG_TEST_RUN` writes back. */
export interface TestRunResult {
  /** The program's return value (r0, 32 bits). */
  retval: number;
  /** Bytes of output data (may exceed the buffer: then ENOSPC). */
  dataSizeOut: number;
  /** Bytes of output context. */
  ctxSizeOut: number;
  /** Average run time in ns. */
  duration: number;
}

/** Encodes a {@link TestRunAttr}. */
export function encodeTestRun(a: TestRunAttr, mem: AttrMemory): Uint8Array {
  const L = TestRunLayout.fields;
  const b = new Uint8Array(TestRunLayout.size);
  const dv = dataView(b);
  put(dv, L.prog_fd, a.progFd);
  if (a.dataIn !== undefined) {
    put(dv, L.data_size_in, a.dataIn.length);
    put(dv, L.data_in, mem.addressOf(a.dataIn));
  }
  if (a.dataOut !== undefined) {
    put(dv, L.data_size_out, a.dataOut.length);
    put(dv, L.data_out, mem.addressOf(a.dataOut));
  }
  put(dv, L.repeat, a.repeat ?? 0);
  if (a.ctxIn !== undefined) {
    put(dv, L.ctx_size_in, a.ctxIn.length);
    put(dv, L.ctx_in, mem.addressOf(a.ctxIn));
  }
  if (a.ctxOut !== undefined) {
    put(dv, L.ctx_size_out, a.ctxOut.length);
    put(dv, L.ctx_out, mem.addressOf(a.ctxOut));
  }
  put(dv, L.flags, a.flags ?? 0);
  put(dv, L.cpu, a.cpu ?? 0);
  put(dv, L.batch_size, a.batchSize ?? 0);
  return b;
}

/** Decodes a {@link TestRunAttr}. */
export function decodeTestRun(bytes: Uint8Array, mem: AttrMemory): TestRunAttr {
  const L = TestRunLayout.fields;
  const dv = dataView(attrBytes(bytes, TestRunLayout.size, 'TEST_RUN attr'));
  return {
    progFd: getU32(dv, L.prog_fd),
    dataIn: optView(mem, getU64(dv, L.data_in), getU32(dv, L.data_size_in)),
    dataOut: optView(mem, getU64(dv, L.data_out), getU32(dv, L.data_size_out)),
    repeat: getU32(dv, L.repeat),
    ctxIn: optView(mem, getU64(dv, L.ctx_in), getU32(dv, L.ctx_size_in)),
    ctxOut: optView(mem, getU64(dv, L.ctx_out), getU32(dv, L.ctx_size_out)),
    flags: getU32(dv, L.flags),
    cpu: getU32(dv, L.cpu),
    batchSize: getU32(dv, L.batch_size),
  };
}

/** Reads the {@link TestRunResult} the kernel wrote back into a TEST_RUN attr. */
export function testRunResult(bytes: Uint8Array): TestRunResult {
  const L = TestRunLayout.fields;
  const dv = dataView(bytes);
  return {
    retval: getU32(dv, L.retval),
    dataSizeOut: getU32(dv, L.data_size_out),
    ctxSizeOut: getU32(dv, L.ctx_size_out),
    duration: getU32(dv, L.duration),
  };
}

/** Writes a {@link TestRunResult} into a TEST_RUN attr (what the machine does for a caller). */
export function putTestRunResult(bytes: Uint8Array, r: TestRunResult): void {
  const L = TestRunLayout.fields;
  const dv = dataView(bytes);
  put(dv, L.retval, r.retval);
  put(dv, L.data_size_out, r.dataSizeOut);
  put(dv, L.ctx_size_out, r.ctxSizeOut);
  put(dv, L.duration, r.duration);
}

// ---------------------------------------------------------------------------------------------
// Links

/** Position of a multi-attachment link (`tcx`, `netkit`, `cgroup` in LINK_CREATE). */
export interface RelativeAttach {
  /** fd (or id with {@link AttachFlag.ID}) of the program or link to attach before/after. */
  relativeFd?: number;
  expectedRevision?: bigint;
}

/** Attr of `BPF_LINK_CREATE`. Only the target-specific part matching `attachType` is used. */
export interface LinkCreateAttr {
  /** Program fd (`prog_fd`; `map_fd` for struct_ops links). */
  progFd: number;
  /** Target fd or ifindex. */
  targetFd?: number;
  /** {@link AttachType}. */
  attachType: number;
  flags?: number;
  /** `target_btf_id` (tracing/LSM via BTF). */
  targetBtfId?: number;
  /** `iter_info` (a `bpf_iter_link_info`). */
  iterInfo?: Uint8Array;
  perfEvent?: { bpfCookie: bigint };
  tracing?: { targetBtfId: number; cookie: bigint };
  netfilter?: { pf: number; hooknum: number; priority: number; flags: number };
  tcx?: RelativeAttach;
  netkit?: RelativeAttach;
  cgroup?: RelativeAttach;
}

/** Encodes a {@link LinkCreateAttr}. */
export function encodeLinkCreate(a: LinkCreateAttr, mem: AttrMemory): Uint8Array {
  const L = LinkCreateLayout.fields;
  const b = new Uint8Array(LinkCreateLayout.size);
  const dv = dataView(b);
  put(dv, L.prog_fd, a.progFd);
  put(dv, L.target_fd, a.targetFd ?? 0);
  put(dv, L.attach_type, a.attachType);
  put(dv, L.flags, a.flags ?? 0);
  if (a.targetBtfId !== undefined) put(dv, L.target_btf_id, a.targetBtfId);
  if (a.iterInfo !== undefined) {
    put(dv, L.iter_info, mem.addressOf(a.iterInfo));
    put(dv, L.iter_info_len, a.iterInfo.length);
  }
  if (a.perfEvent !== undefined) put(dv, L['perf_event.bpf_cookie'], a.perfEvent.bpfCookie);
  if (a.tracing !== undefined) {
    put(dv, L['tracing.target_btf_id'], a.tracing.targetBtfId);
    put(dv, L['tracing.cookie'], a.tracing.cookie);
  }
  if (a.netfilter !== undefined) {
    put(dv, L['netfilter.pf'], a.netfilter.pf);
    put(dv, L['netfilter.hooknum'], a.netfilter.hooknum);
    put(dv, L['netfilter.priority'], a.netfilter.priority);
    put(dv, L['netfilter.flags'], a.netfilter.flags);
  }
  const rel = a.tcx ?? a.netkit ?? a.cgroup;
  if (rel !== undefined) {
    put(dv, L['tcx.relative_fd'], rel.relativeFd ?? 0);
    put(dv, L['tcx.expected_revision'], rel.expectedRevision ?? 0n);
  }
  return b;
}

const CGROUP_ATTACH: ReadonlySet<number> = new Set(
  Object.entries(AttachType)
    .filter(([k]) => k.startsWith('CGROUP_'))
    .map(([, v]) => v),
);

/**
 * Decodes a {@link LinkCreateAttr}. The target-specific union is read according to
 * `attach_type`: `iter_info` (TRACE_ITER), `perf_event` (PERF_EVENT), `tracing` (fentry/fexit/
 * fmod_ret/LSM/raw tp), `netfilter`, `tcx`, `netkit`, `cgroup`; otherwise `target_btf_id`.
 */
export function decodeLinkCreate(bytes: Uint8Array, mem: AttrMemory): LinkCreateAttr {
  const L = LinkCreateLayout.fields;
  const dv = dataView(attrBytes(bytes, LinkCreateLayout.size, 'LINK_CREATE attr'));
  const a: LinkCreateAttr = {
    progFd: getU32(dv, L.prog_fd),
    targetFd: getU32(dv, L.target_fd),
    attachType: getU32(dv, L.attach_type),
    flags: getU32(dv, L.flags),
  };
  const rel = (): RelativeAttach => ({
    relativeFd: getU32(dv, L['tcx.relative_fd']),
    expectedRevision: getU64(dv, L['tcx.expected_revision']),
  });
  const t = a.attachType;
  if (t === AttachType.TRACE_ITER) {
    const len = getU32(dv, L.iter_info_len);
    a.iterInfo = len === 0 ? undefined : optView(mem, getU64(dv, L.iter_info), len);
  } else if (t === AttachType.PERF_EVENT) {
    a.perfEvent = { bpfCookie: getU64(dv, L['perf_event.bpf_cookie']) };
  } else if (
    t === AttachType.TRACE_FENTRY ||
    t === AttachType.TRACE_FEXIT ||
    t === AttachType.MODIFY_RETURN ||
    t === AttachType.LSM_MAC ||
    t === AttachType.TRACE_RAW_TP
  ) {
    a.tracing = {
      targetBtfId: getU32(dv, L['tracing.target_btf_id']),
      cookie: getU64(dv, L['tracing.cookie']),
    };
  } else if (t === AttachType.NETFILTER) {
    a.netfilter = {
      pf: getU32(dv, L['netfilter.pf']),
      hooknum: getU32(dv, L['netfilter.hooknum']),
      priority: getS32(dv, L['netfilter.priority']),
      flags: getU32(dv, L['netfilter.flags']),
    };
  } else if (t === AttachType.TCX_INGRESS || t === AttachType.TCX_EGRESS) {
    a.tcx = rel();
  } else if (t === AttachType.NETKIT_PRIMARY || t === AttachType.NETKIT_PEER) {
    a.netkit = rel();
  } else if (CGROUP_ATTACH.has(t)) {
    a.cgroup = rel();
  } else {
    a.targetBtfId = getU32(dv, L.target_btf_id);
  }
  return a;
}

/** Attr of `BPF_LINK_UPDATE`. */
export interface LinkUpdateAttr {
  linkFd: number;
  /** New program (or struct_ops map). */
  newProgFd: number;
  /** {@link AttachFlag.REPLACE} to require `oldProgFd`. */
  flags?: number;
  oldProgFd?: number;
}

/** Encodes a {@link LinkUpdateAttr}. */
export function encodeLinkUpdate(a: LinkUpdateAttr): Uint8Array {
  const L = LinkUpdateLayout.fields;
  const b = new Uint8Array(LinkUpdateLayout.size);
  const dv = dataView(b);
  put(dv, L.link_fd, a.linkFd);
  put(dv, L.new_prog_fd, a.newProgFd);
  put(dv, L.flags, a.flags ?? 0);
  put(dv, L.old_prog_fd, a.oldProgFd ?? 0);
  return b;
}

/** Decodes a {@link LinkUpdateAttr}. */
export function decodeLinkUpdate(bytes: Uint8Array): LinkUpdateAttr {
  const L = LinkUpdateLayout.fields;
  const dv = dataView(attrBytes(bytes, LinkUpdateLayout.size, 'LINK_UPDATE attr'));
  return {
    linkFd: getU32(dv, L.link_fd),
    newProgFd: getU32(dv, L.new_prog_fd),
    flags: getU32(dv, L.flags),
    oldProgFd: getU32(dv, L.old_prog_fd),
  };
}

/** Encodes the attr of `BPF_LINK_DETACH`. */
export function encodeLinkDetach(linkFd: number): Uint8Array {
  const b = new Uint8Array(LinkDetachLayout.size);
  put(dataView(b), LinkDetachLayout.fields.link_fd, linkFd);
  return b;
}

/** Decodes the attr of `BPF_LINK_DETACH` (the link fd). */
export function decodeLinkDetach(bytes: Uint8Array): number {
  return getU32(
    dataView(attrBytes(bytes, LinkDetachLayout.size, 'LINK_DETACH attr')),
    LinkDetachLayout.fields.link_fd,
  );
}

/** Encodes the attr of `BPF_PROG_BIND_MAP`. */
export function encodeProgBindMap(a: { progFd: number; mapFd: number; flags?: number }): Uint8Array {
  const L = ProgBindMapLayout.fields;
  const b = new Uint8Array(ProgBindMapLayout.size);
  const dv = dataView(b);
  put(dv, L.prog_fd, a.progFd);
  put(dv, L.map_fd, a.mapFd);
  put(dv, L.flags, a.flags ?? 0);
  return b;
}

/** Encodes the attr of `BPF_MAP_FREEZE` (the map fd in `map_fd`). */
export function encodeMapFreeze(mapFd: number): Uint8Array {
  const b = new Uint8Array(4);
  put(dataView(b), MapElemLayout.fields.map_fd, mapFd);
  return b;
}

/** Decodes the attr of `BPF_PROG_BIND_MAP`. */
export function decodeProgBindMap(bytes: Uint8Array): { progFd: number; mapFd: number; flags: number } {
  const L = ProgBindMapLayout.fields;
  const dv = dataView(attrBytes(bytes, ProgBindMapLayout.size, 'PROG_BIND_MAP attr'));
  return { progFd: getU32(dv, L.prog_fd), mapFd: getU32(dv, L.map_fd), flags: getU32(dv, L.flags) };
}

/** Decodes the attr of `BPF_MAP_FREEZE` (the map fd). */
export function decodeMapFreeze(bytes: Uint8Array): number {
  return getU32(dataView(attrBytes(bytes, 4, 'MAP_FREEZE attr')), MapElemLayout.fields.map_fd);
}
