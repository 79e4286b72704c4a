/**
 * Live objects of a loaded {@link BpfObject}: a {@link Collection} of {@link LoadedMap}s and
 * {@link LoadedProgram}s, all disposable (`using`), with typed element access (bigint, number or
 * `Uint8Array` keys and values) and BTF-aware formatting of keys and values.
 *
 * @module
 */

import type { Btf } from '../btf/index.js';
import type { LinkedProgram } from '../elf/index.js';
import { MapType } from '../elf/index.js';
import { progHash } from '../hash/index.js';
import type { Backend } from '../sys/backend.js';
import type { Fd, LoadedFd } from '../sys/fd.js';
import type { TestRunAttr, TestRunResult } from '../uapi/attrs.js';
import type { MapInfo, ProgInfo } from '../uapi/info.js';
import { formatBtfValue } from './format.js';

/** A key or value: raw bytes, or an integer written little-endian in the map's size. */
export type MapData = Uint8Array | bigint | number;

const PERCPU = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);
const NO_KEY = new Set<number>([MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER]);

function toBytes(d: MapData, size: number, what: string): Uint8Array {
  if (d instanceof Uint8Array) {
    if (d.length !== size) throw new RangeError(`${what} is ${d.length} bytes, expected ${size}`);
    return d;
  }
  const out = new Uint8Array(size);
  let u = BigInt.asUintN(size * 8, BigInt(d));
  if (BigInt(d) < 0n && size < 8) u = BigInt.asUintN(size * 8, BigInt(d));
  for (let i = 0; i < size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

/** A map created (or reused from a pin) by the loader. */
export class LoadedMap implements Disposable {
  /** The map's fd. */
  readonly fd: Fd;
  /** Name in the object. */
  readonly name: string;
  /** `enum bpf_map_type`. */
  readonly type: number;
  /** Key size. */
  readonly keySize: number;
  /** Value size (per CPU for per-CPU maps). */
  readonly valueSize: number;
  /** max_entries. */
  readonly maxEntries: number;
  /** map_flags. */
  readonly flags: number;
  /** Where it is pinned, if it is. */
  readonly pinPath: string | undefined;
  /** True when an existing pinned map was reused. */
  readonly reused: boolean;
  /** Name of the program the map is exclusive to. */
  readonly exclusiveTo: string | undefined;
  readonly #backend: Backend;
  readonly #btf: Btf | (() => Btf | undefined) | undefined;
  readonly #keyType: number | undefined;
  readonly #valueType: number | undefined;
  readonly #cpus: number | undefined;

  /** @internal */
  constructor(
    backend: Backend,
    fd: Fd,
    name: string,
    type: number,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    flags: number,
    btf: Btf | (() => Btf | undefined) | undefined,
    keyType: number | undefined,
    valueType: number | undefined,
    cpus: number | undefined,
    pinPath: string | undefined,
    reused: boolean,
    exclusiveTo?: string,
  ) {
    this.#backend = backend;
    this.fd = fd;
    this.name = name;
    this.type = type;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.maxEntries = maxEntries;
    this.flags = flags;
    this.#btf = btf;
    this.#keyType = keyType;
    this.#valueType = valueType;
    this.#cpus = cpus;
    this.pinPath = pinPath;
    this.reused = reused;
    this.exclusiveTo = exclusiveTo;
  }

  #structOpsValue: Uint8Array | undefined;

  /** @internal The value a struct_ops map is filled with (program fds, data members). */
  setStructOpsValue(value: Uint8Array): void {
    this.#structOpsValue = value.slice();
  }

  /**
   * The value the loader computed for a struct_ops map, in the kernel's `bpf_struct_ops_<name>`
   * layout (program fds at function pointers); undefined for other maps.
   */
  get structOpsValue(): Uint8Array | undefined {
    return this.#structOpsValue?.slice();
  }

  /**
   * Fills a `.struct_ops` map with its value, which registers it with its kernel subsystem (for
   * `.struct_ops.link` maps, which the loader fills, nothing is registered until a link is made).
   */
  registerStructOps(): void {
    const v = this.#structOpsValue;
    if (v === undefined) throw new TypeError(`map '${this.name}' is not a struct_ops map`);
    this.#backend.mapUpdateElem(this.fd.fd, new Uint8Array(4), v);
  }

  /** Bytes of a value buffer (per-CPU maps: one 8-byte-aligned slot per CPU). */
  get valueBufferSize(): number {
    if (!PERCPU.has(this.type)) return this.valueSize;
    if (this.#cpus === undefined) throw new TypeError(`map '${this.name}' is per-CPU: pass the cpus option`);
    return ((this.valueSize + 7) & ~7) * this.#cpus;
  }

  #key(k: MapData | undefined): Uint8Array | undefined {
    if (NO_KEY.has(this.type) || this.keySize === 0) return undefined;
    if (k === undefined) throw new TypeError(`map '${this.name}' needs a key`);
    return toBytes(k, this.keySize, `key of map '${this.name}'`);
  }

  /** The value at `key` (raw bytes), or undefined when absent. */
  lookup(key: MapData | undefined): Uint8Array | undefined {
    const v = new Uint8Array(this.valueBufferSize);
    return this.#backend.mapLookupElem(this.fd.fd, this.#key(key), v) ? v : undefined;
  }

  /** Sets `key` to `value` (`flags`: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2). */
  update(key: MapData | undefined, value: MapData, flags = 0): void {
    this.#backend.mapUpdateElem(
      this.fd.fd,
      this.#key(key),
      toBytes(value, this.valueBufferSize, `value of map '${this.name}'`),
      flags,
    );
  }

  /** Deletes `key`; false when it was absent. */
  delete(key: MapData): boolean {
    return this.#backend.mapDeleteElem(this.fd.fd, this.#key(key)!);
  }

  /** The keys, in the map's order. */
  *keys(): IterableIterator<Uint8Array> {
    let prev: Uint8Array | undefined;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      if (!this.#backend.mapGetNextKey(this.fd.fd, prev, next)) return;
      yield next;
      prev = next;
    }
  }

  /** Key/value pairs (values looked up as the iteration goes; keys deleted meanwhile are skipped). */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  #types(): Btf | undefined {
    return typeof this.#btf === 'function' ? this.#btf() : this.#btf;
  }

  /** Formats a key with the map's BTF (a plain value when there is no BTF). */
  formatKey(key: Uint8Array): unknown {
    return formatBtfValue(this.#types(), this.#keyType, key);
  }

  /** Formats a value with the map's BTF; per-CPU values give one entry per CPU. */
  formatValue(value: Uint8Array): unknown {
    if (PERCPU.has(this.type) && this.#cpus !== undefined) {
      const stride = (this.valueSize + 7) & ~7;
      const out: unknown[] = [];
      for (let c = 0; c < this.#cpus; c++)
        out.push(
          formatBtfValue(
            this.#types(),
            this.#valueType,
            value.subarray(c * stride, c * stride + this.valueSize),
          ),
        );
      return out;
    }
    return formatBtfValue(this.#types(), this.#valueType, value);
  }

  /** Every entry, formatted. */
  dump(): { key: unknown; value: unknown }[] {
    const out: { key: unknown; value: unknown }[] = [];
    for (const [k, v] of this.entries()) out.push({ key: this.formatKey(k), value: this.formatValue(v) });
    return out;
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`. */
  info(): MapInfo {
    return this.#backend.objGetInfoByFd(this.fd.fd, { kind: 'map' });
  }

  /** Closes the fd. */
  close(): void {
    this.fd.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A program loaded by the loader. */
export class LoadedProgram implements Disposable {
  /** The program's fd (with the load's log). */
  readonly fd: LoadedFd;
  /** Name in the object. */
  readonly name: string;
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** The instructions as loaded (little-endian). */
  readonly insns: Uint8Array;
  /** The program linked with its subprograms (relocation records, func/line info). */
  readonly linked: LinkedProgram;
  readonly #backend: Backend;

  /** @internal */
  constructor(
    backend: Backend,
    fd: LoadedFd,
    name: string,
    type: number,
    insns: Uint8Array,
    linked: LinkedProgram,
  ) {
    this.#backend = backend;
    this.fd = fd;
    this.name = name;
    this.type = type;
    this.insns = insns;
    this.linked = linked;
  }

  /** SHA-256 of the program as loaded (what an exclusive map is bound to). */
  get hash(): Uint8Array {
    return progHash(this.insns);
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`. */
  info(): ProgInfo {
    return this.#backend.objGetInfoByFd(this.fd.fd, { kind: 'prog' });
  }

  /** `BPF_PROG_TEST_RUN` on this program. */
  testRun(attr: Omit<TestRunAttr, 'progFd'> = {}): TestRunResult {
    return this.#backend.progTestRun({ ...attr, progFd: this.fd.fd });
  }

  /** Closes the fd. */
  close(): void {
    this.fd.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** The maps and programs of a loaded object. Dispose it (or `using`) to close every fd. */
export class Collection implements Disposable {
  /** Maps by name (global data by section name, `.kconfig`). */
  readonly maps: ReadonlyMap<string, LoadedMap>;
  /** Programs by name. */
  readonly programs: ReadonlyMap<string, LoadedProgram>;
  /** Things that went differently than asked without failing the load (e.g. BTF refused). */
  readonly warnings: readonly string[];
  readonly #btf: Fd | undefined;

  /** @internal */
  constructor(
    maps: ReadonlyMap<string, LoadedMap>,
    programs: ReadonlyMap<string, LoadedProgram>,
    btf: Fd | undefined,
    warnings: readonly string[],
  ) {
    this.maps = maps;
    this.programs = programs;
    this.#btf = btf;
    this.warnings = warnings;
  }

  /** The object's BTF fd, when it was loaded. */
  get btfFd(): Fd | undefined {
    return this.#btf;
  }

  /** Closes every fd (pinned objects stay pinned). */
  close(): void {
    for (const p of this.programs.values()) p.close();
    for (const m of this.maps.values()) m.close();
    this.#btf?.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
