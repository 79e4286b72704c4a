/**
 * The base of every machine map: the attributes, the syscall-side operations (which copy) and
 * the program-side operations of {@link EngineMap} (which alias the storage).
 *
 * Errors are returned as negative errno numbers (see {@link Errno}), never thrown, so the same
 * code serves the syscall path and the helpers.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import type { EngineMap } from '../engine/env.js';

/** The creation attributes every map keeps (after validation). */
export interface MapDef {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes (as created; fd maps: 4). */
  readonly valueSize: number;
  /** Maximum number of entries (as the kernel reports it after any rounding). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** `map_extra` (bloom filter: number of hash functions in the low 4 bits). */
  readonly mapExtra: bigint;
  /** Number of possible CPUs (per-CPU maps keep one value per CPU). */
  readonly numCpus: number;
}

/**
 * An object a map slot can hold (a program in a prog_array, a map in a map-in-map): the map
 * takes a reference while the object sits in a slot and drops it when the slot is cleared.
 */
export interface Held {
  /** Global id, reported by syscall lookups of fd maps. */
  readonly id: number;
  /** Takes a reference. */
  acquire(): void;
  /** Drops a reference (the object is freed when nothing references it). */
  release(): void;
}

/** Resolves the fd in a syscall update of an fd map (prog_array, map-in-map) to an object. */
export type FdResolver = (fd: number) => Held | number;

/** Rounds `n` up to a multiple of 8 (per-CPU value stride, array element stride). */
export function round8(n: number): number {
  return (n + 7) & ~7;
}

