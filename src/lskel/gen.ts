/**
 * The light-skeleton generator: from an {@link ObjectSpec}, a loader program
 * (BPF_PROG_TYPE_SYSCALL, sleepable) and a data blob. Run once through BPF_PROG_TEST_RUN with
 * the blob in the metadata map (fd_array[0] of the loader), the loader:
 *
 * 1. (signed, inline scheme) reads `map->excl` and `map->sha` of the metadata map through its
 *    map pointer and refuses a map that is not exclusive (-EPERM) or whose hash differs from
 *    the SHA-256 embedded in four `ld_imm64` immediates of the signed instructions (-EBADMSG).
 *    Under the load-time scheme the loader checks nothing: the kernel verifies the signature
 *    over the instructions followed by the blob (see {@link signedContent});
 * 2. creates every map from the `BPF_MAP_CREATE` attr in the blob (an unsigned loader first
 *    applies the host's `max_entries` override from the context; a signed one ignores it);
 * 3. writes initial data (`BPF_MAP_UPDATE_ELEM` from the blob) and freezes read-only data;
 * 4. patches each program's map loads in the blob (`ld_imm64` MAP_FD / MAP_VALUE, imm = the new
 *    map fd, so the loaded programs hash exactly like direct loads) and loads it;
 * 5. returns the fds in the context; on any error it closes every fd it created and returns
 *    the negative errno.
 *
 * The context is laid out as libbpf's `struct bpf_loader_ctx` (sz, flags, log_level, log_size,
 * log_buf), then one `struct bpf_map_desc` per map (map_fd, max_entries, initial_value) and one
 * `struct bpf_prog_desc` per program (prog_fd).
 *
 * The object's BTF is loaded first (as the loader issue's `loadableBtf` prepares it): maps get
 * their BTF key/value types, programs their func_info; the BTF fd is closed at the end.
 *
 * Map-in-map: the inner template is created first, used for the outer map and closed;
 * `.values` initializers fill outer maps (after every map exists) and prog_arrays (after every
 * program is loaded).
 *
 * Not supported yet (a {@link UnsupportedError} names the feature): line_info, externs
 * (kconfig, ksyms, kfuncs), CO-RE relocations. Initial-value overrides of unsigned loaders come as
 * user pointers (`bpf_copy_from_user`): they work from C (the header over `skel_internal.h`), not
 * from {@link loadAndRun}, which has no user memory to point to.
 * Map pinning (`LIBBPF_PIN_BY_NAME`) is not applied: the maps are returned to the host, which
 * may pin them.
 *
 * @module
 */

