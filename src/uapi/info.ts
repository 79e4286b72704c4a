/**
 * The info structs of `BPF_OBJ_GET_INFO_BY_FD`: typed {@link ProgInfo}, {@link MapInfo},
 * {@link BtfInfo}, {@link LinkInfo}, the encoding of a request (the struct with its in-pointers and
 * capacities set) and the decoding of the kernel's answer. Both directions, like the attrs.
 *
 * @module
 */

import { dataView, getName, getS32, getU32, getU64, put, putName } from './codec.js';
import { BtfInfoLayout, LinkInfoLayout, MapInfoLayout, ProgInfoLayout } from './layout.js';
import type { AttrMemory } from './memory.js';

// ---------------------------------------------------------------------------------------------
// Programs

/** Output buffers of a program info request; each one's length is its capacity. */
export interface ProgInfoRequest {
  /** Receives the translated (post-verifier) instructions. */
  xlatedProgInsns?: Uint8Array;
  /** Receives the JITed machine code. */
  jitedProgInsns?: Uint8Array;
  /** Receives the ids of the maps the program uses (4 bytes each). */
  mapIds?: Uint8Array;
}

/** `struct bpf_prog_info`, decoded. */
export interface ProgInfo {
  /** {@link ProgType}. */
  type: number;
  id: number;
  /** The program tag (8 bytes). */
  tag: Uint8Array;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** ns since boot. */
  loadTime: bigint;
  createdByUid: number;
  nrMapIds: number;
  name: string;
  ifindex: number;
  gplCompatible: boolean;
  netnsDev: bigint;
  netnsIno: bigint;
  nrJitedKsyms: number;
  nrJitedFuncLens: number;
  btfId: number;
  funcInfoRecSize: number;
  nrFuncInfo: number;
  nrLineInfo: number;
  nrJitedLineInfo: number;
  lineInfoRecSize: number;
  jitedLineInfoRecSize: number;
  nrProgTags: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

/** Encodes a program info request (the struct the caller passes in). */
export function encodeProgInfoRequest(r: ProgInfoRequest, mem: AttrMemory): Uint8Array {
  const L = ProgInfoLayout.fields;
  const b = new Uint8Array(ProgInfoLayout.size);
  const dv = dataView(b);
  if (r.xlatedProgInsns !== undefined) {
    put(dv, L.xlated_prog_len, r.xlatedProgInsns.length);
    put(dv, L.xlated_prog_insns, mem.addressOf(r.xlatedProgInsns));
  }
  if (r.jitedProgInsns !== undefined) {
    put(dv, L.jited_prog_len, r.jitedProgInsns.length);
    put(dv, L.jited_prog_insns, mem.addressOf(r.jitedProgInsns));
  }
  if (r.mapIds !== undefined) {
    put(dv, L.nr_map_ids, Math.floor(r.mapIds.length / 4));
    put(dv, L.map_ids, mem.addressOf(r.mapIds));
  }
  return b;
}

/** Decodes a program info request (what the machine reads from a caller). */
export function decodeProgInfoRequest(bytes: Uint8Array, mem: AttrMemory): ProgInfoRequest {
  const L = ProgInfoLayout.fields;
  const dv = dataView(bytes);
  const out: ProgInfoRequest = {};
  const at = (f: readonly [number, number]) => (bytes.length >= f[0] + f[1] ? getU64(dv, f) : 0n);
  const n = (f: readonly [number, number]) => (bytes.length >= f[0] + f[1] ? getU32(dv, f) : 0);
  const x = at(L.xlated_prog_insns);
  if (x !== 0n) out.xlatedProgInsns = mem.view(x, n(L.xlated_prog_len));
  const j = at(L.jited_prog_insns);
  if (j !== 0n) out.jitedProgInsns = mem.view(j, n(L.jited_prog_len));
  const m = at(L.map_ids);
  if (m !== 0n) out.mapIds = mem.view(m, 4 * n(L.nr_map_ids));
  return out;
}

/** Decodes `struct bpf_prog_info` (`bytes` may be shorter: missing fields read as 0). */
export function decodeProgInfo(bytes: Uint8Array): ProgInfo {
  const L = ProgInfoLayout.fields;
  const b = padTo(bytes, ProgInfoLayout.size);
  const dv = dataView(b);
  return {
    type: getU32(dv, L.type),
    id: getU32(dv, L.id),
    tag: b.slice(L.tag[0], L.tag[0] + L.tag[1]),
    jitedProgLen: getU32(dv, L.jited_prog_len),
    xlatedProgLen: getU32(dv, L.xlated_prog_len),
    loadTime: getU64(dv, L.load_time),
    createdByUid: getU32(dv, L.created_by_uid),
    nrMapIds: getU32(dv, L.nr_map_ids),
    name: getName(b, L.name),
    ifindex: getU32(dv, L.ifindex),
    gplCompatible: (dv.getUint32(L.ifindex[0] + 4, true) & 1) === 1,
    netnsDev: getU64(dv, L.netns_dev),
    netnsIno: getU64(dv, L.netns_ino),
    nrJitedKsyms: getU32(dv, L.nr_jited_ksyms),
    nrJitedFuncLens: getU32(dv, L.nr_jited_func_lens),
    btfId: getU32(dv, L.btf_id),
    funcInfoRecSize: getU32(dv, L.func_info_rec_size),
    nrFuncInfo: getU32(dv, L.nr_func_info),
    nrLineInfo: getU32(dv, L.nr_line_info),
    nrJitedLineInfo: getU32(dv, L.nr_jited_line_info),
    lineInfoRecSize: getU32(dv, L.line_info_rec_size),
    jitedLineInfoRecSize: getU32(dv, L.jited_line_info_rec_size),
    nrProgTags: getU32(dv, L.nr_prog_tags),
    runTimeNs: getU64(dv, L.run_time_ns),
    runCnt: getU64(dv, L.run_cnt),
    recursionMisses: getU64(dv, L.recursion_misses),
    verifiedInsns: getU32(dv, L.verified_insns),
    attachBtfObjId: getU32(dv, L.attach_btf_obj_id),
    attachBtfId: getU32(dv, L.attach_btf_id),
  };
}

/** Encodes a {@link ProgInfo} into `struct bpf_prog_info` bytes (the machine's answer). */
export function encodeProgInfo(
  i: ProgInfo,
  into: Uint8Array = new Uint8Array(ProgInfoLayout.size),
): Uint8Array {
  const L = ProgInfoLayout.fields;
  const full = new Uint8Array(ProgInfoLayout.size);
  full.set(into.subarray(0, Math.min(into.length, full.length)));
  const dv = dataView(full);
  put(dv, L.type, i.type);
  put(dv, L.id, i.id);
  full.set(i.tag.subarray(0, 8), L.tag[0]);
  put(dv, L.jited_prog_len, i.jitedProgLen);
  put(dv, L.xlated_prog_len, i.xlatedProgLen);
  put(dv, L.load_time, i.loadTime);
  put(dv, L.created_by_uid, i.createdByUid);
  put(dv, L.nr_map_ids, i.nrMapIds);
  putName(full, L.name, i.name);
  put(dv, L.ifindex, i.ifindex);
  dv.setUint32(L.ifindex[0] + 4, i.gplCompatible ? 1 : 0, true);
  put(dv, L.netns_dev, i.netnsDev);
  put(dv, L.netns_ino, i.netnsIno);
  put(dv, L.nr_jited_ksyms, i.nrJitedKsyms);
  put(dv, L.nr_jited_func_lens, i.nrJitedFuncLens);
  put(dv, L.btf_id, i.btfId);
  put(dv, L.func_info_rec_size, i.funcInfoRecSize);
  put(dv, L.nr_func_info, i.nrFuncInfo);
  put(dv, L.nr_line_info, i.nrLineInfo);
  put(dv, L.nr_jited_line_info, i.nrJitedLineInfo);
  put(dv, L.line_info_rec_size, i.lineInfoRecSize);
  put(dv, L.jited_line_info_rec_size, i.jitedLineInfoRecSize);
  put(dv, L.nr_prog_tags, i.nrProgTags);
  put(dv, L.run_time_ns, i.runTimeNs);
  put(dv, L.run_cnt, i.runCnt);
  put(dv, L.recursion_misses, i.recursionMisses);
  put(dv, L.verified_insns, i.verifiedInsns);
  put(dv, L.attach_btf_obj_id, i.attachBtfObjId);
  put(dv, L.attach_btf_id, i.attachBtfId);
  into.set(full.subarray(0, Math.min(into.length, full.length)));
  return into;
}

// ---------------------------------------------------------------------------------------------
// Maps

/** `struct bpf_map_info`, decoded. */
export interface MapInfo {
  /** {@link MapType}. */
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  name: string;
  ifindex: number;
  btfVmlinuxValueTypeId: number;
  netnsDev: bigint;
  netnsIno: bigint;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxId: number;
  mapExtra: bigint;
  /** The content hash, when requested (frozen array maps only: 32 bytes of SHA-256). */
  hash?: Uint8Array;
}

/** Encodes a map info request: `hash` receives the content hash (32 bytes). */
export function encodeMapInfoRequest(r: { hash?: Uint8Array }, mem: AttrMemory): Uint8Array {
  const L = MapInfoLayout.fields;
  const b = new Uint8Array(MapInfoLayout.size);
  const dv = dataView(b);
  if (r.hash !== undefined) {
    put(dv, L.hash, mem.addressOf(r.hash));
    put(dv, L.hash_size, r.hash.length);
  }
  return b;
}

/** Decodes a map info request. */
export function decodeMapInfoRequest(bytes: Uint8Array, mem: AttrMemory): { hash?: Uint8Array } {
  const L = MapInfoLayout.fields;
  if (bytes.length < L.hash_size[0] + 4) return {};
  const dv = dataView(bytes);
  const a = getU64(dv, L.hash);
  return a === 0n ? {} : { hash: mem.view(a, getU32(dv, L.hash_size)) };
}

/** Decodes `struct bpf_map_info`; `hash` is the buffer given in the request, if any. */
export function decodeMapInfo(bytes: Uint8Array, hash?: Uint8Array): MapInfo {
  const L = MapInfoLayout.fields;
  const b = padTo(bytes, MapInfoLayout.size);
  const dv = dataView(b);
  const info: MapInfo = {
    type: getU32(dv, L.type),
    id: getU32(dv, L.id),
    keySize: getU32(dv, L.key_size),
    valueSize: getU32(dv, L.value_size),
    maxEntries: getU32(dv, L.max_entries),
    mapFlags: getU32(dv, L.map_flags),
    name: getName(b, L.name),
    ifindex: getU32(dv, L.ifindex),
    btfVmlinuxValueTypeId: getU32(dv, L.btf_vmlinux_value_type_id),
    netnsDev: getU64(dv, L.netns_dev),
    netnsIno: getU64(dv, L.netns_ino),
    btfId: getU32(dv, L.btf_id),
    btfKeyTypeId: getU32(dv, L.btf_key_type_id),
    btfValueTypeId: getU32(dv, L.btf_value_type_id),
    btfVmlinuxId: getU32(dv, L.btf_vmlinux_id),
    mapExtra: getU64(dv, L.map_extra),
  };
  if (hash !== undefined) info.hash = hash.slice(0, getU32(dv, L.hash_size));
  return info;
}

/** Encodes a {@link MapInfo} into `struct bpf_map_info` bytes (the machine's answer). */
export function encodeMapInfo(i: MapInfo, into: Uint8Array = new Uint8Array(MapInfoLayout.size)): Uint8Array {
  const L = MapInfoLayout.fields;
  const full = new Uint8Array(MapInfoLayout.size);
  full.set(into.subarray(0, Math.min(into.length, full.length)));
  const dv = dataView(full);
  put(dv, L.type, i.type);
  put(dv, L.id, i.id);
  put(dv, L.key_size, i.keySize);
  put(dv, L.value_size, i.valueSize);
  put(dv, L.max_entries, i.maxEntries);
  put(dv, L.map_flags, i.mapFlags);
  putName(full, L.name, i.name);
  put(dv, L.ifindex, i.ifindex);
  put(dv, L.btf_vmlinux_value_type_id, i.btfVmlinuxValueTypeId);
  put(dv, L.netns_dev, i.netnsDev);
  put(dv, L.netns_ino, i.netnsIno);
  put(dv, L.btf_id, i.btfId);
  put(dv, L.btf_key_type_id, i.btfKeyTypeId);
  put(dv, L.btf_value_type_id, i.btfValueTypeId);
  put(dv, L.btf_vmlinux_id, i.btfVmlinuxId);
  put(dv, L.map_extra, i.mapExtra);
  if (i.hash !== undefined) put(dv, L.hash_size, i.hash.length);
  into.set(full.subarray(0, Math.min(into.length, full.length)));
  return into;
}

// ---------------------------------------------------------------------------------------------
// BTF objects

/** `struct bpf_btf_info`, decoded. */
export interface BtfInfo {
  id: number;
  btfSize: number;
  /** Name (kernel and module BTF have one). */
  name: string;
  kernelBtf: boolean;
  /** The raw BTF, when requested. */
  btf?: Uint8Array;
}

/** Encodes a BTF info request: `btf` receives the raw BTF, `name` the name. */
export function encodeBtfInfoRequest(
  r: { btf?: Uint8Array; name?: Uint8Array },
  mem: AttrMemory,
): Uint8Array {
  const L = BtfInfoLayout.fields;
  const b = new Uint8Array(BtfInfoLayout.size);
  const dv = dataView(b);
  if (r.btf !== undefined) {
    put(dv, L.btf, mem.addressOf(r.btf));
    put(dv, L.btf_size, r.btf.length);
  }
  if (r.name !== undefined) {
    put(dv, L.name, mem.addressOf(r.name));
    put(dv, L.name_len, r.name.length);
  }
  return b;
}

/** Decodes `struct bpf_btf_info` with the buffers given in the request. */
export function decodeBtfInfo(bytes: Uint8Array, req: { btf?: Uint8Array; name?: Uint8Array } = {}): BtfInfo {
  const L = BtfInfoLayout.fields;
  const b = padTo(bytes, BtfInfoLayout.size);
  const dv = dataView(b);
  const btfSize = getU32(dv, L.btf_size);
  let name = '';
  if (req.name !== undefined) {
    const nul = req.name.indexOf(0);
    name = new TextDecoder().decode(nul < 0 ? req.name : req.name.subarray(0, nul));
  }
  const info: BtfInfo = { id: getU32(dv, L.id), btfSize, name, kernelBtf: getU32(dv, L.kernel_btf) !== 0 };
  if (req.btf !== undefined && btfSize <= req.btf.length) info.btf = req.btf.slice(0, btfSize);
  return info;
}

// ---------------------------------------------------------------------------------------------
// Links

/** `struct bpf_link_info`, decoded: the common part and the variant for its type. */
export interface LinkInfo {
  /** {@link LinkType}. */
  type: number;
  id: number;
  progId: number;
  /** Type-specific fields by kernel name (e.g. `ifindex` for XDP, `attach_type` for tracing). */
  detail: Record<string, number | bigint>;
}

const LINK_DETAIL: Record<number, readonly string[]> = {
  2: ['tracing.attach_type', 'tracing.target_obj_id', 'tracing.target_btf_id'],
  3: ['cgroup.cgroup_id', 'cgroup.attach_type'],
  5: ['netns.netns_ino', 'netns.attach_type'],
  6: ['xdp.ifindex'],
  10: ['netfilter.pf', 'netfilter.hooknum', 'netfilter.priority', 'netfilter.flags'],
  11: ['tcx.ifindex', 'tcx.attach_type'],
};

/** Decodes `struct bpf_link_info` (common part; the variant of tracing, cgroup, netns, xdp, netfilter, tcx). */
export function decodeLinkInfo(bytes: Uint8Array): LinkInfo {
  const L = LinkInfoLayout.fields as Record<string, readonly [number, number]>;
  const b = padTo(bytes, LinkInfoLayout.size);
  const dv = dataView(b);
  const type = getU32(dv, L.type!);
  const detail: Record<string, number | bigint> = {};
  for (const k of LINK_DETAIL[type] ?? []) {
    const f = L[k]!;
    detail[k.slice(k.indexOf('.') + 1)] =
      f[1] === 8 ? getU64(dv, f) : k.endsWith('priority') ? getS32(dv, f) : getU32(dv, f);
  }
  return { type, id: getU32(dv, L.id!), progId: getU32(dv, L.prog_id!), detail };
}

function padTo(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length >= size) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}