/** A u32 read from the first 4 bytes of `key` (little-endian, the machine's byte order). */
export function keyU32(key: Uint8Array): number {
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

/** A 4-byte little-endian u32 key. */
export function u32Key(n: number): Uint8Array {
  const k = new Uint8Array(4);
  k[0] = n & 0xff;
  k[1] = (n >>> 8) & 0xff;
  k[2] = (n >>> 16) & 0xff;
  k[3] = (n >>> 24) & 0xff;
  return k;
}

/** Result of a syscall-side read: the bytes, or a negative errno. */
export type Bytes = Uint8Array | number;

/** One batch call's outcome: elements done, the cursor for the next call, and 0 or -errno. */
export interface BatchResult {
  /** Elements processed (what the kernel writes back to `batch.count`). */
  count: number;
  /** Keys of the processed elements, concatenated (lookup batches). */
  keys: Uint8Array;
  /** Values of the processed elements, concatenated (lookup batches). */
  values: Uint8Array;
  /** The cursor to pass as `in_batch` next time (`out_batch`), when one is written. */
  outBatch: Uint8Array | undefined;
  /** 0, or a negative errno (-ENOENT: the iteration reached the end). */
  err: number;
}

/**
 * A map of the machine. Subclasses implement one family of types. The machine owns ids,
 * references and permissions; the map owns its contents.
 */
export abstract class BpfMap implements EngineMap, Held {
  /** Global id (set by the machine when it registers the map). */
  id = 0;
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /** `map_flags` as created. */
  readonly flags: number;
  /** `map_extra` as created. */
  readonly mapExtra: bigint;
  /** Number of possible CPUs. */
  readonly numCpus: number;
  /** Set by `BPF_MAP_FREEZE`: syscall writes are refused from then on. */
  frozen = false;
  /** References: fds, pins, programs using the map, outer maps holding it. */
  refcnt = 0;
  /** User references (fds and pins); a prog_array is emptied when they are gone. */
  usercnt = 0;
  /** `map_name`. */
  name = '';
  /** `excl_prog_hash`: only the program with this SHA-256 may use the map. */
  exclProgHash: Uint8Array | undefined;
  /**
   * `map->sha`: the content hash last computed by BPF_OBJ_GET_INFO_BY_FD on the frozen map
   * (zeros until then), as Linux 6.18 keeps it for signed loaders to read.
   */
  sha: Uint8Array = new Uint8Array(32);
  /** Map-in-map: the inner-map template (the outer map holds a reference to it). */
  inner: BpfMap | undefined;
  /** prog_array: the program type of the first program stored or using it (tail-call compatibility). */
  ownerProgType: number | undefined;
  /** Called once when the last reference goes (set by the machine). */
  onFree: ((map: BpfMap) => void) | undefined;

  /** @param def - validated creation attributes */
  constructor(def: MapDef) {
    this.type = def.type;
    this.keySize = def.keySize;
    this.valueSize = def.valueSize;
    this.maxEntries = def.maxEntries;
    this.flags = def.flags;
    this.mapExtra = def.mapExtra;
    this.numCpus = def.numCpus;
  }

  /**
   * A program's read of `struct bpf_map` through a map pointer (Linux 6.18 layout, from the
   * kernel's BTF): `sha[32]` at offset 0 and `u32 excl` at 32 (1 when created with an
   * excl_prog_hash). Other offsets: undefined (the access faults).
   */
  structField(offset: number, size: number): bigint | undefined {
    if (offset >= 0 && offset + size <= 32 && (size === 1 || size === 2 || size === 4 || size === 8)) {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.sha[offset + i] as number);
      return v;
    }
    if (offset === 32 && size === 4) return this.exclProgHash !== undefined ? 1n : 0n;
    return undefined;
  }

  /** Program-side access, from BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG. */
  get progAccess(): 'rw' | 'ro' | 'wo' {
    if (this.flags & 128) return 'ro';
    if (this.flags & 256) return 'wo';
    return 'rw';
  }

  /** Size of the value buffer of syscall lookups and updates (per-CPU maps: one slot per CPU). */
  get sysValueSize(): number {
    return this.valueSize;
  }

  /** Bytes of memory the map holds (for the machine's memory limit and `memlock` reporting). */
  abstract memoryBytes(): number;

  /** Takes a reference. */
  acquire(): void {
    this.refcnt++;
  }

  /** Drops a reference; the last one frees the map. */
  release(): void {
    if (--this.refcnt === 0) {
      this.free();
      const inner = this.inner;
      this.inner = undefined;
      inner?.release();
      this.onFree?.(this);
    }
  }

  // ---- syscall side (copies) ----

  /** `BPF_MAP_LOOKUP_ELEM`: a copy of the value (sysValueSize bytes) or -errno. `value` is the caller's value buffer (a bloom filter reads its query from it). */
  abstract sysLookup(key: Uint8Array, flags: number, value?: Uint8Array): Bytes;

  /** `BPF_MAP_UPDATE_ELEM`. `resolve` turns fds in fd-map values into objects. */
  abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, resolve: FdResolver): number;

  /** `BPF_MAP_DELETE_ELEM`. */
  abstract sysDelete(key: Uint8Array): number;

  /** `BPF_MAP_GET_NEXT_KEY`; `key` undefined asks for the first key. */
  abstract sysGetNextKey(key: Uint8Array | undefined): Bytes;

  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: the value (removed) or -errno. */
  sysLookupAndDelete(_key: Uint8Array, _flags: number): Bytes {
    return -Errno.ENOTSUPP;
  }

  /** Whether this type supports `BPF_MAP_LOOKUP_BATCH` / `UPDATE_BATCH` / `DELETE_BATCH` / `LOOKUP_AND_DELETE_BATCH`. */
  batchSupport(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: false, update: false, delete: false, lookupAndDelete: false };
  }

  /**
   * Bucket-cursor batch lookup (hash maps). Maps without buckets leave it undefined and the
   * machine uses the generic next-key walk.
   */
  bucketBatch?(inBatch: Uint8Array | undefined, count: number, del: boolean): BatchResult;

  /** The content hash input of a frozen array (values padded to 8 bytes), if the type has one. */
  contentBytes?(): Uint8Array | undefined;

  /** Drops everything the map holds (called once when the map is freed). */
  free(): void {}

  // ---- program side (EngineMap) ----

  /** `bpf_map_lookup_elem`: live value bytes, an inner map, or undefined. */
  abstract lookup(key: Uint8Array, cpu: number): Uint8Array | EngineMap | undefined;

  /** `bpf_map_update_elem`. */
  abstract update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;

  /** `bpf_map_delete_elem`. */
  abstract delete(key: Uint8Array, cpu: number): number;
}