import { BTF_INT, Btf } from '../btf/index.js';
import { linkProgram } from '../elf/link.js';
import type { MapSpec, ObjectSpec } from '../elf/object.js';
import { mapContentHash, progHash } from '../hash/index.js';
import {
  add64Imm,
  call,
  callKfunc,
  exit,
  jeqImm,
  jneImm,
  jneReg,
  jsleImm,
  jsltImm,
  label,
  ldImm64,
  ldMapIdx,
  ldMapIdxValue,
  ldxDW,
  ldxW,
  mov64Imm,
  mov64Reg,
  type ProgramItem,
  program,
  R0,
  R1,
  R2,
  R3,
  R6,
  R7,
  R8,
  R9,
  R10,
  stxDW,
  stxW,
} from '../isa/builder.js';
import { encode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { LD_IMM64, Pseudo } from '../isa/opcodes.js';
import { BpfObject } from '../loader/object.js';
import { encodeMapCreate, encodeProgLoad } from '../uapi/attrs.js';
import { Cmd, Helper, MapType, ProgFlag } from '../uapi/constants.js';
import { BtfLoadLayout, MapCreateLayout, MapElemLayout, ProgLoadLayout } from '../uapi/layout.js';
import type { AttrMemory } from '../uapi/memory.js';

/** How the metadata (blob) is bound to the signature. */
export type MetadataScheme = 'inline' | 'kfunc' | 'load-time';

/** Byte offsets of the loader context. */
export const LoaderCtx = {
  /** `struct bpf_loader_ctx` size. */
  HEADER: 24,
  /** `struct bpf_map_desc` size: map_fd (s32), max_entries (u32), initial_value (u64). */
  MAP_DESC: 16,
  /** `struct bpf_prog_desc` size: prog_fd (s32). */
  PROG_DESC: 4,
} as const;

/** A map the skeleton creates. */
export interface LskelMap {
  /** Name in the object (`.data`, `flows`). */
  name: string;
  /** Name given to the kernel (at most 15 characters). */
  kernelName: string;
  /** Offset of its `bpf_map_desc` in the context. */
  descOffset: number;
  /** The signed creation parameters. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Initial value (global data), as signed. */
  initialValue: Uint8Array | undefined;
  /** Frozen after it is filled. */
  readonly: boolean;
}

/** A program the skeleton loads. */
export interface LskelProgram {
  name: string;
  kernelName: string;
  /** Offset of its `bpf_prog_desc` in the context. */
  descOffset: number;
  type: number;
  /** Program hash of the instructions as the loader loads them (map imms are zeroed by the hash). */
  hash: Uint8Array;
}

/** A generated light skeleton (signature added by {@link signLightSkeleton}). */
export interface LightSkeleton {
  /** Object name (C identifier). */
  name: string;
  /** Loader instructions (little-endian). */
  insns: Uint8Array;
  /** The data blob (the metadata map's single value). */
  data: Uint8Array;
  /** Signed loaders check their metadata and ignore host overrides. */
  signed: boolean;
  /** Metadata scheme of a signed loader. */
  scheme: MetadataScheme | undefined;
  /** progHash(insns): the metadata map's excl_prog_hash. */
  exclProgHash: Uint8Array;
  /** SHA-256 content hash of the metadata map (the value embedded in the signed loader). */
  metadataHash: Uint8Array;
  /** Context size in bytes. */
  ctxSize: number;
  maps: LskelMap[];
  programs: LskelProgram[];
  /** CMS signature over {@link signedContent} (absent until signed). */
  signature?: Uint8Array;
  /**
   * Kfunc scheme: the loader's minimal prog BTF declaring `bpf_loader_verify_metadata` (loaded
   * by the runner, passed as fd_array[1], covered by the signature).
   */
  kfuncBtf?: Uint8Array;
}

/** Type id of `bpf_loader_verify_metadata` in {@link kfuncBtf}. */
export const KFUNC_BTF_ID = 4;

/**
 * The minimal BTF the kfunc scheme's loader declares its kfunc in:
 * `int bpf_loader_verify_metadata(void *map, void *hash, int hash__sz)` (extern FUNC, id 4).
 */
export function kfuncBtf(): Uint8Array {
  const btf = new Btf();
  const int = btf.addInt('int', 4, { encoding: BTF_INT.SIGNED });
  const voidPtr = btf.addPtr(0);
  const proto = btf.addFuncProto(int, [
    { name: 'map', type: voidPtr },
    { name: 'hash', type: voidPtr },
    { name: 'hash__sz', type: int },
  ]);
  btf.addFunc('bpf_loader_verify_metadata', proto, 'extern');
  return btf.serialize();
}

/** A feature of the object that the generator does not handle yet. */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/** Options of {@link generateLightSkeleton}. */
export interface GenerateOptions {
  /** Object name (default `obj`). */
  name?: string;
  /** Generate a signed loader (default false). */
  signed?: boolean;
  /** Metadata scheme of a signed loader (default `inline`). */
  scheme?: MetadataScheme;
}

/**
 * The bytes a skeleton's signature covers: the loader's instructions, followed by the blob under
 * the load-time scheme (the kernel appends the frozen contents of the exclusive maps in
 * fd_array; the blob's size is a multiple of 8, so it is its own padded content), or by the
 * minimal prog BTF under the kfunc scheme.
 */
export function signedContent(l: Pick<LightSkeleton, 'insns' | 'data' | 'scheme' | 'kfuncBtf'>): Uint8Array {
  const tail = l.scheme === 'load-time' ? l.data : l.scheme === 'kfunc' ? l.kfuncBtf : undefined;
  if (tail === undefined) return l.insns;
  const out = new Uint8Array(l.insns.length + tail.length);
  out.set(l.insns);
  out.set(tail, l.insns.length);
  return out;
}

/** errno values the loader returns (negated) when the metadata check fails. */
export const LoaderRefusal = {
  /** The metadata map is not exclusive to the loader. */
  NOT_EXCLUSIVE: 1, // EPERM
  /** The metadata map's hash differs from the signed one. */
  HASH_MISMATCH: 74, // EBADMSG
} as const;

const NO_MEMORY: AttrMemory = {
  addressOf: () => 0n,
  view: () => {
    throw new RangeError('no memory');
  },
  cString: () => '',
};

function kernelName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Checks that the generator can build a loader for this map. */
function checkMap(m: MapSpec): void {
  if ((m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) && m.inner === undefined)
    throw new UnsupportedError(`map '${m.name}': map-in-map without an inner map template`);
  if (m.inner?.inner !== undefined)
    throw new UnsupportedError(`map '${m.name}': nested map-in-map templates are not supported`);
}

/** Map types created without BTF key/value types (their values are fds). */
const NO_BTF_TYPES: ReadonlySet<number> = new Set([
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.PROG_ARRAY,
]);

/**
 * Generates the loader and blob for `spec`. Throws {@link UnsupportedError} for features the
 * generator does not cover yet, RangeError for a blob beyond the stores' 16-bit offsets where
 * it matters.
 */
export function generateLightSkeleton(spec: ObjectSpec, opts: GenerateOptions = {}): LightSkeleton {
  const signed = opts.signed ?? false;
  const scheme = signed ? (opts.scheme ?? 'inline') : undefined;
  if (spec.endian !== 'little')
    throw new UnsupportedError('big-endian objects cannot be loaded on this host');
  if (spec.externs.length > 0)
    throw new UnsupportedError('externs (kconfig, ksym, kfunc) are not supported yet');
  for (const m of spec.maps) checkMap(m);

  // ---- blob layout -------------------------------------------------------------------------
  const chunks: { off: number; bytes: Uint8Array }[] = [];
  let size = 0;
  const put = (bytes: Uint8Array): number => {
    const off = size;
    chunks.push({ off, bytes });
    size = align8(size + bytes.length);
    return off;
  };
  // The object's BTF as the kernel takes it (DATASECs fixed up, externs made loadable), loaded
  // first: maps get their key/value types from it, programs their func_info (global
  // subprograms need it).
  const btf = spec.btf !== undefined ? BpfObject.fromSpec(spec).loadableBtf() : undefined;
  const btfFdSlot = put(new Uint8Array(8));
  let btfOff = -1;
  let btfAttrOff = -1;
  if (btf !== undefined) {
    btfOff = put(btf);
    const a = new Uint8Array(BtfLoadLayout.size);
    new DataView(a.buffer).setUint32(BtfLoadLayout.fields.btf_size[0], btf.length, true);
    btfAttrOff = put(a);
  }
  const mapIndex = new Map<string, number>();
  const maps: LskelMap[] = [];
  const mapHasBtf: boolean[] = [];
  // Map-in-map: the inner template's attr (created, used for the outer map, closed again).
  const innerAttrOff = new Map<number, number>();
  const innerFdSlot = put(new Uint8Array(8));
  const mapAttrOff: number[] = [];
  spec.maps.forEach((m, i) => {
    mapIndex.set(m.name, i);
    const attr = encodeMapCreate(
      {
        mapType: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        mapFlags: m.flags,
        numaNode: m.numaNode,
        mapName: kernelName(m.name),
        mapExtra: m.mapExtra,
        btfKeyTypeId:
          btf !== undefined && m.origin !== 'data' && !NO_BTF_TYPES.has(m.type) ? (m.keyType ?? 0) : 0,
        btfValueTypeId:
          btf === undefined || NO_BTF_TYPES.has(m.type)
            ? 0
            : m.origin === 'data'
              ? (m.btfId ?? 0)
              : (m.valueType ?? 0),
      },
      NO_MEMORY,
    );
    mapHasBtf.push(
      btf !== undefined &&
        !NO_BTF_TYPES.has(m.type) &&
        (m.origin === 'data' ? m.btfId !== undefined : m.valueType !== undefined),
    );
    if (m.inner !== undefined) {
      const t = m.inner;
      innerAttrOff.set(
        i,
        put(
          encodeMapCreate(
            {
              mapType: t.type,
              keySize: t.keySize,
              valueSize: t.valueSize,
              maxEntries: t.maxEntries,
              mapFlags: t.flags,
              mapExtra: t.mapExtra,
            },
            NO_MEMORY,
          ),
        ),
      );
    }
    mapAttrOff.push(put(attr));
    maps.push({
      name: m.name,
      kernelName: kernelName(m.name),
      descOffset: LoaderCtx.HEADER + i * LoaderCtx.MAP_DESC,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      initialValue: m.data?.slice(),
      readonly: m.readonly,
    });
  });
  const keyOff = put(new Uint8Array(8)); // u32 key 0 for data maps
  // `.values` initializers: outer map or prog_array slot `index` gets the fd of `target`.
  const inits: {
    map: number;
    kind: 'map' | 'program';
    target: string;
    attrOff: number;
    keyOff: number;
    valOff: number;
  }[] = [];
  spec.maps.forEach((m, i) => {
    for (const v of m.values) {
      const key = new Uint8Array(Math.max(8, m.keySize));
      new DataView(key.buffer).setUint32(0, v.index, true);
      inits.push({
        map: i,
        kind: v.kind,
        target: v.target,
        attrOff: put(new Uint8Array(MapElemLayout.size)),
        keyOff: put(key),
        valOff: put(new Uint8Array(8)),
      });
    }
  });
  const updAttrOff: (number | undefined)[] = [];
  const valueOff: (number | undefined)[] = [];
  const freezeOff: (number | undefined)[] = [];
  for (const m of spec.maps) {
    // Unsigned loaders fill every data map (the host may supply its initial value); signed ones
    // only those whose signed value is not all zeros (or that are frozen).
    const needsData = m.data !== undefined && (!signed || m.data.some((b) => b !== 0) || m.readonly);
    valueOff.push(needsData ? put(m.data as Uint8Array) : undefined);
    updAttrOff.push(needsData ? put(new Uint8Array(MapElemLayout.size)) : undefined);
    freezeOff.push(m.readonly ? put(new Uint8Array(8)) : undefined);
  }
  const license = new TextEncoder().encode(`${spec.license}\0`);
  const progCtxBase = LoaderCtx.HEADER + spec.maps.length * LoaderCtx.MAP_DESC;
  const progs: {
    lp: LskelProgram;
    insnsOff: number;
    licOff: number;
    attrOff: number;
    funcInfoOff: number;
    relocs: { slot: number; map: number }[];
  }[] = [];
  spec.programs.forEach((p, j) => {
    const linked = linkProgram(spec, p.name);
    const insns: Insn[] = linked.insns.map((x) => ({ ...x }));
    const relocs: { slot: number; map: number }[] = [];
    for (const r of linked.relocations) {
      if (r.kind === 'extern') throw new UnsupportedError(`program '${p.name}': extern '${r.extern}'`);
      const mi = mapIndex.get(r.map);
      if (mi === undefined) throw new UnsupportedError(`program '${p.name}': unknown map '${r.map}'`);
      const ins = insns[r.insn] as Insn;
      if (ins.code !== LD_IMM64)
        throw new UnsupportedError(`program '${p.name}': relocation on a non-ld_imm64 at slot ${r.slot}`);
      if (r.kind === 'map') insns[r.insn] = { ...ins, src: Pseudo.MAP_FD, imm: 0, imm2: 0 };
      else insns[r.insn] = { ...ins, src: Pseudo.MAP_VALUE, imm: 0, imm2: r.offset };
      relocs.push({ slot: r.slot, map: mi });
    }
    if (linked.coreRelos.length > 0) throw new UnsupportedError(`program '${p.name}': CO-RE relocations`);
    const bytes = encode(insns);
    const insnsOff = put(bytes);
    const licOff = put(license);
    let funcInfo: Uint8Array | undefined;
    if (btf !== undefined && linked.funcInfo.length > 0) {
      funcInfo = new Uint8Array(8 * linked.funcInfo.length);
      const fv = new DataView(funcInfo.buffer);
      linked.funcInfo.forEach((f, k) => {
        fv.setUint32(8 * k, f.slot, true);
        fv.setUint32(8 * k + 4, f.typeId, true);
      });
    }
    const funcInfoOff = funcInfo !== undefined ? put(funcInfo) : -1;
    let flags = 0;
    if (p.sleepable) flags |= ProgFlag.SLEEPABLE;
    if (p.xdpFrags) flags |= ProgFlag.XDP_HAS_FRAGS;
    const attr = encodeProgLoad(
      {
        progType: p.type,
        insns: bytes,
        license: spec.license,
        progFlags: flags,
        progName: kernelName(p.name),
        expectedAttachType: p.attachType,
        kernVersion: p.kernelVersion,
        funcInfo,
        funcInfoRecSize: 8,
      },
      NO_MEMORY,
    );
    const attrOff = put(attr);
    progs.push({
      lp: {
        name: p.name,
        kernelName: kernelName(p.name),
        descOffset: progCtxBase + j * LoaderCtx.PROG_DESC,
        type: p.type,
        hash: progHash(bytes),
      },
      insnsOff,
      licOff,
      attrOff,
      funcInfoOff,
      relocs,
    });
  });
  const data = new Uint8Array(size);
  for (const c of chunks) data.set(c.bytes, c.off);
  const ctxSize = progCtxBase + spec.programs.length * LoaderCtx.PROG_DESC;
  const metadataHash = mapContentHash(data, data.length, 1);

  // ---- loader program ----------------------------------------------------------------------
  const code: ProgramItem[] = [];
  const emit = (...xs: ProgramItem[]): void => {
    code.push(...xs);
  };
  // Stores `reg` (u32 or u64) at blob offset `off` (r9 = blob base).
  const storeBlob = (off: number, reg: typeof R1, wide: boolean): void => {
    if (off <= 0x7fff) emit(wide ? stxDW(R9, off, reg) : stxW(R9, off, reg));
    else emit(mov64Reg(R3, R9), add64Imm(R3, off), wide ? stxDW(R3, 0, reg) : stxW(R3, 0, reg));
  };
  const storePtr = (fieldOff: number, targetOff: number): void => {
    emit(mov64Reg(R2, R9), add64Imm(R2, targetOff));
    storeBlob(fieldOff, R2, true);
  };
  const sysBpf = (cmd: number, attrOff: number, attrSize: number): void => {
    emit(
      mov64Imm(R1, cmd),
      mov64Reg(R2, R9),
      add64Imm(R2, attrOff),
      mov64Imm(R3, attrSize),
      call(Helper.sys_bpf),
    );
    emit(mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'));
  };

  emit(mov64Reg(R6, R1), mov64Imm(R7, 0), ldMapIdxValue(R9, 0, 0));
  // Zero every fd slot of the context, so cleanup closes only what this run created.
  emit(mov64Imm(R1, 0), stxW(R9, btfFdSlot, R1), stxW(R9, innerFdSlot, R1));
  for (const m of maps) emit(stxW(R6, m.descOffset, R1));
  for (const p of progs) emit(stxW(R6, p.lp.descOffset, R1));
  if (scheme === 'inline') {
    // Inline scheme: map->excl must be set and map->sha must equal the signed hash.
    emit(
      ldMapIdx(R1, 0),
      ldxW(R2, R1, 32),
      mov64Imm(R7, -LoaderRefusal.NOT_EXCLUSIVE),
      jeqImm(R2, 0, 'cleanup'),
    );
    emit(mov64Imm(R7, -LoaderRefusal.HASH_MISMATCH));
    const dv = new DataView(metadataHash.buffer, metadataHash.byteOffset, 32);
    for (let i = 0; i < 4; i++) {
      emit(ldxDW(R2, R1, 8 * i), ldImm64(R3, dv.getBigUint64(8 * i, true)), jneReg(R2, R3, 'cleanup'));
    }
    emit(mov64Imm(R7, 0));
  } else if (scheme === 'kfunc') {
    // Kfunc scheme: the signed hash goes on the stack and bpf_loader_verify_metadata(map, hash,
    // 32), declared in the minimal prog BTF at fd_array[1], checks it.
    const dv = new DataView(metadataHash.buffer, metadataHash.byteOffset, 32);
    for (let i = 0; i < 4; i++) emit(ldImm64(R1, dv.getBigUint64(8 * i, true)), stxDW(R10, -32 + 8 * i, R1));
    emit(ldMapIdx(R1, 0), mov64Reg(R2, R10), add64Imm(R2, -32), mov64Imm(R3, 32), callKfunc(KFUNC_BTF_ID, 1));
    emit(mov64Reg(R7, R0), jneImm(R0, 0, 'cleanup'));
  }
  const ML = MapCreateLayout.fields;
  const BL = BtfLoadLayout.fields;
  const EL = MapElemLayout.fields;
  const PL = ProgLoadLayout.fields;
  if (btf !== undefined) {
    storePtr(btfAttrOff + BL.btf[0], btfOff);
    sysBpf(Cmd.BTF_LOAD, btfAttrOff, BtfLoadLayout.size);
    emit(mov64Reg(R8, R0), stxW(R9, btfFdSlot, R8));
    maps.forEach((_, i) => {
      if (mapHasBtf[i]) storeBlob((mapAttrOff[i] as number) + ML.btf_fd[0], R8, false);
    });
    for (const p of progs) storeBlob(p.attrOff + PL.prog_btf_fd[0], R8, false);
  }
  maps.forEach((m, i) => {
    const a = mapAttrOff[i] as number;
    if (!signed) {
      emit(ldxW(R1, R6, m.descOffset + 4), jeqImm(R1, 0, `keep_${i}`));
      storeBlob(a + ML.max_entries[0], R1, false);
      emit(label(`keep_${i}`));
    }
    const ia = innerAttrOff.get(i);
    if (ia !== undefined) {
      sysBpf(Cmd.MAP_CREATE, ia, MapCreateLayout.size);
      emit(stxW(R9, innerFdSlot, R0));
      storeBlob(a + ML.inner_map_fd[0], R0, false);
    }
    sysBpf(Cmd.MAP_CREATE, a, MapCreateLayout.size);
    emit(mov64Reg(R8, R0), stxW(R6, m.descOffset, R8));
    if (ia !== undefined) {
      emit(ldxW(R1, R9, innerFdSlot), call(Helper.sys_close), mov64Imm(R1, 0), stxW(R9, innerFdSlot, R1));
    }
    // The new fd goes into the programs' map loads, the update attr and the freeze attr.
    for (const p of progs) {
      for (const r of p.relocs) if (r.map === i) storeBlob(p.insnsOff + r.slot * 8 + 4, R8, false);
    }
    const u = updAttrOff[i];
    if (u !== undefined) {
      if (!signed) {
        // The host's initial value (ctx map_desc.initial_value, a user pointer) replaces the
        // blob's, as libbpf's unsigned loaders do; signed loaders never look at it.
        const v = valueOff[i] as number;
        emit(ldxDW(R3, R6, m.descOffset + 8), jeqImm(R3, 0, `iv_${i}`));
        emit(mov64Reg(R1, R9), add64Imm(R1, v), mov64Imm(R2, m.valueSize), call(Helper.copy_from_user));
        emit(mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'), label(`iv_${i}`));
      }
      storeBlob(u + EL.map_fd[0], R8, false);
      storePtr(u + EL.key[0], keyOff);
      storePtr(u + EL.value[0], valueOff[i] as number);
      sysBpf(Cmd.MAP_UPDATE_ELEM, u, MapElemLayout.size);
    }
    const f = freezeOff[i];
    if (f !== undefined) {
      storeBlob(f, R8, false);
      sysBpf(Cmd.MAP_FREEZE, f, 4);
    }
  });
  const fill = (kind: 'map' | 'program'): void => {
    for (const x of inits) {
      if (x.kind !== kind) continue;
      const fdAt =
        kind === 'map'
          ? maps.find((m) => m.name === x.target)?.descOffset
          : progs.find((p) => p.lp.name === x.target)?.lp.descOffset;
      if (fdAt === undefined)
        throw new UnsupportedError(`map '${maps[x.map]!.name}': .values names unknown ${kind} '${x.target}'`);
      emit(ldxW(R1, R6, fdAt));
      storeBlob(x.valOff, R1, false);
      emit(ldxW(R1, R6, maps[x.map]!.descOffset));
      storeBlob(x.attrOff + EL.map_fd[0], R1, false);
      storePtr(x.attrOff + EL.key[0], x.keyOff);
      storePtr(x.attrOff + EL.value[0], x.valOff);
      sysBpf(Cmd.MAP_UPDATE_ELEM, x.attrOff, MapElemLayout.size);
    }
  };
  fill('map');
  for (const p of progs) {
    storePtr(p.attrOff + PL.insns[0], p.insnsOff);
    storePtr(p.attrOff + PL.license[0], p.licOff);
    if (p.funcInfoOff >= 0) storePtr(p.attrOff + PL.func_info[0], p.funcInfoOff);
    sysBpf(Cmd.PROG_LOAD, p.attrOff, ProgLoadLayout.size);
    emit(stxW(R6, p.lp.descOffset, R0));
  }
  fill('program');
  // Success: the BTF fd was a temporary (maps and programs hold the BTF).
  emit(ldxW(R1, R9, btfFdSlot), jsleImm(R1, 0, 'done'), call(Helper.sys_close), label('done'));
  emit(mov64Imm(R0, 0), exit());
  // Error path: close what was created (fd slots > 0), return the negative errno.
  emit(label('cleanup'));
  emit(ldxW(R1, R9, btfFdSlot), jsleImm(R1, 0, 'btf_closed'), call(Helper.sys_close), label('btf_closed'));
  emit(
    ldxW(R1, R9, innerFdSlot),
    jsleImm(R1, 0, 'inner_closed'),
    call(Helper.sys_close),
    label('inner_closed'),
  );
  [...progs.map((p) => p.lp.descOffset), ...maps.map((m) => m.descOffset)].forEach((off, k) => {
    emit(
      ldxW(R1, R6, off),
      jsleImm(R1, 0, `closed_${k}`),
      call(Helper.sys_close),
      mov64Imm(R1, 0),
      stxW(R6, off, R1),
    );
    emit(label(`closed_${k}`));
  });
  emit(mov64Reg(R0, R7), exit());
  const insns = encode(program(...code));
  return {
    name: opts.name ?? 'obj',
    insns,
    data,
    signed,
    scheme,
    exclProgHash: progHash(insns),
    metadataHash,
    ctxSize,
    maps,
    programs: progs.map((p) => p.lp),
    kfuncBtf: scheme === 'kfunc' ? kfuncBtf() : undefined,
  };
}
