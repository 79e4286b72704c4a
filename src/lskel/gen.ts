/**
 * The light-skeleton generator: from an {@link ObjectSpec} or a {@link BpfObject}, a loader program
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
 *    the negative errno. It records the step it is at in the blob ({@link LightSkeleton.steps}),
 *    and loads a refused program once more with a verifier log, so the runner can say what
 *    failed and why.
 *
 * The context is laid out as libbpf's `struct bpf_loader_ctx` (sz, flags, log_level, log_size,
 * log_buf), then one `struct bpf_map_desc` per map (map_fd, max_entries, initial_value) and one
 * `struct bpf_prog_desc` per program (prog_fd).
 *
 * The object's BTF is loaded first (as the loader layer's `loadableBtf` prepares it for a direct
 * load, extern declarations included): maps get their BTF key/value types, programs their
 * func_info, line_info and CO-RE relocations; the BTF fd is closed at the end.
 *
 * Externs, as libbpf's gen_loader treats them: `.kconfig` values are resolved when the skeleton
 * is generated (from the kernel config and release given to the {@link BpfObject}) and become the
 * initial value of a frozen `.kconfig` map. Typed `__ksym` variables, kfuncs and the attach
 * targets of BTF-typed programs are resolved when the loader runs, with
 * `bpf_btf_find_by_name_kind` (one call per symbol; BTF id in the low 32 bits of its result, BTF
 * object fd in the high ones): the ld_imm64 gets the id and the object fd, the kfunc call the id
 * and, for a module BTF, its fd_array slot. Typeless `__ksym`s get their address from
 * `bpf_kallsyms_lookup_name`. A missing `__weak` symbol becomes 0 (a typed ksym's ld_imm64
 * becomes a plain 0 load); a missing strong one makes the loader fail with -ENOENT. The module
 * BTF fds the look-ups return are closed after the programs are loaded and on error.
 *
 * CO-RE: the loader does not relocate; it passes the programs' CO-RE records (`core_relos`) to
 * PROG_LOAD with the object's BTF, and the kernel applies them against its own BTF (Linux
 * 5.17+). Programs whose final instructions depend on the running kernel (CO-RE, ksyms, kfuncs)
 * have no precomputed hash in the skeleton.
 *
 * Map-in-map: the inner template is created first, used for the outer map and closed;
 * `.values` initializers fill outer maps (after every map exists) and prog_arrays (after every
 * program is loaded).
 *
 * Host overrides (unsigned loaders only): `max_entries` from the context; the initial value from
 * the context (`initial_value`, a user pointer read with `bpf_copy_from_user`: the C header over
 * `skel_internal.h`) or from the blob itself ({@link loadAndRun} writes the override over the
 * map's value in its copy of the blob, at {@link LskelMap.valueOffset}; a signed loader's blob
 * is bound to its signature, so the runner never does that).
 *
 * Not supported (a {@link UnsupportedError} names the feature): freplace programs (they need a
 * target program fd), struct_ops programs (they need a struct_ops map), nested map-in-map
 * templates, map-in-map without a template, big-endian objects.
 * Map pinning (`LIBBPF_PIN_BY_NAME`) is not applied: the maps are returned to the host, which
 * may pin them.
 *
 * @module
 */

import { BTF_INT, BTF_KIND, Btf } from '../btf/index.js';
import { linkProgram } from '../elf/link.js';
import type { MapSpec, ObjectSpec } from '../elf/object.js';
import { mapContentHash, progHash } from '../hash/index.js';
import {
  add64Imm,
  call,
  callKfunc,
  exit,
  ja,
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
  R4,
  R6,
  R7,
  R8,
  R9,
  R10,
  stB,
  stH,
  stW,
  stxDW,
  stxW,
} from '../isa/builder.js';
import { encode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { CallKind, LD_IMM64, Pseudo } from '../isa/opcodes.js';
import { BpfObject } from '../loader/object.js';
import { encodeMapCreate, encodeProgLoad } from '../uapi/attrs.js';
import { AttachType, Cmd, Helper, MapFlag, MapType, ProgType } from '../uapi/constants.js';
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
  /**
   * Blob offset of the value the loader writes into the map (its initial value); absent when the
   * loader writes none (a signed loader skips all-zero values).
   */
  valueOffset?: number;
}

