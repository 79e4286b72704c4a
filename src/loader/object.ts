/**
 * {@link BpfObject}: a BPF ELF object opened for loading, in libbpf's open → adjust → load style.
 *
 * ```ts
 * const obj = BpfObject.open(bytes, { kernelBtf, kconfig });
 * obj.maps.get('counters')!.maxEntries = 64;
 * obj.programs.get('slow_path')!.autoload = false;
 * obj.maps.get('secrets')!.setExclusiveProgram(obj.programs.get('reader')!);
 * using coll = obj.load(backend);
 * coll.programs.get('reader')!.testRun({ dataIn });
 * ```
 *
 * Loading (all through the {@link Backend}): the object's BTF, fixed up (DATASEC sizes and
 * variable offsets, extern declarations) and sanitized for what the backend accepts; maps (inner
 * templates, BTF key/value ids, global data with its contents, `.rodata` frozen and read-only for
 * programs, `.kconfig`, pinned maps reused or refused, exclusive maps with the program's hash);
 * programs linked with their subprograms and relocated (maps, global data, externs, CO-RE), then
 * loaded with their func_info and line_info; map-in-map and prog_array initial slots.
 *
 * @module
 */

import { BTF_KIND, type Btf, parseBtf } from '../btf/index.js';
import {
  type DataVariable,
  type ExternSpec,
  isMapInMap,
  type LinkedProgram,
  linkProgram,
  type MapSpec,
  MapType,
  type ObjectSpec,
  type ParseObjectOptions,
  type ProgramSpec,
  parseObjectWithElf,
} from '../elf/index.js';
import type { ElfFile } from '../elf/reader.js';
import { progHash } from '../hash/index.js';
import { encode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { CallKind, LD_IMM64, Pseudo } from '../isa/opcodes.js';
import type { Backend } from '../sys/backend.js';
import { BpfError, VerifierError } from '../sys/errors.js';
import type { Fd } from '../sys/fd.js';
import { AttachType, MapFlag, ProgFlag } from '../uapi/constants.js';
import { ALL_BTF_FEATURES, type BtfFeatures, fixForKernel, RawBtf, sanitize } from './btfraw.js';
import { Collection, LoadedMap, LoadedProgram } from './collection.js';
import { computeCoreRelo, coreKindName, patchCoreInsn } from './core.js';
import { LoaderError, ProgramLoadError, type SourceLine, UnsupportedError } from './errors.js';
import { probeBtfFeatures } from './features.js';
import { encodeKconfigValue, type KconfigSlot, kernelVersionCode, parseKernelConfig } from './kconfig.js';
import { backendKernelBtf } from './kernelbtf.js';
import type { ModuleBtf } from './modules.js';
import {
  type KernelStructOps,
  kernelStructOps,
  parseStructOps,
  type StructOpsSpec,
  structOpsValue,
} from './structops.js';

/** Options of {@link BpfObject.open}. */
export interface OpenOptions {
  /** Object name (prefix of global-data map names is not used; for messages). */
  name?: string;
  /** Directory (in a bpffs) for maps pinned by name (LIBBPF_PIN_BY_NAME). */
  pinRoot?: string;
  /** Verifier log level for program loads (0: only on failure). */
  logLevel?: number;
  /**
   * Target BTF for CO-RE, ksyms, kfuncs and attach targets: vmlinux BTF (bytes or parsed). When
   * absent, {@link BpfObject.load} asks the backend for its vmlinux BTF object through bpf(2)
   * (the running kernel's, or the machine's own; see `backendKernelBtf`). Given, it wins.
   */
  kernelBtf?: Uint8Array | Btf;
  /** Kernel config text for `.kconfig` externs. */
  kconfig?: string;
  /** Kernel release (`uname -r`) for `LINUX_KERNEL_VERSION`. */
  kernelRelease?: string;
  /** Address of a typeless `__ksym` (from /proc/kallsyms); undefined when unknown. */
  ksymAddress?: (name: string) => bigint | undefined;
  /** Number of possible CPUs, for per-CPU map values. */
  cpus?: number;
  /** Options for the ELF parser. */
  parse?: ParseObjectOptions;
  /**
   * Module BTFs searched after vmlinux for ksyms, kfuncs and CO-RE candidates (see
   * `discoverModuleBtf`, or parse `/sys/kernel/btf/<module>` with the vmlinux BTF as base).
   */
  moduleBtf?: readonly ModuleBtf[];
  /**
   * Fill `.struct_ops` (non-link) maps at load, which registers them with their kernel subsystem
   * (e.g. makes a TCP congestion control available system-wide). Default false: call
   * `registerStructOps()` on the loaded map. `.struct_ops.link` maps are always filled at load.
   */
  registerStructOps?: boolean;
}

/** A map of an opened object; adjust it before {@link BpfObject.load}. */
export class ObjectMap {
  /** The map as the object defines it. */
  readonly spec: MapSpec;
  /** The object it belongs to. */
  readonly object: BpfObject;
  /** max_entries to create the map with. */
  maxEntries: number;
  /** Create the map at load (default true). Programs that use a map that is not created fail to load. */
  autocreate = true;
  /** Map flags to create with. */
  flags: number;
  /** Pin by name under the pin root. */
  pinning: number;
  #initial: Uint8Array | undefined;
  #excl: ObjectProgram | undefined;
  #valueSize: number;
  #resized: DatasecResize | undefined;
  /** The struct_ops variable this map is, for `.struct_ops` / `.struct_ops.link` maps. */
  readonly structOps: StructOpsSpec | undefined;

  /** @internal */
  constructor(spec: MapSpec, object: BpfObject, structOps?: StructOpsSpec) {
    this.spec = spec;
    this.object = object;
    this.structOps = structOps;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags;
    this.pinning = spec.pinning;
    this.#initial = spec.data?.slice();
    this.#valueSize = spec.valueSize;
  }

  /** Map name. */
  get name(): string {
    return this.spec.name;
  }

  /** Value size to create the map with (the spec's, or what {@link setValueSize} set). */
  get valueSize(): number {
    return this.#valueSize;
  }

  /** Variables of a global-data map, with the last one's size as resized. */
  get variables(): readonly DataVariable[] {
    const r = this.#resized;
    if (r === undefined) return this.spec.variables;
    return this.spec.variables.map((v) => (v.name === r.varName ? { ...v, size: r.varSize } : v));
  }

  /**
   * @internal How the map's DATASEC is resized (the loader rewrites the BTF with it), or undefined.
   */
  get datasecResize(): DatasecResize | undefined {
    return this.#resized;
  }

  /**
   * Changes the value size, as libbpf's `bpf_map__set_value_size`. For a global-data map
   * (`.data`, `.bss`, `.rodata`, `.data.*`...) the section is resized: its last variable must be
   * an array, and `size` minus that variable's offset must be a positive multiple of the element
   * size; the array gets the new length in the loaded BTF (DATASEC size and last entry adjusted),
   * and the initial data is zero-extended or truncated. For other maps the size is taken as is,
   * and the map is then created without BTF key/value types when it no longer matches them.
   * Refused (LoaderError naming the map) when not allowed, and once the object is loaded.
   */
  setValueSize(size: number): void {
    this.#checkOpen();
    if (this.structOps !== undefined)
      throw new LoaderError(
        { map: this.name },
        `cannot be resized: a struct_ops map's value is the kernel's bpf_struct_ops_${this.structOps.typeName}`,
      );
    if (!Number.isInteger(size) || size <= 0 || size > 0xffffffff)
      throw new RangeError(`map '${this.name}': value size ${size} is not a positive 32-bit integer`);
    if (this.spec.origin !== 'data') {
      this.#valueSize = size;
      return;
    }
    const why = (reason: string) => new LoaderError({ map: this.name }, `cannot be resized: ${reason}`);
    if (this.spec.type !== MapType.ARRAY) throw why('global data is not an array map');
    const btf = this.object.spec.btf?.btf;
    const dsId = this.spec.btfId;
    if (btf === undefined || dsId === undefined) throw why('the object has no BTF for its section');
    const ds = btf.type(dsId);
    if (ds.kind !== 'DATASEC') throw why('its value type is not a DATASEC');
    if (ds.vars.length === 0) throw why('its DATASEC has no variables');
    // The last variable: the one at the highest offset in the section.
    let last: { index: number; name: string; offset: number; varId: number } | undefined;
    ds.vars.forEach((e, index) => {
      const name = btf.nameOf(e.type);
      const offset = this.spec.variables.find((v) => v.name === name)?.offset ?? e.offset;
      if (last === undefined || offset >= last.offset) last = { index, name, offset, varId: e.type };
    });
    const lv = last!;
    const vt = btf.type(lv.varId);
    if (vt.kind !== 'VAR') throw why(`DATASEC entry '${lv.name}' is not a variable`);
    const arrId = btf.resolve(vt.type);
    const arr = btf.type(arrId);
    if (arr.kind !== 'ARRAY') throw why(`its last variable '${lv.name}' is not an array`);
    const elem = btf.sizeOf(arr.type);
    if (elem <= 0) throw why(`the elements of '${lv.name}' have no size`);
    if (size <= lv.offset || (size - lv.offset) % elem !== 0)
      throw why(
        `element size (${elem}) of its last variable '${lv.name}' at offset ${lv.offset} does not divide the new size ${size} minus that offset into one or more elements`,
      );
    const init = new Uint8Array(size);
    if (this.#initial !== undefined)
      init.set(this.#initial.subarray(0, Math.min(size, this.#initial.length)));
    this.#initial = init;
    this.#valueSize = size;
    this.#resized = {
      varName: lv.name,
      entry: lv.index,
      varId: lv.varId,
      elemType: arr.type,
      indexType: arr.indexType,
      nelems: (size - lv.offset) / elem,
      varSize: size - lv.offset,
    };
  }

  /** Initial value of a global-data map (a copy). */
  get initialValue(): Uint8Array | undefined {
    return this.#initial?.slice();
  }

  /** Replaces the initial value of a global-data map; the size must be the value size. */
  setInitialValue(value: Uint8Array): void {
    this.#checkOpen();
    if (this.spec.origin !== 'data') throw new TypeError(`map '${this.name}' is not a global-data map`);
    if (value.length !== this.#valueSize)
      throw new RangeError(
        `map '${this.name}': initial value is ${value.length} bytes, expected ${this.#valueSize}`,
      );
    this.#initial = value.slice();
  }

  /** Sets one variable of a global-data map (little-endian integer or raw bytes). */
  setVariable(name: string, value: bigint | number | Uint8Array): void {
    this.#checkOpen();
    const v = this.variables.find((x) => x.name === name);
    if (v === undefined || this.#initial === undefined)
      throw new RangeError(`map '${this.name}' has no variable '${name}'`);
    if (value instanceof Uint8Array) {
      if (value.length !== v.size)
        throw new RangeError(`variable '${name}' is ${v.size} bytes, got ${value.length}`);
      this.#initial.set(value, v.offset);
      return;
    }
    let u = BigInt.asUintN(v.size * 8, BigInt(value));
    for (let i = 0; i < v.size; i++, u >>= 8n) this.#initial[v.offset + i] = Number(u & 0xffn);
  }

  /** The program this map is exclusive to, if any. */
  get exclusiveProgram(): ObjectProgram | undefined {
    return this.#excl;
  }

  /**
   * Makes the map exclusive to `prog`: it is created with `excl_prog_hash` = the SHA-256 of the
   * program as loaded (computed at creation, once the program is fully relocated; map fds are
   * zeroed in that hash, so the map can be created before the program). Any other program that
   * uses the map is then refused (EACCES). Refused when `prog` is from another object or not
   * loaded (`autoload` false), or the object is already loaded. Can be called again to change it;
   * `undefined` removes it.
   */
  setExclusiveProgram(prog: ObjectProgram | undefined): void {
    this.#checkOpen();
    if (prog !== undefined) {
      if (prog.object !== this.object)
        throw new LoaderError({ map: this.name }, `program '${prog.name}' belongs to another object`);
      if (!prog.autoload)
        throw new LoaderError(
          { map: this.name },
          `program '${prog.name}' is not being loaded (autoload is false)`,
        );
    }
    this.#excl = prog;
  }

  #checkOpen(): void {
    if (this.object.loaded) throw new LoaderError({ map: this.name }, 'the map is already created');
  }
}

/** How a resized global-data map's DATASEC changes: its last variable's array gets `nelems`. */
export interface DatasecResize {
  /** Name of the last variable. */
  readonly varName: string;
  /** Its index in the DATASEC. */
  readonly entry: number;
  /** BTF id of its VAR. */
  readonly varId: number;
  /** Element type of the array. */
  readonly elemType: number;
  /** Index type of the array. */
  readonly indexType: number;
  /** New number of elements. */
  readonly nelems: number;
  /** New size of the variable in bytes. */
  readonly varSize: number;
}

/** A program of an opened object; adjust it before {@link BpfObject.load}. */
export class ObjectProgram {
  /** The program as the object defines it. */
  readonly spec: ProgramSpec;
  /** The object it belongs to. */
  readonly object: BpfObject;
  /** Load the program (default true). */
  autoload = true;
  /** Program type to load with (`enum bpf_prog_type`). */
  type: number;
  /** Expected attach type. */
  attachType: number;
  /** Program flags (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS from the section name, more if set). */
  flags: number;
  /** Attach target name for BTF-typed programs (`attach_btf_id` is looked up in the kernel BTF). */
  attachTo: string;

  /** @internal */
  constructor(spec: ProgramSpec, object: BpfObject) {
    this.spec = spec;
    this.object = object;
    this.type = spec.type;
    this.attachType = spec.attachType;
    this.flags = (spec.sleepable ? ProgFlag.SLEEPABLE : 0) | (spec.xdpFrags ? ProgFlag.XDP_HAS_FRAGS : 0);
    this.attachTo = spec.attachTo;
  }

  /** Program name. */
  get name(): string {
    return this.spec.name;
  }
}

/** What {@link BpfObject.relocate} gives for one program. */
export interface RelocatedProgram {
  /** The program. */
  readonly program: ObjectProgram;
  /** Linked with its subprograms. */
  readonly linked: LinkedProgram;
  /** Instructions with everything but map fds resolved (map fd immediates are 0). */
  readonly insns: Insn[];
  /** ld_imm64 instructions that take a map fd: index in `insns` and map name. */
  readonly mapRefs: readonly { index: number; map: string }[];
  /** CO-RE relocations the target could not satisfy: slot and description (the instruction is poisoned). */
  readonly poisoned: readonly { slot: number; what: string }[];
  /** ld_imm64 of module variables: index in `insns` and the module whose BTF fd goes in `imm2`. */
  readonly btfRefs: readonly { index: number; module: string }[];
  /** Modules whose BTF fds make up the program's fd_array from index 1 (kfunc calls' `off`). */
  readonly fdArrayModules: readonly string[];
}

interface KconfigLayout {
  size: number;
  offsets: Map<string, number>;
  value: Uint8Array;
}

const KCONFIG = '.kconfig';

function mapNameFor(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/** A BPF object opened for loading. */
export class BpfObject {
  /** The parsed object. */
  readonly spec: ObjectSpec;
  /** Options (mutable until load). */
  readonly options: OpenOptions;
  /** Maps by name, in the object's order. */
  readonly maps: ReadonlyMap<string, ObjectMap>;
  /** Programs by name, in the object's order. */
  readonly programs: ReadonlyMap<string, ObjectProgram>;
  #loaded = false;
  #kernelBtf: Btf | undefined;
  /** The backend being loaded into, while {@link load} runs (its vmlinux BTF is the default target). */
  #targetBackend: Backend | undefined;
  #structOpsAttach = new Map<string, { typeId: number; member: number }>();
  #moduleFds = new Map<string, number>();
  /** The kernel config text last parsed, and its values (the layout is computed several times). */
  #parsedConfig: { text: string; config: ReadonlyMap<string, string> } | undefined;
  readonly #sections: ReadonlyMap<string, SectionLayout>;

  private constructor(
    spec: ObjectSpec,
    options: OpenOptions,
    sections: ReadonlyMap<string, SectionLayout>,
    structOps: readonly StructOpsSpec[] = [],
  ) {
    this.spec = spec;
    this.#sections = sections;
    this.options = { ...options };
    const maps = new Map<string, ObjectMap>();
    for (const m of spec.maps) maps.set(m.name, new ObjectMap(m, this));
    for (const so of structOps) {
      if (maps.has(so.name))
        throw new LoaderError(
          { map: so.name },
          `struct_ops variable '${so.name}' has the name of another map`,
        );
      maps.set(so.name, new ObjectMap(structOpsMapSpec(so), this, so));
    }
    this.maps = maps;
    const progs = new Map<string, ObjectProgram>();
    for (const p of spec.programs) progs.set(p.name, new ObjectProgram(p, this));
    this.programs = progs;
  }

  /** Opens an object from its bytes (the CLI reads files). Malformed input: FormatError. */
  static open(bytes: Uint8Array, options: OpenOptions = {}): BpfObject {
    const { spec, elf } = parseObjectWithElf(bytes, options.parse);
    if (spec.btf === undefined) return new BpfObject(spec, options, new Map());
    return new BpfObject(spec, options, sectionLayouts(elf), parseStructOps(elf, spec.btf.btf));
  }

  /**
   * Opens an already parsed spec. Without the bytes, DATASECs of sections that are not maps
   * (`license`, `version`) are sized from their variables.
   */
  static fromSpec(spec: ObjectSpec, options: OpenOptions = {}): BpfObject {
    return new BpfObject(spec, options, new Map());
  }

  /** True once {@link load} has been called. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * The target BTF (parsed once): the `kernelBtf` option, else, during {@link load}, the
   * backend's own vmlinux BTF (read through bpf(2), cached per backend).
   */
  kernelBtf(): Btf | undefined {
    const k = this.options.kernelBtf;
    if (k === undefined)
      return this.#targetBackend === undefined ? undefined : backendKernelBtf(this.#targetBackend);
    if (this.#kernelBtf === undefined) this.#kernelBtf = k instanceof Uint8Array ? parseBtf(k) : k;
    return this.#kernelBtf;
  }

  /** The `.kconfig` layout: offsets of kconfig externs and the map value, or undefined when none. */
  kconfigLayout(): KconfigLayout | undefined {
    const ext = this.spec.externs.filter((e) => e.kind === 'kconfig');
    if (ext.length === 0) return undefined;
    const offsets = new Map<string, number>();
    let off = 0;
    const slots: [ExternSpec, KconfigSlot, number][] = [];
    for (const e of ext) {
      const slot = this.kconfigSlot(e);
      const align = slot.shape === 'array' ? 1 : Math.min(8, slot.size);
      off = Math.ceil(off / align) * align;
      offsets.set(e.name, off);
      slots.push([e, slot, off]);
      off += slot.size;
    }
    const size = Math.max(8, Math.ceil(off / 8) * 8);
    const value = new Uint8Array(size);
    const text = this.options.kconfig;
    let config: ReadonlyMap<string, string>;
    if (text === undefined) config = new Map<string, string>();
    else if (this.#parsedConfig?.text === text) config = this.#parsedConfig.config;
    else {
      config = parseKernelConfig(text);
      this.#parsedConfig = { text, config };
    }
    for (const [e, slot, o] of slots) {
      let raw: string | undefined;
      if (e.name === 'LINUX_KERNEL_VERSION') {
        if (this.options.kernelRelease !== undefined)
          raw = String(kernelVersionCode(this.options.kernelRelease));
      } else raw = config.get(e.name);
      if (raw === undefined) {
        if (e.weak) continue;
        throw new LoaderError(
          { symbol: e.name },
          `kconfig extern '${e.name}' has no value (${e.name === 'LINUX_KERNEL_VERSION' ? 'no kernelRelease given' : this.options.kconfig === undefined ? 'no kernel config given' : 'not in the kernel config'})`,
        );
      }
      try {
        encodeKconfigValue(slot, raw, value.subarray(o, o + slot.size));
      } catch (err) {
        throw new LoaderError({ symbol: e.name }, (err as Error).message);
      }
    }
    return { size, offsets, value };
  }

  private kconfigSlot(e: ExternSpec): KconfigSlot {
    const btf = this.spec.btf?.btf;
    const size = e.size ?? 0;
    if (btf === undefined || e.type === undefined || size === 0)
      throw new LoaderError({ symbol: e.name }, `kconfig extern '${e.name}' has no BTF type`);
    const t = btf.type(btf.resolve(e.type));
    if (t.kind === 'INT') {
      if (t.bool) return { name: e.name, size, shape: 'bool', signed: false };
      if (t.char && size === 1) return { name: e.name, size, shape: 'char', signed: t.signed };
      return { name: e.name, size, shape: 'int', signed: t.signed };
    }
    if (t.kind === 'ENUM' && t.name === 'libbpf_tristate')
      return { name: e.name, size, shape: 'tristate', signed: false };
    if (t.kind === 'ENUM') return { name: e.name, size, shape: 'int', signed: t.signed };
    if (t.kind === 'ARRAY') return { name: e.name, size, shape: 'array', signed: false };
    throw new LoaderError({ symbol: e.name }, `kconfig extern '${e.name}' has unsupported type ${t.kind}`);
  }

  /**
   * The object's BTF as it will be loaded: little-endian, extern declarations made loadable,
   * DATASEC sizes and offsets fixed up, what Linux refuses in extern declarations fixed as libbpf
   * does (see {@link fixForKernel}: kfunc parameters named, typeless ksym VARs typed `int`, DATASEC
   * entries in offset order), sanitized for `features`. Undefined when the object has no BTF.
   */
  loadableBtf(features: BtfFeatures = ALL_BTF_FEATURES): Uint8Array | undefined {
    const info = this.spec.btf;
    if (info === undefined) return undefined;
    const btf = info.btf;
    const raw = new RawBtf(btf);
    const K = BTF_KIND;
    const kconfig = this.kconfigLayout();
    let intId = 0;
    const int = () => (intId ||= raw.add([raw.addString('int'), RawBtf.info(K.INT, 0), 4, (1 << 24) | 32]));
    let dummyVar = 0;
    const n = raw.records.length;
    for (let id = 1; id < n; id++) {
      const r = raw.records[id]!;
      const kind = raw.kind(id);
      if (kind === K.VAR && r[3] === 2) r[3] = 1; // extern → global allocated
      if (kind === K.FUNC && raw.vlen(id) === 2) r[1] = RawBtf.info(K.FUNC, 1); // extern → global
      if (kind !== K.DATASEC) continue;
      const name = raw.name(id);
      const vlen = raw.vlen(id);
      if (name === KCONFIG && kconfig !== undefined) {
        r[2] = kconfig.size;
        for (let i = 0; i < vlen; i++) {
          const vname = raw.name(r[3 + 3 * i]!);
          const off = kconfig.offsets.get(vname);
          if (off !== undefined) r[3 + 3 * i + 1] = off;
        }
      } else if (name === '.ksyms') {
        if (dummyVar === 0)
          dummyVar = raw.add([raw.addString('__tsbpf_ksym'), RawBtf.info(K.VAR, 0), int(), 1]);
        for (let i = 0; i < vlen; i++) {
          r[3 + 3 * i] = dummyVar;
          r[3 + 3 * i + 1] = 4 * i;
          r[3 + 3 * i + 2] = 4;
        }
        r[2] = 4 * Math.max(1, vlen);
      } else {
        const map = this.maps.get(name);
        const sec = this.#sections.get(name);
        if (map !== undefined && map.spec.origin === 'data') {
          r[2] = map.valueSize;
          for (let i = 0; i < vlen; i++) {
            const vname = raw.name(r[3 + 3 * i]!);
            const v = map.spec.variables.find((x) => x.name === vname);
            if (v !== undefined) r[3 + 3 * i + 1] = v.offset;
          }
          const rs = map.datasecResize;
          if (rs !== undefined) {
            // A new array type of the new length; the last variable now has that type.
            const arr = raw.add([0, RawBtf.info(K.ARRAY, 0), 0, rs.elemType, rs.indexType, rs.nelems]);
            const vr = raw.records[rs.varId]!.slice();
            vr[2] = arr;
            raw.records[rs.varId] = vr;
            r[3 + 3 * rs.entry + 2] = rs.varSize;
          }
        } else if (sec !== undefined) {
          r[2] = sec.size;
          for (let i = 0; i < vlen; i++) {
            const off = sec.vars.get(raw.name(r[3 + 3 * i]!));
            if (off !== undefined) r[3 + 3 * i + 1] = off;
          }
        } else if (r[2] === 0) {
          let end = 0;
          for (let i = 0; i < vlen; i++) {
            r[3 + 3 * i + 1] = end;
            end += r[3 + 3 * i + 2]!;
          }
          r[2] = end;
        }
      }
    }
    fixForKernel(raw, int);
    sanitize(raw, features);
    return raw.serialize();
  }

  /**
   * Links and relocates every program that will load, without a backend: maps are referenced
   * with fd 0 (filled in at load), everything else is final. Errors name the program, the
   * instruction and the symbol.
   */
  relocate(): RelocatedProgram[] {
    const out: RelocatedProgram[] = [];
    const kconfig = this.kconfigLayout();
    for (const p of this.programs.values()) {
      if (!p.autoload) continue;
      out.push(this.relocateOne(p, kconfig));
    }
    return out;
  }

  private relocateOne(p: ObjectProgram, kconfig: KconfigLayout | undefined): RelocatedProgram {
    if (p.type === 0)
      throw new LoaderError(
        { program: p.name, symbol: p.spec.section },
        `section '${p.spec.section}' is not a known program type (set the program's type, or autoload = false)`,
      );
    const linked = linkProgram(this.spec, p.name);
    const insns = linked.insns.slice();
    const mapRefs: { index: number; map: string }[] = [];
    const poisoned: { slot: number; what: string }[] = [];
    const slotToIndex = new Map<number, number>();
    let s = 0;
    insns.forEach((x, i) => {
      slotToIndex.set(s, i);
      s += x.code === LD_IMM64 ? 2 : 1;
    });
    const fail = (slot: number, symbol: string, why: string) =>
      new LoaderError({ program: p.name, insn: slot, symbol }, why);
    const btfRefs: { index: number; module: string }[] = [];
    const fdArrayModules: string[] = [];
    for (const r of linked.relocations) {
      const insn = insns[r.insn]!;
      if (r.kind === 'map' || r.kind === 'data') {
        const m = this.maps.get(r.map);
        if (m === undefined)
          throw fail(r.slot, r.symbol, `relocation against '${r.symbol}': no map '${r.map}'`);
        if (!m.autocreate)
          throw fail(r.slot, r.symbol, `uses map '${r.map}', which is not created (autocreate is false)`);
        if (insn.code !== LD_IMM64)
          throw fail(r.slot, r.symbol, `relocation against map '${r.map}' on a non-ld_imm64 instruction`);
        insns[r.insn] =
          r.kind === 'map'
            ? { ...insn, src: Pseudo.MAP_FD, imm: 0, imm2: 0 }
            : { ...insn, src: Pseudo.MAP_VALUE, imm: 0, imm2: r.offset };
        mapRefs.push({ index: r.insn, map: r.map });
        continue;
      }
      const ext = this.spec.externs.find((e) => e.name === r.extern);
      if (ext === undefined) throw fail(r.slot, r.symbol, `relocation against unknown extern '${r.extern}'`);
      if (ext.kind === 'kconfig') {
        const off = kconfig?.offsets.get(ext.name);
        if (off === undefined) throw fail(r.slot, ext.name, `kconfig extern '${ext.name}' is not laid out`);
        insns[r.insn] = { ...insn, src: Pseudo.MAP_VALUE, imm: 0, imm2: off + insn.imm };
        mapRefs.push({ index: r.insn, map: KCONFIG });
      } else if (ext.kind === 'ksym') {
        if (insn.code !== LD_IMM64)
          throw fail(r.slot, ext.name, 'ksym relocation on a non-ld_imm64 instruction');
        const typed =
          ext.type !== undefined && ext.type !== 0 && this.spec.btf!.btf.skipModifiers(ext.type) !== 0;
        if (typed) {
          const found = this.findKernelSymbol(p.name, r.slot, ext.name, BTF_KIND.VAR);
          if (found === undefined) {
            if (!ext.weak)
              throw fail(r.slot, ext.name, `ksym '${ext.name}' is not a variable in the kernel BTF`);
            insns[r.insn] = { ...insn, src: 0, imm: 0, imm2: 0 };
          } else {
            // A module's variable: insn[1].imm is the module BTF's fd (filled in at load).
            insns[r.insn] = { ...insn, src: Pseudo.BTF_ID, imm: found.id, imm2: 0 };
            if (found.module !== undefined) btfRefs.push({ index: r.insn, module: found.module });
          }
        } else {
          const a = this.options.ksymAddress?.(ext.name);
          if (a === undefined && !ext.weak)
            throw fail(r.slot, ext.name, `typeless ksym '${ext.name}': address unknown`);
          const v = a ?? 0n;
          insns[r.insn] = {
            ...insn,
            src: 0,
            imm: Number(BigInt.asIntN(32, v)),
            imm2: Number(BigInt.asIntN(32, v >> 32n)),
          };
        }
      } else {
        const found = this.findKernelSymbol(p.name, r.slot, ext.name, BTF_KIND.FUNC);
        if (found === undefined) {
          if (!ext.weak) throw fail(r.slot, ext.name, `kfunc '${ext.name}' is not in the kernel BTF`);
          insns[r.insn] = { ...insn, src: CallKind.KFUNC, imm: 0, off: 0 };
        } else {
          // A module's kfunc: `off` indexes the program's fd_array, which holds the module BTF fd
          // (index 0 stays unused: off 0 means vmlinux).
          let off = 0;
          if (found.module !== undefined) {
            let i = fdArrayModules.indexOf(found.module);
            if (i < 0) i = fdArrayModules.push(found.module) - 1;
            off = i + 1;
          }
          insns[r.insn] = { ...insn, src: CallKind.KFUNC, imm: found.id, off };
        }
      }
    }
    if (linked.coreRelos.length > 0) {
      const local = this.spec.btf!.btf;
      const vmlinux = this.requireKernelBtf(p.name, linked.coreRelos[0]!.slot, 'CO-RE');
      for (const c of linked.coreRelos) {
        const target = this.coreTarget(vmlinux, local, c.typeId);
        const index = slotToIndex.get(c.slot);
        const where = () =>
          `program '${p.name}' insn ${c.slot}: CO-RE ${coreKindName(c.kind)} ${local.nameOf(c.typeId) || `type ${c.typeId}`} ${c.access}`;
        if (index === undefined) throw new LoaderError({}, `${where()}: not at an instruction`);
        try {
          if (patchCoreInsn(insns, index, computeCoreRelo(local, target, c, where), where))
            poisoned.push({ slot: c.slot, what: where().replace(/^program '[^']*' insn \d+: /, '') });
        } catch (e) {
          if (e instanceof LoaderError)
            throw new LoaderError(
              { program: p.name, insn: c.slot, symbol: local.nameOf(c.typeId) },
              e.message.replace(/^program '[^']*' insn \d+: /, ''),
            );
          throw e;
        }
      }
    }
    return { program: p, linked, insns, mapRefs, poisoned, btfRefs, fdArrayModules };
  }

  /**
   * A kernel variable or function by name: in vmlinux, else in the first module BTF
   * ({@link OpenOptions.moduleBtf}) that defines it.
   */
  private findKernelSymbol(
    program: string,
    slot: number,
    name: string,
    kind: number,
  ): { id: number; module?: string } | undefined {
    const kb = this.requireKernelBtf(program, slot, name);
    const id = kb.findId(name, kind);
    if (id !== undefined) return { id };
    for (const m of this.options.moduleBtf ?? []) {
      const mid = m.btf.findByName(name, kind).find((x) => x >= m.btf.startId);
      if (mid !== undefined) return { id: mid, module: m.name };
    }
    return undefined;
  }

  /**
   * The CO-RE target for a relocation on local type `typeId`: vmlinux, unless no vmlinux type
   * has its name (without a `___flavor` suffix) and a module BTF does; then that module's split
   * BTF (vmlinux plus the module's types), as libbpf looks at modules only when vmlinux has no
   * candidate.
   */
  private coreTarget(vmlinux: Btf, local: Btf, typeId: number): Btf {
    const mods = this.options.moduleBtf;
    if (mods === undefined || mods.length === 0) return vmlinux;
    const name = local.nameOf(local.skipModifiers(typeId)).replace(/___.*$/, '');
    if (name === '' || vmlinux.findByName(name).length > 0) return vmlinux;
    for (const m of mods) if (m.btf.findByName(name).some((x) => x >= m.btf.startId)) return m.btf;
    return vmlinux;
  }

  private requireKernelBtf(program: string, slot: number, symbol: string): Btf {
    const k = this.kernelBtf();
    if (k === undefined)
      throw new LoaderError(
        { program, insn: slot, symbol },
        `needs the kernel BTF for '${symbol}' (option kernelBtf; the backend has no vmlinux BTF to read)`,
      );
    return k;
  }

  private attachBtfId(p: ObjectProgram): number | undefined {
    const so = this.#structOpsAttach.get(p.name);
    if (so !== undefined) return so.typeId;
    const a = p.attachType;
    let name: string | undefined;
    let kind: number = BTF_KIND.FUNC;
    if (a === AttachType.TRACE_RAW_TP) {
      name = `btf_trace_${p.attachTo}`;
      kind = BTF_KIND.TYPEDEF;
    } else if (
      a === AttachType.TRACE_FENTRY ||
      a === AttachType.TRACE_FEXIT ||
      a === AttachType.MODIFY_RETURN
    )
      name = p.attachTo;
    else if (a === AttachType.LSM_MAC || a === AttachType.LSM_CGROUP) name = `bpf_lsm_${p.attachTo}`;
    else if (a === AttachType.TRACE_ITER) name = `bpf_iter_${p.attachTo}`;
    if (name === undefined) return undefined;
    const kb = this.requireKernelBtf(p.name, 0, name);
    const id = kb.findId(name, kind);
    if (id === undefined)
      throw new LoaderError(
        { program: p.name, symbol: name },
        `attach target '${name}' is not in the kernel BTF`,
      );
    return id;
  }

  /**
   * Creates the maps and loads the programs through `backend`. On any failure everything created
   * so far is closed and the error is thrown: {@link LoaderError} (the object or options),
   * {@link ProgramLoadError} (a program the verifier refused), BpfError (other syscalls).
   */
  load(backend: Backend): Collection {
    if (this.#loaded) throw new LoaderError({}, 'the object is already loaded');
    if (this.spec.endian !== 'little')
      throw new LoaderError(
        {},
        'the object is big-endian; backends run little-endian programs (use the bpfel object)',
      );
    for (const m of this.maps.values()) {
      const ex = m.exclusiveProgram;
      if (ex !== undefined && !ex.autoload)
        throw new LoaderError(
          { map: m.name },
          `exclusive program '${ex.name}' is not being loaded (autoload is false)`,
        );
    }
    this.#targetBackend = backend;
    try {
      const relocated = this.relocate();
      this.#loaded = true;
      const owned: Disposable[] = [];
      try {
        return this.loadRelocated(backend, relocated, owned);
      } catch (e) {
        for (const o of owned.reverse()) o[Symbol.dispose]();
        throw e;
      }
    } finally {
      this.#targetBackend = undefined;
    }
  }

  private loadRelocated(backend: Backend, relocated: RelocatedProgram[], owned: Disposable[]): Collection {
    const features = this.spec.btf !== undefined ? probeBtfFeatures(backend) : ALL_BTF_FEATURES;
    let btfFd: Fd | undefined;
    const warnings: string[] = [];
    const fixed = this.loadableBtf();
    let parsedFixed: Btf | undefined;
    const objBtf = fixed === undefined ? undefined : () => (parsedFixed ??= parseBtf(fixed));
    const allFeatures = Object.values(features).every((x) => x);
    if (this.spec.btf !== undefined && features.btf) {
      const bytes = allFeatures ? fixed! : this.loadableBtf(features)!;
      try {
        btfFd = backend.btfLoad({ btf: bytes });
        owned.push(btfFd);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        warnings.push(`BTF not loaded: ${e.message.split('\n')[0]}`);
      }
    }
    // Module BTF fds: into ksym ld_imm64s now (before program hashes), and fd_arrays at load.
    const moduleFds = new Map<string, number>();
    for (const r of relocated) {
      for (const name of [...r.fdArrayModules, ...r.btfRefs.map((x) => x.module)]) {
        if (moduleFds.has(name)) continue;
        const m = this.options.moduleBtf?.find((x) => x.name === name);
        if (m?.fd !== undefined) moduleFds.set(name, m.fd);
        else if (m?.id !== undefined) {
          const fd = backend.btfGetFdById(m.id);
          owned.push(fd);
          moduleFds.set(name, fd.fd);
        } else
          throw new LoaderError(
            { program: r.program.name, symbol: name },
            `module '${name}' BTF has neither an id nor an fd to refer to it by`,
          );
      }
      for (const ref of r.btfRefs) {
        const insn = r.insns[ref.index]!;
        (r.insns as Insn[])[ref.index] = { ...insn, imm2: moduleFds.get(ref.module)! };
      }
    }
    this.#moduleFds = moduleFds;
    const kconfig = this.kconfigLayout();
    const hashes = new Map<ObjectProgram, Uint8Array>();
    for (const r of relocated) {
      if ([...this.maps.values()].some((m) => m.exclusiveProgram === r.program))
        hashes.set(r.program, progHash(r.insns));
    }

    // struct_ops: the kernel's types of each map, and what its programs attach to.
    const structOps = new Map<ObjectMap, KernelStructOps>();
    const structOpsAttach = new Map<string, { typeId: number; member: number }>();
    // Programs attach as their map says even when the map is not created (libbpf does the same).
    for (const m of this.maps.values()) {
      if (m.structOps === undefined) continue;
      if (!m.autocreate && !m.structOps.funcs.some((f) => this.programs.get(f.program)?.autoload)) continue;
      const kb = this.kernelBtf();
      if (kb === undefined)
        throw new LoaderError({ map: m.name }, 'a struct_ops map needs the kernel BTF (option kernelBtf)');
      const ks = kernelStructOps(m.structOps, kb);
      if (m.autocreate) structOps.set(m, ks);
      for (const [prog, member] of ks.memberIndex) {
        const prev = structOpsAttach.get(prog);
        if (prev !== undefined && (prev.typeId !== ks.typeId || prev.member !== member))
          throw new LoaderError(
            { map: m.name, program: prog },
            `program '${prog}' is used by struct_ops maps of different types or members`,
          );
        structOpsAttach.set(prog, { typeId: ks.typeId, member });
      }
    }
    this.#structOpsAttach = structOpsAttach;

    // Maps.
    const maps = new Map<string, LoadedMap>();
    const createStructOps = (m: ObjectMap, ks: KernelStructOps): LoadedMap => {
      if (btfFd === undefined)
        throw new LoaderError({ map: m.name }, 'a struct_ops map needs the object BTF loaded');
      let fd: Fd;
      try {
        fd = backend.mapCreate({
          mapType: MapType.STRUCT_OPS,
          keySize: 4,
          valueSize: ks.valueSize,
          maxEntries: 1,
          mapFlags: m.flags,
          mapName: mapNameFor(m.name),
          btfFd: btfFd.fd,
          btfVmlinuxValueTypeId: ks.valueTypeId,
        });
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        if (backend.name !== 'kernel')
          throw new UnsupportedError(
            { map: m.name },
            'struct_ops',
            `struct_ops map '${m.name}' (${m.structOps!.typeName}): the ${backend.name} backend has no struct_ops maps (BPF_MAP_CREATE: ${e.code})`,
            e,
          );
        throw new BpfError(e.command, e.errno, `struct_ops map '${m.name}'`);
      }
      owned.push(fd);
      return new LoadedMap(
        backend,
        fd,
        m.name,
        MapType.STRUCT_OPS,
        4,
        ks.valueSize,
        1,
        m.flags,
        undefined,
        undefined,
        undefined,
        this.options.cpus,
        undefined,
        false,
      );
    };
    const create = (m: ObjectMap): LoadedMap => {
      const ks = structOps.get(m);
      if (ks !== undefined) return createStructOps(m, ks);
      const s = m.spec;
      const pinPath =
        m.pinning === 1 && this.options.pinRoot !== undefined
          ? `${this.options.pinRoot}/${s.name.replace(/\./g, '_')}`
          : undefined;
      if (pinPath !== undefined) {
        let fd: Fd | undefined;
        try {
          fd = backend.objGet({ pathname: pinPath }, 'map');
        } catch (e) {
          if (!BpfError.is(e, 'ENOENT')) throw e;
        }
        if (fd !== undefined) {
          owned.push(fd);
          const info = backend.objGetInfoByFd(fd.fd, { kind: 'map' });
          const diffs: string[] = [];
          const cmp = (what: string, have: number | bigint, want: number | bigint) => {
            if (have !== want) diffs.push(`${what} ${have} != ${want}`);
          };
          cmp('type', info.type, s.type);
          cmp('key_size', info.keySize, s.keySize);
          cmp('value_size', info.valueSize, m.valueSize);
          cmp('max_entries', info.maxEntries, m.maxEntries);
          cmp('map_flags', info.mapFlags, m.flags);
          cmp('map_extra', info.mapExtra, s.mapExtra);
          if (diffs.length > 0)
            throw new LoaderError(
              { map: s.name, symbol: pinPath },
              `pinned map at ${pinPath} is incompatible (${diffs.join(', ')})`,
            );
          if (m.exclusiveProgram !== undefined)
            throw new LoaderError(
              { map: s.name },
              `reuses the pinned map at ${pinPath}, which cannot be made exclusive`,
            );
          return new LoadedMap(
            backend,
            fd,
            s.name,
            info.type,
            s.keySize,
            m.valueSize,
            info.maxEntries,
            info.mapFlags,
            objBtf,
            s.keyType,
            s.valueType,
            this.options.cpus,
            pinPath,
            true,
          );
        }
      }
      let inner: Fd | undefined;
      if (s.inner !== undefined) {
        const i = s.inner;
        inner = backend.mapCreate({
          mapType: i.type,
          keySize: i.keySize,
          valueSize: i.valueSize,
          maxEntries: i.maxEntries,
          mapFlags: i.flags,
          mapName: mapNameFor(`${s.name}.inner`),
          mapExtra: i.mapExtra,
        });
      }
      const isData = s.origin === 'data';
      // Global data is typed by its DATASEC (rewritten away when the backend lacks DATASEC).
      // A non-data map whose value size was changed no longer matches its BTF value type.
      const useBtf =
        btfFd !== undefined &&
        (isData ? features.datasec : m.valueSize === s.valueSize) &&
        !isMapInMap(s.type) &&
        s.type !== MapType.PROG_ARRAY;
      const excl = m.exclusiveProgram;
      let fd: Fd;
      try {
        fd = backend.mapCreate({
          mapType: s.type,
          keySize: s.keySize,
          valueSize: m.valueSize,
          maxEntries: m.maxEntries,
          mapFlags: m.flags | (isData && s.readonly ? MapFlag.RDONLY_PROG : 0),
          innerMapFd: inner?.fd,
          numaNode: s.numaNode,
          mapName: mapNameFor(s.name),
          mapExtra: s.mapExtra,
          btfFd: useBtf && (isData ? s.btfId : (s.valueType ?? s.keyType)) ? btfFd!.fd : undefined,
          btfKeyTypeId: useBtf && !isData ? s.keyType : undefined,
          btfValueTypeId: useBtf ? (isData ? s.btfId : s.valueType) : undefined,
          exclProgHash: excl !== undefined ? hashes.get(excl) : undefined,
        });
      } catch (e) {
        if (e instanceof BpfError && !(e instanceof VerifierError))
          throw new BpfError(e.command, e.errno, `map '${s.name}'`);
        throw e;
      } finally {
        inner?.close();
      }
      owned.push(fd);
      const lm = new LoadedMap(
        backend,
        fd,
        s.name,
        s.type,
        s.keySize,
        m.valueSize,
        m.maxEntries,
        m.flags,
        objBtf,
        isData ? s.btfId : s.keyType,
        isData ? s.btfId : s.valueType,
        this.options.cpus,
        pinPath,
        false,
        excl?.name,
      );
      if (isData) {
        const init = m.initialValue;
        if (init?.some((b) => b !== 0)) backend.mapUpdateElem(fd.fd, new Uint8Array(4), init);
        if (s.readonly) backend.mapFreeze(fd.fd);
      }
      return lm;
    };
    for (const m of this.maps.values()) {
      if (!m.autocreate) continue;
      maps.set(m.name, create(m));
    }
    if (kconfig !== undefined) {
      const dsId = this.spec.btf?.btf.findId(KCONFIG, BTF_KIND.DATASEC);
      const useBtf = btfFd !== undefined && features.datasec && dsId !== undefined;
      const fd = backend.mapCreate({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: kconfig.size,
        maxEntries: 1,
        mapFlags: MapFlag.RDONLY_PROG,
        mapName: KCONFIG,
        btfFd: useBtf ? btfFd!.fd : undefined,
        btfValueTypeId: useBtf ? dsId : undefined,
      });
      owned.push(fd);
      backend.mapUpdateElem(fd.fd, new Uint8Array(4), kconfig.value);
      backend.mapFreeze(fd.fd);
      maps.set(
        KCONFIG,
        new LoadedMap(
          backend,
          fd,
          KCONFIG,
          MapType.ARRAY,
          4,
          kconfig.size,
          1,
          MapFlag.RDONLY_PROG,
          objBtf,
          dsId,
          dsId,
          this.options.cpus,
          undefined,
          false,
        ),
      );
    }
    // Map-in-map slots.
    for (const m of this.maps.values()) {
      const lm = maps.get(m.name);
      if (lm === undefined || lm.reused) continue;
      for (const v of m.spec.values) {
        if (v.kind !== 'map') continue;
        const target = maps.get(v.target);
        if (target === undefined)
          throw new LoaderError(
            { map: m.name, symbol: v.target },
            `slot ${v.index} refers to map '${v.target}', which is not created`,
          );
        backend.mapUpdateElem(lm.fd.fd, u32(v.index), u32(target.fd.fd));
      }
    }

    // Programs.
    const progs = new Map<string, LoadedProgram>();
    for (const r of relocated) {
      const insns = r.insns.slice();
      for (const ref of r.mapRefs) {
        const lm = maps.get(ref.map);
        if (lm === undefined)
          throw new LoaderError(
            { program: r.program.name, map: ref.map },
            `map '${ref.map}' was not created`,
          );
        insns[ref.index] = { ...insns[ref.index]!, imm: lm.fd.fd };
      }
      const lp = this.loadProgram(backend, r, insns, btfFd, features);
      owned.push(lp);
      progs.set(r.program.name, lp);
    }
    // struct_ops values: program fds and data members, in the kernel's layout. A `.struct_ops.link`
    // map is filled now (that registers nothing); filling a `.struct_ops` map registers it with
    // the kernel subsystem, so that waits for LoadedMap.registerStructOps() unless asked for.
    for (const [m, ks] of structOps) {
      const value = structOpsValue(m.structOps!, this.spec.btf!.btf, this.kernelBtf()!, ks, (name) => {
        const lp = progs.get(name);
        return lp?.fd.fd;
      });
      const lm = maps.get(m.name)!;
      lm.setStructOpsValue(value);
      if (!m.structOps!.link && !this.options.registerStructOps) continue;
      try {
        backend.mapUpdateElem(maps.get(m.name)!.fd.fd, u32(0), value);
      } catch (e) {
        if (e instanceof BpfError) throw new BpfError(e.command, e.errno, `struct_ops map '${m.name}' value`);
        throw e;
      }
    }
    // prog_array slots.
    for (const m of this.maps.values()) {
      const lm = maps.get(m.name);
      if (lm === undefined || lm.reused) continue;
      for (const v of m.spec.values) {
        if (v.kind !== 'program') continue;
        const target = progs.get(v.target);
        if (target === undefined) {
          if (this.programs.get(v.target)?.autoload === false) continue;
          throw new LoaderError(
            { map: m.name, symbol: v.target },
            `slot ${v.index} refers to program '${v.target}', which is not loaded`,
          );
        }
        backend.mapUpdateElem(lm.fd.fd, u32(v.index), u32(target.fd.fd));
      }
    }
    // Pins.
    for (const lm of maps.values()) {
      if (lm.pinPath !== undefined && !lm.reused) backend.objPin({ pathname: lm.pinPath, bpfFd: lm.fd.fd });
    }
    return new Collection(maps, progs, btfFd, warnings);
  }

  private loadProgram(
    backend: Backend,
    r: RelocatedProgram,
    insns: Insn[],
    btfFd: Fd | undefined,
    features: BtfFeatures,
  ): LoadedProgram {
    const p = r.program;
    const info = this.spec.btf;
    const withBtf = btfFd !== undefined && info !== undefined && features.func;
    let funcInfo: Uint8Array | undefined;
    let lineInfo: Uint8Array | undefined;
    if (withBtf && r.linked.funcInfo.length > 0) {
      funcInfo = new Uint8Array(8 * r.linked.funcInfo.length);
      const dv = new DataView(funcInfo.buffer);
      r.linked.funcInfo.forEach((f, i) => {
        dv.setUint32(8 * i, f.slot, true);
        dv.setUint32(8 * i + 4, f.typeId, true);
      });
    }
    if (withBtf && r.linked.lineInfo.length > 0) {
      const strings = info.btf.strings;
      lineInfo = new Uint8Array(16 * r.linked.lineInfo.length);
      const dv = new DataView(lineInfo.buffer);
      r.linked.lineInfo.forEach((l, i) => {
        dv.setUint32(16 * i, l.slot, true);
        dv.setUint32(16 * i + 4, strings.find(l.file) ?? 0, true);
        dv.setUint32(16 * i + 8, strings.find(l.lineText) ?? 0, true);
        dv.setUint32(16 * i + 12, ((l.line << 10) | (l.column & 0x3ff)) >>> 0, true);
      });
    }
    const bytes = encode(insns);
    const attachBtfId = this.attachBtfId(p);
    try {
      const fd = backend.progLoad({
        progType: p.type,
        insns: bytes,
        license: this.spec.license,
        logLevel: this.options.logLevel ?? 0,
        kernVersion: this.spec.kernelVersion,
        progFlags: p.flags,
        progName: mapNameFor(p.name),
        expectedAttachType: this.#structOpsAttach.get(p.name)?.member ?? p.attachType,
        progBtfFd: withBtf ? btfFd.fd : undefined,
        funcInfo,
        lineInfo,
        attachBtfId,
        fdArray:
          r.fdArrayModules.length > 0
            ? Int32Array.from([0, ...r.fdArrayModules.map((m) => this.#moduleFds.get(m)!)])
            : undefined,
      });
      return new LoadedProgram(backend, fd, p.name, p.type, bytes, r.linked);
    } catch (e) {
      if (e instanceof VerifierError) {
        const insn = lastInsn(e.lines);
        const core = r.poisoned.find((x) => x.slot === insn);
        throw new ProgramLoadError(
          p.name,
          e,
          insn,
          insn === undefined ? undefined : sourceAt(r.linked, insn),
          core === undefined ? undefined : `${core.what} is not satisfied by the target BTF`,
        );
      }
      if (e instanceof BpfError) throw new BpfError(e.command, e.errno, `program '${p.name}'`);
      throw e;
    }
  }
}

/** Size and symbol offsets of an ELF data section, for DATASEC fix-ups. */
interface SectionLayout {
  size: number;
  vars: Map<string, number>;
}

function sectionLayouts(elf: ElfFile): Map<string, SectionLayout> {
  const out = new Map<string, SectionLayout>();
  const byIndex = new Map<number, SectionLayout>();
  for (const s of elf.sections) {
    if (s.name === '' || out.has(s.name)) continue;
    const l = { size: s.size, vars: new Map<string, number>() };
    out.set(s.name, l);
    byIndex.set(s.index, l);
  }
  for (const y of elf.symbols()) {
    const l = byIndex.get(y.shndx);
    if (l !== undefined && y.name !== '' && !l.vars.has(y.name)) l.vars.set(y.name, y.value);
  }
  return out;
}

function structOpsMapSpec(so: StructOpsSpec): MapSpec {
  return {
    name: so.name,
    origin: 'btf',
    section: so.section,
    type: MapType.STRUCT_OPS,
    typeName: 'STRUCT_OPS',
    keySize: 4,
    valueSize: 0,
    maxEntries: 1,
    flags: so.link ? MapFlag.LINK : 0,
    numaNode: 0,
    pinning: 0,
    mapExtra: 0n,
    keyType: undefined,
    valueType: so.typeId,
    inner: undefined,
    values: [],
    data: undefined,
    readonly: false,
    variables: [],
    btfId: undefined,
  };
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The last instruction number a verifier log mentions (`12: (85) call ...`). */
export function lastInsn(lines: readonly string[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+): \(/.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /\binsn (\d+)\b/.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** The line_info entry covering slot `insn` of a linked program. */
export function sourceAt(linked: LinkedProgram, insn: number): SourceLine | undefined {
  let best: (typeof linked.lineInfo)[number] | undefined;
  for (const l of linked.lineInfo)
    if (l.slot <= insn && (best === undefined || l.slot >= best.slot)) best = l;
  if (best === undefined) return undefined;
  return { file: best.file, line: best.line, column: best.column, text: best.lineText };
}