/** A program the skeleton loads. */
export interface LskelProgram {
  name: string;
  kernelName: string;
  /** Offset of its `bpf_prog_desc` in the context. */
  descOffset: number;
  type: number;
  /**
   * Program hash of the instructions as the loader loads them (map imms are zeroed by the hash);
   * undefined when they depend on the running kernel (CO-RE, ksyms, kfuncs).
   */
  hash: Uint8Array | undefined;
  /**
   * The program's line_info as source lines (slot, file, line, column, text), so a verifier log
   * of a refused load can be traced to the source; absent without BTF line info.
   */
  lines?: { slot: number; file: string; line: number; column: number; text: string }[];
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
  /**
   * Blob offset of the u32 where the loader records the step it is at (1-based index in
   * {@link steps}; 0 before the first): the runner reads it back to say what failed.
   */
  stepOffset?: number;
  /** What each step of the loader does (`PROG_LOAD of 'xdp_prog'`). */
  steps?: string[];
  /** Blob offset and size of the verifier log buffer (see {@link GenerateOptions.logSize}). */
  log?: { offset: number; size: number };
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
 * `int bpf_loader_verify_metadata(void *map, void *hash, int hash__sz)` (a global FUNC, id 4: Linux's BTF_LOAD refuses extern linkage on FUNC).
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
  btf.addFunc('bpf_loader_verify_metadata', proto, 'global');
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
  /**
   * Bytes of the blob kept for the verifier log of a program the kernel refuses (default 16384;
   * 0: none). The loader loads each program without a log; when one is refused it loads it
   * again with log level 1 into this buffer (the kernel keeps the end of a log that does not
   * fit), and the runner reads it back ({@link LoaderError.log}).
   */
  logSize?: number;
  /** Kernel config text for `.kconfig` externs (when the input is a spec, not a BpfObject). */
  kconfig?: string;
  /** Kernel release for `LINUX_KERNEL_VERSION` (when the input is a spec). */
  kernelRelease?: string;
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

/** Name of the map that holds `.kconfig` extern values. */
const KCONFIG = '.kconfig';

/**
 * The BTF name and kind a program's attach target is looked up by (`attach_btf_id`), or
 * undefined when its attach type takes none.
 */
function attachTarget(attachType: number, to: string): { name: string; kind: number } | undefined {
  switch (attachType) {
    case AttachType.TRACE_RAW_TP:
      return { name: `btf_trace_${to}`, kind: BTF_KIND.TYPEDEF };
    case AttachType.TRACE_FENTRY:
    case AttachType.TRACE_FEXIT:
    case AttachType.MODIFY_RETURN:
      return { name: to, kind: BTF_KIND.FUNC };
    case AttachType.LSM_MAC:
    case AttachType.LSM_CGROUP:
      return { name: `bpf_lsm_${to}`, kind: BTF_KIND.FUNC };
    case AttachType.TRACE_ITER:
      return { name: `bpf_iter_${to}`, kind: BTF_KIND.FUNC };
    default:
      return undefined;
  }
}

const BTF_KIND_NAME: Record<number, string> = {
  [BTF_KIND.VAR]: 'VAR',
  [BTF_KIND.FUNC]: 'FUNC',
  [BTF_KIND.TYPEDEF]: 'TYPEDEF',
};

/** ENOENT, which `bpf_kallsyms_lookup_name` returns for an unknown symbol. */
const ENOENT = 2;

/**
 * Generates the loader and blob for `input`: a parsed spec, or a {@link BpfObject} opened with
 * the host's options (its `kconfig` and `kernelRelease` fill `.kconfig`; programs with
 * `autoload` false and maps with `autocreate` false are left out; `maxEntries`, flags and
 * initial values set on it are what the skeleton signs). Throws {@link UnsupportedError} for
 * features the generator does not cover, LoaderError (from the loader layer) for `.kconfig`
 * externs without a value.
 */
export function generateLightSkeleton(
  input: ObjectSpec | BpfObject,
  opts: GenerateOptions = {},
): LightSkeleton {
  const obj =
    input instanceof BpfObject
      ? input
      : BpfObject.fromSpec(input, { kconfig: opts.kconfig, kernelRelease: opts.kernelRelease });
  const spec = obj.spec;
  const signed = opts.signed ?? false;
  const scheme = signed ? (opts.scheme ?? 'inline') : undefined;
  if (spec.endian !== 'little')
    throw new UnsupportedError('big-endian objects cannot be loaded on this host');
  const objMaps = [...obj.maps.values()].filter((m) => m.autocreate);
  const objProgs = [...obj.programs.values()].filter((p) => p.autoload);
  for (const m of objMaps) checkMap(m.spec);
  for (const p of objProgs) {
    if (p.type === 0)
      throw new UnsupportedError(
        `program '${p.name}': section '${p.spec.section}' is not a known program type (set autoload = false)`,
      );
    if (p.type === ProgType.EXT)
      throw new UnsupportedError(`program '${p.name}': freplace programs need a target program fd`);
    if (p.type === ProgType.STRUCT_OPS)
      throw new UnsupportedError(`program '${p.name}': struct_ops programs need a struct_ops map`);
  }
  const kconfig = obj.kconfigLayout();
  const srcBtf = spec.btf?.btf;

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
  // first: maps get their key/value types from it, programs their func_info, line_info and
  // CO-RE relocations (global subprograms need it).
  const btf = obj.loadableBtf();
  const btfFdSlot = put(new Uint8Array(8));
  // The number of the step the loader is at (1-based index in `steps`), for error messages.
  const stepSlot = put(new Uint8Array(8));
  // Map-in-map: the inner template's fd while the outer map is created (closed right after).
  const innerFdSlot = put(new Uint8Array(8));
  let btfOff = -1;
  let btfAttrOff = -1;
  if (btf !== undefined) {
    btfOff = put(btf);
    const a = new Uint8Array(BtfLoadLayout.size);
    new DataView(a.buffer).setUint32(BtfLoadLayout.fields.btf_size[0], btf.length, true);
    btfAttrOff = put(a);
  }

  /** One map the loader creates: an object map, or `.kconfig`. */
  interface GenMap {
    name: string;
    type: number;
    keySize: number;
    valueSize: number;
    maxEntries: number;
    flags: number;
    numaNode: number;
    mapExtra: bigint;
    btfKey: number;
    btfValue: number;
    inner: MapSpec['inner'];
    data: Uint8Array | undefined;
    readonly: boolean;
    values: MapSpec['values'];
  }
  const genMaps: GenMap[] = objMaps.map((om) => {
    const m = om.spec;
    const isData = m.origin === 'data';
    // A non-data map whose value size was changed no longer matches its BTF value type.
    const typed = btf !== undefined && !NO_BTF_TYPES.has(m.type) && (isData || om.valueSize === m.valueSize);
    return {
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: om.valueSize,
      maxEntries: om.maxEntries,
      flags: om.flags | (isData && m.readonly ? MapFlag.RDONLY_PROG : 0),
      numaNode: m.numaNode,
      mapExtra: m.mapExtra,
      btfKey: typed && !isData ? (m.keyType ?? 0) : 0,
      btfValue: typed ? ((isData ? m.btfId : m.valueType) ?? 0) : 0,
      inner: m.inner,
      data: isData ? om.initialValue : undefined,
      readonly: isData && m.readonly,
      values: m.values,
    };
  });
  if (kconfig !== undefined) {
    const dsId = srcBtf?.findId(KCONFIG, BTF_KIND.DATASEC);
    genMaps.push({
      name: KCONFIG,
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: kconfig.size,
      maxEntries: 1,
      flags: MapFlag.RDONLY_PROG,
      numaNode: 0,
      mapExtra: 0n,
      btfKey: 0,
      btfValue: btf !== undefined ? (dsId ?? 0) : 0,
      inner: undefined,
      data: kconfig.value,
      readonly: true,
      values: [],
    });
  }
  const mapIndex = new Map<string, number>();
  const maps: LskelMap[] = [];
  // Map-in-map: the inner template's attr (created, used for the outer map, closed again).
  const innerAttrOff = new Map<number, number>();
  const mapAttrOff: number[] = [];
  genMaps.forEach((m, i) => {
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
        btfKeyTypeId: m.btfKey,
        btfValueTypeId: m.btfValue,
      },
      NO_MEMORY,
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
    index: number;
    attrOff: number;
    keyOff: number;
    valOff: number;
  }[] = [];
  genMaps.forEach((m, i) => {
    for (const v of m.values) {
      const key = new Uint8Array(Math.max(8, m.keySize));
      new DataView(key.buffer).setUint32(0, v.index, true);
      inits.push({
        map: i,
        kind: v.kind,
        target: v.target,
        index: v.index,
        attrOff: put(new Uint8Array(MapElemLayout.size)),
        keyOff: put(key),
        valOff: put(new Uint8Array(8)),
      });
    }
  });
  const updAttrOff: (number | undefined)[] = [];
  const freezeOff: (number | undefined)[] = [];
  genMaps.forEach((m, i) => {
    // Unsigned loaders fill every data map (the host may supply its initial value, in the ctx or
    // in the blob); signed ones only those whose signed value is not all zeros (or that are frozen).
    const needsData = m.data !== undefined && (!signed || m.data.some((b) => b !== 0) || m.readonly);
    if (needsData) (maps[i] as LskelMap).valueOffset = put(m.data as Uint8Array);
    updAttrOff.push(needsData ? put(new Uint8Array(MapElemLayout.size)) : undefined);
    freezeOff.push(m.readonly ? put(new Uint8Array(8)) : undefined);
  });

  // BTF look-ups done by the loader at run time (bpf_btf_find_by_name_kind: typed ksyms, kfuncs,
  // attach targets; bpf_kallsyms_lookup_name: typeless ksyms), one per symbol. The result slot
  // holds the helper's u64 (BTF id | BTF object fd << 32), or the address for a typeless ksym;
  // it stays 0 when a weak symbol is missing.
  interface Lookup {
    name: string;
    kind: number; // BTF kind, or -1 for a typeless ksym
    weak: boolean;
    nameOff: number;
    len: number;
    resOff: number;
    /** Index in the shared kfunc fd_array (kfuncs only). */
    fdIndex: number;
  }
  const lookups = new Map<string, Lookup>();
  const lookup = (name: string, kind: number, weak: boolean): Lookup => {
    const key = `${kind}:${name}`;
    let l = lookups.get(key);
    if (l === undefined) {
      const bytes = new TextEncoder().encode(`${name}\0`);
      l = {
        name,
        kind,
        weak,
        nameOff: put(bytes),
        len: bytes.length,
        resOff: put(new Uint8Array(8)),
        fdIndex: 0,
      };
      lookups.set(key, l);
    }
    l.weak &&= weak;
    return l;
  };

  const license = new TextEncoder().encode(`${spec.license}\0`);
  const progCtxBase = LoaderCtx.HEADER + genMaps.length * LoaderCtx.MAP_DESC;
  interface GenProg {
    lp: LskelProgram;
    insnsOff: number;
    licOff: number;
    attrOff: number;
    funcInfoOff: number;
    lineInfoOff: number;
    coreOff: number;
    relocs: { slot: number; map: number }[];
    ksyms: { slot: number; dst: number; l: Lookup; typeless: boolean }[];
    kfuncCalls: { slot: number; l: Lookup }[];
    attach: Lookup | undefined;
  }
  const progs: GenProg[] = [];
  const kfuncLookups: Lookup[] = [];
  objProgs.forEach((p, j) => {
    const linked = linkProgram(spec, p.name);
    const insns: Insn[] = linked.insns.map((x) => ({ ...x }));
    const relocs: GenProg['relocs'] = [];
    const ksyms: GenProg['ksyms'] = [];
    const kfuncCalls: GenProg['kfuncCalls'] = [];
    for (const r of linked.relocations) {
      const ins = insns[r.insn] as Insn;
      if (r.kind === 'extern') {
        const ext = spec.externs.find((e) => e.name === r.extern);
        if (ext === undefined)
          throw new UnsupportedError(`program '${p.name}': unknown extern '${r.extern}'`);
        if (ext.kind === 'kfunc') {
          const l = lookup(ext.name, BTF_KIND.FUNC, ext.weak);
          if (!kfuncLookups.includes(l)) {
            kfuncLookups.push(l);
            l.fdIndex = kfuncLookups.length; // fd_array[0] stays 0 (vmlinux)
          }
          insns[r.insn] = { ...ins, src: CallKind.KFUNC, imm: 0, off: 0 };
          kfuncCalls.push({ slot: r.slot, l });
          continue;
        }
        if (ins.code !== LD_IMM64)
          throw new UnsupportedError(
            `program '${p.name}': extern '${ext.name}' on a non-ld_imm64 at slot ${r.slot}`,
          );
        if (ext.kind === 'kconfig') {
          const off = kconfig?.offsets.get(ext.name);
          const mi = mapIndex.get(KCONFIG);
          if (off === undefined || mi === undefined)
            throw new UnsupportedError(`program '${p.name}': kconfig extern '${ext.name}' is not laid out`);
          insns[r.insn] = { ...ins, src: Pseudo.MAP_VALUE, imm: 0, imm2: off + ins.imm };
          relocs.push({ slot: r.slot, map: mi });
          continue;
        }
        const typed = ext.type !== undefined && ext.type !== 0 && srcBtf?.skipModifiers(ext.type) !== 0;
        if (typed) {
          insns[r.insn] = { ...ins, src: Pseudo.BTF_ID, imm: 0, imm2: 0 };
          ksyms.push({
            slot: r.slot,
            dst: ins.dst,
            l: lookup(ext.name, BTF_KIND.VAR, ext.weak),
            typeless: false,
          });
        } else {
          insns[r.insn] = { ...ins, src: 0, imm: 0, imm2: 0 };
          ksyms.push({ slot: r.slot, dst: ins.dst, l: lookup(ext.name, -1, ext.weak), typeless: true });
        }
        continue;
      }
      const mi = mapIndex.get(r.map);
      if (mi === undefined) throw new UnsupportedError(`program '${p.name}': map '${r.map}' is not created`);
      if (ins.code !== LD_IMM64)
        throw new UnsupportedError(`program '${p.name}': relocation on a non-ld_imm64 at slot ${r.slot}`);
      if (r.kind === 'map') insns[r.insn] = { ...ins, src: Pseudo.MAP_FD, imm: 0, imm2: 0 };
      else insns[r.insn] = { ...ins, src: Pseudo.MAP_VALUE, imm: 0, imm2: r.offset };
      relocs.push({ slot: r.slot, map: mi });
    }
    if (linked.coreRelos.length > 0 && (btf === undefined || srcBtf === undefined))
      throw new UnsupportedError(`program '${p.name}': CO-RE relocations without BTF`);
    const bytes = encode(insns);
    const insnsOff = put(bytes);
    const licOff = put(license);
    let funcInfo: Uint8Array | undefined;
    let lineInfo: Uint8Array | undefined;
    let coreRelos: Uint8Array | undefined;
    if (btf !== undefined && srcBtf !== undefined) {
      if (linked.funcInfo.length > 0) {
        funcInfo = new Uint8Array(8 * linked.funcInfo.length);
        const fv = new DataView(funcInfo.buffer);
        linked.funcInfo.forEach((f, k) => {
          fv.setUint32(8 * k, f.slot, true);
          fv.setUint32(8 * k + 4, f.typeId, true);
        });
      }
      if (linked.lineInfo.length > 0) {
        // Same records as a direct load (the loadable BTF keeps the object's string offsets).
        lineInfo = new Uint8Array(16 * linked.lineInfo.length);
        const lv = new DataView(lineInfo.buffer);
        linked.lineInfo.forEach((l, k) => {
          lv.setUint32(16 * k, l.slot, true);
          lv.setUint32(16 * k + 4, srcBtf.strings.find(l.file) ?? 0, true);
          lv.setUint32(16 * k + 8, srcBtf.strings.find(l.lineText) ?? 0, true);
          lv.setUint32(16 * k + 12, ((l.line << 10) | (l.column & 0x3ff)) >>> 0, true);
        });
      }
      if (linked.coreRelos.length > 0) {
        // struct bpf_core_relo: insn_off (bytes), type_id, access_str_off, kind. The kernel
        // applies them against its own BTF at PROG_LOAD.
        coreRelos = new Uint8Array(16 * linked.coreRelos.length);
        const cv = new DataView(coreRelos.buffer);
        linked.coreRelos.forEach((c, k) => {
          const access = srcBtf.strings.find(c.access);
          if (access === undefined)
            throw new UnsupportedError(
              `program '${p.name}': CO-RE access string '${c.access}' is not in the BTF`,
            );
          cv.setUint32(16 * k, c.slot * 8, true);
          cv.setUint32(16 * k + 4, c.typeId, true);
          cv.setUint32(16 * k + 8, access, true);
          cv.setUint32(16 * k + 12, c.kind, true);
        });
      }
    }
    const funcInfoOff = funcInfo !== undefined ? put(funcInfo) : -1;
    const lineInfoOff = lineInfo !== undefined ? put(lineInfo) : -1;
    const coreOff = coreRelos !== undefined ? put(coreRelos) : -1;
    const target = attachTarget(p.attachType, p.attachTo);
    const attach = target !== undefined ? lookup(target.name, target.kind, false) : undefined;
    const attr = encodeProgLoad(
      {
        progType: p.type,
        insns: bytes,
        license: spec.license,
        progFlags: p.flags,
        progName: kernelName(p.name),
        expectedAttachType: p.attachType,
        kernVersion: spec.kernelVersion,
        funcInfo,
        funcInfoRecSize: 8,
        lineInfo,
        lineInfoRecSize: 16,
        coreRelos,
        coreReloRecSize: 16,
        fdArray: kfuncCalls.length > 0 ? new Int32Array(1) : undefined,
      },
      NO_MEMORY,
    );
    const attrOff = put(attr);
    const runtime = ksyms.length > 0 || kfuncCalls.length > 0 || coreRelos !== undefined;
    progs.push({
      lp: {
        name: p.name,
        kernelName: kernelName(p.name),
        descOffset: progCtxBase + j * LoaderCtx.PROG_DESC,
        type: p.type,
        hash: runtime ? undefined : progHash(bytes),
        ...(lineInfo !== undefined
          ? {
              lines: linked.lineInfo.map((x) => ({
                slot: x.slot,
                file: x.file,
                line: x.line,
                column: x.column,
                text: x.lineText,
              })),
            }
          : {}),
      },
      insnsOff,
      licOff,
      attrOff,
      funcInfoOff,
      lineInfoOff,
      coreOff,
      relocs,
      ksyms,
      kfuncCalls,
      attach,
    });
  });
  // One fd_array for every program that calls kfuncs: slot k holds the module BTF fd of the
  // k-th kfunc (0, unused, for vmlinux kfuncs: their call's off stays 0).
  const fdArrayOff = kfuncLookups.length > 0 ? put(new Uint8Array(4 * (kfuncLookups.length + 1))) : -1;
  const logSize = opts.logSize ?? 16384;
  if (!Number.isInteger(logSize) || logSize < 0 || logSize > 1 << 24)
    throw new RangeError(`logSize ${logSize}: expected 0..16 MiB`);
  const logOff = logSize > 0 && progs.length > 0 ? put(new Uint8Array(logSize)) : -1;
  const data = new Uint8Array(size);
  for (const c of chunks) data.set(c.bytes, c.off);
  const ctxSize = progCtxBase + objProgs.length * LoaderCtx.PROG_DESC;
  const metadataHash = mapContentHash(data, data.length, 1);

  // ---- loader program ----------------------------------------------------------------------
  const code: ProgramItem[] = [];
  const emit = (...xs: ProgramItem[]): void => {
    code.push(...xs);
  };
  // Stores `reg` (u32 or u64) at blob offset `off` (r9 = blob base; r3 is scratch for far offsets).
  const storeBlob = (off: number, reg: typeof R1, wide: boolean): void => {
    if (off <= 0x7fff) emit(wide ? stxDW(R9, off, reg) : stxW(R9, off, reg));
    else emit(mov64Reg(R3, R9), add64Imm(R3, off), wide ? stxDW(R3, 0, reg) : stxW(R3, 0, reg));
  };
  // Loads the u32 at blob offset `off` into `reg` (r3 is scratch for far offsets).
  const loadBlob = (reg: typeof R1, off: number): void => {
    if (off <= 0x7fff) emit(ldxW(reg, R9, off));
    else emit(mov64Reg(R3, R9), add64Imm(R3, off), ldxW(reg, R3, 0));
  };
  // Stores an immediate byte/half at blob offset `off`.
  const storeImm = (off: number, value: number, width: 1 | 2): void => {
    const st = width === 1 ? stB : stH;
    if (off <= 0x7fff) emit(st(R9, off, value));
    else emit(mov64Reg(R3, R9), add64Imm(R3, off), st(R3, 0, value));
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
  const lookupList = [...lookups.values()];
  const steps: string[] = [];
  const step = (what: string): void => {
    steps.push(what);
    emit(stW(R9, stepSlot, steps.length));
  };

  emit(mov64Reg(R6, R1), mov64Imm(R7, 0), ldMapIdxValue(R9, 0, 0));
  // Zero every fd slot of the context and the blob, so cleanup closes only what this run created.
  emit(mov64Imm(R1, 0), stxW(R9, btfFdSlot, R1), stxW(R9, innerFdSlot, R1));
  for (const l of lookupList) storeBlob(l.resOff, R1, true);
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
  // Run-time symbol resolution against the running kernel's BTF and kallsyms.
  lookupList.forEach((l, k) => {
    step(
      l.kind < 0
        ? `kallsyms_lookup_name('${l.name}')`
        : `btf_find_by_name_kind('${l.name}', ${BTF_KIND_NAME[l.kind] ?? l.kind})`,
    );
    emit(mov64Reg(R1, R9), add64Imm(R1, l.nameOff), mov64Imm(R2, l.len));
    if (l.kind < 0) {
      // bpf_kallsyms_lookup_name(name, size, flags, &res): 0, or -ENOENT (res = 0).
      emit(mov64Imm(R3, 0), mov64Reg(R4, R9), add64Imm(R4, l.resOff), call(Helper.kallsyms_lookup_name));
      if (!l.weak) emit(mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'));
      else emit(jeqImm(R0, -ENOENT, `found_${k}`), mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'));
    } else {
      emit(mov64Imm(R3, l.kind), mov64Imm(R4, 0), call(Helper.btf_find_by_name_kind));
      if (l.weak) emit(jsltImm(R0, 0, `found_${k}`));
      else emit(mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'));
      storeBlob(l.resOff, R0, true);
    }
    emit(label(`found_${k}`));
  });
  if (fdArrayOff >= 0) {
    for (const l of kfuncLookups) {
      loadBlob(R1, l.resOff + 4);
      storeBlob(fdArrayOff + 4 * l.fdIndex, R1, false);
    }
  }
  const ML = MapCreateLayout.fields;
  const BL = BtfLoadLayout.fields;
  const EL = MapElemLayout.fields;
  const PL = ProgLoadLayout.fields;
  if (btf !== undefined) {
    storePtr(btfAttrOff + BL.btf[0], btfOff);
    step('BTF_LOAD of the object BTF');
    sysBpf(Cmd.BTF_LOAD, btfAttrOff, BtfLoadLayout.size);
    emit(mov64Reg(R8, R0), stxW(R9, btfFdSlot, R8));
    genMaps.forEach((m, i) => {
      if (m.btfKey !== 0 || m.btfValue !== 0) storeBlob((mapAttrOff[i] as number) + ML.btf_fd[0], R8, false);
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
      step(`MAP_CREATE of the inner map template of '${m.name}'`);
      sysBpf(Cmd.MAP_CREATE, ia, MapCreateLayout.size);
      emit(stxW(R9, innerFdSlot, R0));
      storeBlob(a + ML.inner_map_fd[0], R0, false);
    }
    step(`MAP_CREATE of '${m.name}'`);
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
      const v = m.valueOffset as number;
      if (!signed) {
        // The host's initial value (ctx map_desc.initial_value, a user pointer) replaces the
        // blob's, as libbpf's unsigned loaders do; signed loaders never look at it.
        emit(ldxDW(R3, R6, m.descOffset + 8), jeqImm(R3, 0, `iv_${i}`));
        step(`copy_from_user of the host's initial value of '${m.name}'`);
        emit(mov64Reg(R1, R9), add64Imm(R1, v), mov64Imm(R2, m.valueSize), call(Helper.copy_from_user));
        emit(mov64Reg(R7, R0), jsltImm(R0, 0, 'cleanup'), label(`iv_${i}`));
      }
      storeBlob(u + EL.map_fd[0], R8, false);
      storePtr(u + EL.key[0], keyOff);
      storePtr(u + EL.value[0], v);
      step(`MAP_UPDATE_ELEM of the initial value of '${m.name}'`);
      sysBpf(Cmd.MAP_UPDATE_ELEM, u, MapElemLayout.size);
    }
    const f = freezeOff[i];
    if (f !== undefined) {
      storeBlob(f, R8, false);
      step(`MAP_FREEZE of '${m.name}'`);
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
      if (fdAt === undefined) {
        // A prog_array slot of a program that is not loaded stays empty (as in a direct load).
        if (kind === 'program' && obj.programs.get(x.target)?.autoload === false) continue;
        throw new UnsupportedError(`map '${maps[x.map]!.name}': .values names unknown ${kind} '${x.target}'`);
      }
      emit(ldxW(R1, R6, fdAt));
      storeBlob(x.valOff, R1, false);
      emit(ldxW(R1, R6, maps[x.map]!.descOffset));
      storeBlob(x.attrOff + EL.map_fd[0], R1, false);
      storePtr(x.attrOff + EL.key[0], x.keyOff);
      storePtr(x.attrOff + EL.value[0], x.valOff);
      step(`MAP_UPDATE_ELEM of '${maps[x.map]!.name}'[${x.index}] (${kind} '${x.target}')`);
      sysBpf(Cmd.MAP_UPDATE_ELEM, x.attrOff, MapElemLayout.size);
    }
  };
  fill('map');
  progs.forEach((p, j) => {
    // Resolved symbols go into the instructions: typed ksyms (BTF id, BTF object fd; a missing
    // weak one becomes a plain 0), typeless ksyms (address), kfunc calls (BTF id; off = the
    // fd_array slot of a module BTF, 0 for vmlinux).
    p.ksyms.forEach((x, k) => {
      const at = p.insnsOff + x.slot * 8;
      loadBlob(R1, x.l.resOff);
      storeBlob(at + 4, R1, false);
      loadBlob(R2, x.l.resOff + 4);
      storeBlob(at + 12, R2, false);
      if (!x.typeless) {
        emit(jneImm(R1, 0, `ksym_${j}_${k}`));
        storeImm(at + 1, x.dst, 1); // src_reg = 0
        emit(label(`ksym_${j}_${k}`));
      }
    });
    p.kfuncCalls.forEach((x, k) => {
      const at = p.insnsOff + x.slot * 8;
      loadBlob(R1, x.l.resOff);
      storeBlob(at + 4, R1, false);
      loadBlob(R2, x.l.resOff + 4);
      emit(jeqImm(R2, 0, `kfunc_${j}_${k}`));
      storeImm(at + 2, x.l.fdIndex, 2);
      emit(label(`kfunc_${j}_${k}`));
    });
    if (p.attach !== undefined) {
      loadBlob(R1, p.attach.resOff);
      storeBlob(p.attrOff + PL.attach_btf_id[0], R1, false);
      loadBlob(R1, p.attach.resOff + 4);
      storeBlob(p.attrOff + PL.attach_btf_obj_fd[0], R1, false);
    }
    storePtr(p.attrOff + PL.insns[0], p.insnsOff);
    storePtr(p.attrOff + PL.license[0], p.licOff);
    if (p.funcInfoOff >= 0) storePtr(p.attrOff + PL.func_info[0], p.funcInfoOff);
    if (p.lineInfoOff >= 0) storePtr(p.attrOff + PL.line_info[0], p.lineInfoOff);
    if (p.coreOff >= 0) storePtr(p.attrOff + PL.core_relos[0], p.coreOff);
    if (p.kfuncCalls.length > 0) storePtr(p.attrOff + PL.fd_array[0], fdArrayOff);
    step(`PROG_LOAD of '${p.lp.name}'`);
    if (logOff < 0) sysBpf(Cmd.PROG_LOAD, p.attrOff, ProgLoadLayout.size);
    else {
      emit(
        mov64Imm(R1, Cmd.PROG_LOAD),
        mov64Reg(R2, R9),
        add64Imm(R2, p.attrOff),
        mov64Imm(R3, ProgLoadLayout.size),
        call(Helper.sys_bpf),
      );
      emit(mov64Reg(R7, R0), jsltImm(R0, 0, `relog_${j}`));
    }
    emit(stxW(R6, p.lp.descOffset, R0));
  });
  fill('program');
  // Closes the temporaries: the BTF fd (maps and programs hold the BTF) and the BTF object fds
  // the look-ups returned (module BTFs; 0 for vmlinux).
  const closeTemps = (tag: string): void => {
    emit(ldxW(R1, R9, btfFdSlot), jsleImm(R1, 0, `${tag}_btf`), call(Helper.sys_close), label(`${tag}_btf`));
    lookupList.forEach((l, k) => {
      if (l.kind < 0) return; // an address, not an fd
      loadBlob(R1, l.resOff + 4);
      emit(jsleImm(R1, 0, `${tag}_l${k}`), call(Helper.sys_close), label(`${tag}_l${k}`));
    });
  };
  closeTemps('ok');
  emit(mov64Imm(R0, 0), exit());
  // A refused program is loaded again with a verifier log into the blob (the error stays the
  // first load's; a program that loads this time is closed again).
  if (logOff >= 0) {
    progs.forEach((p, j) => {
      // The host's buffer (ctx log_buf/log_size/log_level, a user pointer, as libbpf's
      // bpf_loader_ctx has it) when it gives one; else the blob's (a kernel copies the log to
      // user memory only: there the blob stays empty, the machine fills it).
      emit(label(`relog_${j}`), ldxDW(R2, R6, 16), jeqImm(R2, 0, `bloblog_${j}`));
      storeBlob(p.attrOff + PL.log_buf[0], R2, true);
      emit(ldxW(R1, R6, 12));
      storeBlob(p.attrOff + PL.log_size[0], R1, false);
      emit(ldxW(R1, R6, 8), jneImm(R1, 0, `loglevel_${j}`), mov64Imm(R1, 1), label(`loglevel_${j}`));
      storeBlob(p.attrOff + PL.log_level[0], R1, false);
      emit(ja(`reload_${j}`), label(`bloblog_${j}`), mov64Imm(R1, 1));
      storeBlob(p.attrOff + PL.log_level[0], R1, false);
      emit(mov64Imm(R1, logSize));
      storeBlob(p.attrOff + PL.log_size[0], R1, false);
      storePtr(p.attrOff + PL.log_buf[0], logOff);
      emit(
        label(`reload_${j}`),
        mov64Imm(R1, Cmd.PROG_LOAD),
        mov64Reg(R2, R9),
        add64Imm(R2, p.attrOff),
        mov64Imm(R3, ProgLoadLayout.size),
        call(Helper.sys_bpf),
        jsleImm(R0, 0, 'cleanup'),
        mov64Reg(R1, R0),
        call(Helper.sys_close),
        ja('cleanup'),
      );
    });
  }
  // Error path: close what was created (fd slots > 0), return the negative errno.
  emit(label('cleanup'));
  closeTemps('err');
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
    stepOffset: stepSlot,
    steps,
    ...(logOff >= 0 ? { log: { offset: logOff, size: logSize } } : {}),
  };
}
