/**
 * The hash family: `HASH`, `PERCPU_HASH`, `LRU_HASH`, `LRU_PERCPU_HASH` and `HASH_OF_MAPS`.
 *
 * The table mirrors the kernel's layout: `n_buckets = roundup_pow_of_two(max_entries)` buckets,
 * each a list with the newest element at its head, so `GET_NEXT_KEY` (same bucket, then the
 * following buckets; an unknown key restarts at the first element) and the bucket-cursor batch
 * commands (`out_batch` is a u32 bucket index; ENOSPC when one bucket does not fit in `count`)
 * behave as the kernel's do. The hash function is the machine's own, seeded per map (or zero with
 * BPF_F_ZERO_SEED), so the order of keys differs from a kernel's; the set of keys does not.
 *
 * LRU maps evict the least recently used element (program lookups and updates refresh it) when
 * a new key arrives at a full map. The kernel's LRU is an approximation with per-CPU free lists
 * and may evict earlier; both never fail an update with E2BIG.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapType } from '../../uapi/constants.js';
import type { EngineMap } from '../engine/env.js';
import {
  type BatchResult,
  BpfMap,
  type Bytes,
  type FdResolver,
  type Held,
  type MapDef,
  round8,
} from './map.js';

const BPF_NOEXIST = 1;
const BPF_EXIST = 2;
const BPF_F_LOCK = 4;

interface Entry {
  key: Uint8Array;
  ks: string;
  bucket: number;
  /** Value bytes: valueSize (plain), stride * numCpus (per-CPU), unused (map-in-map). */
  value: Uint8Array;
  /** Inner map (HASH_OF_MAPS). */
  held: Held | undefined;
  /** LRU clock of the last use. */
  used: number;
}

function keyString(key: Uint8Array, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(key[i]!);
  return s;
}

/** Smallest power of two >= n (n >= 1). */
export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Bucket array bytes the kernel would allocate (16 bytes per bucket), for memory accounting. */
export function hashBytesFor(def: MapDef): number {
  const prealloc = (def.flags & 1) === 0;
  const percpu = def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH;
  const elem =
    48 + round8(def.keySize) + (percpu ? round8(def.valueSize) * def.numCpus : round8(def.valueSize));
  return roundupPow2(def.maxEntries) * 16 + (prealloc ? def.maxEntries * elem : 0);
}

/** A hash-family map. */
export class HashMap extends BpfMap {
  /** Number of buckets: roundup_pow_of_two(max_entries). */
  readonly nBuckets: number;
  /** Per-CPU values. */
  readonly percpu: boolean;
  /** LRU eviction instead of E2BIG. */
  readonly lru: boolean;
  /** Values are inner maps (HASH_OF_MAPS). */
  readonly ofMaps: boolean;
  /** Per-CPU value stride: round_up(value_size, 8). */
  readonly stride: number;
  private readonly buckets: (Entry[] | undefined)[];
  private readonly index = new Map<string, Entry>();
  private readonly seed: number;
  private clock = 0;

  /**
   * @param def - validated attributes
   * @param seed - hash seed (0 for BPF_F_ZERO_SEED)
   */
  constructor(def: MapDef, seed: number) {
    super(def);
    this.nBuckets = roundupPow2(def.maxEntries);
    this.percpu = def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    this.lru = def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH;
    this.ofMaps = def.type === MapType.HASH_OF_MAPS;
    this.stride = round8(def.valueSize);
    this.buckets = new Array(this.nBuckets);
    this.seed = seed >>> 0;
  }

  /** Number of elements. */
  get size(): number {
    return this.index.size;
  }

  override get sysValueSize(): number {
    return this.percpu ? this.stride * this.numCpus : this.valueSize;
  }

  override memoryBytes(): number {
    return hashBytesFor(this);
  }

  private hash(key: Uint8Array): number {
    let h = (this.seed ^ 0x811c9dc5) >>> 0;
    for (let i = 0; i < this.keySize; i++) {
      h ^= key[i]!;
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    return h >>> 0;
  }

  private find(key: Uint8Array): Entry | undefined {
    return this.index.get(keyString(key, this.keySize));
  }

  private unlink(e: Entry): void {
    const b = this.buckets[e.bucket]!;
    b.splice(b.indexOf(e), 1);
    if (b.length === 0) this.buckets[e.bucket] = undefined;
    this.index.delete(e.ks);
  }

  private link(e: Entry): void {
    let b = this.buckets[e.bucket];
    if (b === undefined) {
      b = [];
      this.buckets[e.bucket] = b;
    }
    b.unshift(e);
    this.index.set(e.ks, e);
  }

  private evictOne(): void {
    let victim: Entry | undefined;
    for (const e of this.index.values()) if (victim === undefined || e.used < victim.used) victim = e;
    if (victim !== undefined) this.remove(victim);
  }

  private remove(e: Entry): void {
    this.unlink(e);
    e.held?.release();
  }

  private newEntry(key: Uint8Array): Entry {
    const k = key.slice(0, this.keySize);
    return {
      key: k,
      ks: keyString(k, this.keySize),
      bucket: this.hash(k) & (this.nBuckets - 1),
      value: new Uint8Array(this.ofMaps ? 0 : this.percpu ? this.stride * this.numCpus : this.valueSize),
      held: undefined,
      used: ++this.clock,
    };
  }

  /**
   * Common insert path. `write` fills a fresh or existing entry. Returns 0 or -errno.
   * `inPlace` keeps an existing element where it is (per-CPU maps); otherwise the new element
   * goes to the bucket head and the old one is dropped, as the kernel does.
   */
  private put(
    key: Uint8Array,
    flags: number,
    write: (e: Entry, fresh: boolean) => void,
    held?: Held,
  ): number {
    const old = this.find(key);
    if (old !== undefined && flags & BPF_NOEXIST) return -Errno.EEXIST;
    if (old === undefined && flags & BPF_EXIST) return -Errno.ENOENT;
    if (old === undefined && this.index.size >= this.maxEntries) {
      if (!this.lru) return -Errno.E2BIG;
      this.evictOne();
    }
    if (old !== undefined && this.percpu) {
      write(old, false);
      old.used = ++this.clock;
      return 0;
    }
    const e = this.newEntry(key);
    write(e, true);
    if (held !== undefined) {
      held.acquire();
      e.held = held;
    }
    if (old !== undefined) this.unlink(old);
    this.link(e);
    old?.held?.release();
    return 0;
  }

  override sysLookup(key: Uint8Array): Bytes {
    const e = this.find(key);
    if (e === undefined) return -Errno.ENOENT;
    if (this.ofMaps) return idBytes(e.held!.id);
    return e.value.slice(0, this.sysValueSize);
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, resolve: FdResolver): number {
    if (this.percpu || this.lru ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    if (this.ofMaps) {
      const fd = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
      const held = resolve(fd);
      if (typeof held === 'number') return held;
      return this.put(key, flags, () => {}, held);
    }
    return this.put(key, flags, (e) => {
      if (this.percpu) {
        for (let c = 0; c < this.numCpus; c++) {
          e.value.set(value.subarray(c * this.stride, (c + 1) * this.stride), c * this.stride);
        }
      } else e.value.set(value.subarray(0, this.valueSize));
    });
  }

  override sysDelete(key: Uint8Array): number {
    const e = this.find(key);
    if (e === undefined) return -Errno.ENOENT;
    this.remove(e);
    return 0;
  }

  override sysLookupAndDelete(key: Uint8Array): Bytes {
    if (this.ofMaps) return -Errno.ENOTSUPP;
    const e = this.find(key);
    if (e === undefined) return -Errno.ENOENT;
    const v = e.value.slice(0, this.sysValueSize);
    this.remove(e);
    return v;
  }

  override sysGetNextKey(key: Uint8Array | undefined): Bytes {
    let i = 0;
    if (key !== undefined) {
      const e = this.find(key);
      if (e !== undefined) {
        const b = this.buckets[e.bucket]!;
        const at = b.indexOf(e);
        if (at + 1 < b.length) return b[at + 1]!.key.slice();
        i = e.bucket + 1;
      }
    }
    for (; i < this.nBuckets; i++) {
      const b = this.buckets[i];
      if (b !== undefined) return b[0]!.key.slice();
    }
    return -Errno.ENOENT;
  }

  override batchSupport(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: true, lookupAndDelete: true };
  }

  override bucketBatch(inBatch: Uint8Array | undefined, count: number, del: boolean): BatchResult {
    const vsz = this.ofMaps ? 4 : this.sysValueSize;
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let batch =
      inBatch === undefined ? 0 : new DataView(inBatch.buffer, inBatch.byteOffset, 4).getUint32(0, true);
    const done = (err: number): BatchResult => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, batch, true);
      return {
        count: keys.length,
        keys: concat(keys, this.keySize),
        values: concat(values, vsz),
        outBatch: out,
        err,
      };
    };
    if (batch >= this.nBuckets)
      return {
        count: 0,
        keys: new Uint8Array(0),
        values: new Uint8Array(0),
        outBatch: undefined,
        err: -Errno.ENOENT,
      };
    for (;;) {
      const b = this.buckets[batch];
      const n = b === undefined ? 0 : b.length;
      if (n > count - keys.length) return done(keys.length === 0 ? -Errno.ENOSPC : 0);
      if (b !== undefined) {
        for (const e of [...b]) {
          keys.push(e.key.slice());
          values.push(this.ofMaps ? idBytes(e.held!.id) : e.value.slice(0, vsz));
          if (del) this.remove(e);
        }
      }
      batch++;
      if (batch >= this.nBuckets) return done(-Errno.ENOENT);
    }
  }

  override free(): void {
    for (const e of [...this.index.values()]) this.remove(e);
  }

  override lookup(key: Uint8Array, cpu: number): Uint8Array | EngineMap | undefined {
    const e = this.find(key);
    if (e === undefined) return undefined;
    if (this.ofMaps) return e.held as unknown as EngineMap;
    if (this.lru) e.used = ++this.clock;
    if (this.percpu) return e.value.subarray(cpu * this.stride, cpu * this.stride + this.valueSize);
    return e.value.subarray(0, this.valueSize);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.ofMaps) return -Errno.EINVAL;
    if (this.percpu || this.lru ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    // BPF_F_LOCK needs a bpf_spin_lock in the value, which machine maps never have.
    if (flags & BPF_F_LOCK) return -Errno.EINVAL;
    return this.put(key, flags, (e, fresh) => {
      if (this.percpu) {
        if (fresh) e.value.fill(0);
        e.value.set(value.subarray(0, this.valueSize), cpu * this.stride);
      } else e.value.set(value.subarray(0, this.valueSize));
    });
  }

  override delete(key: Uint8Array): number {
    return this.sysDelete(key);
  }

  /** Every key, in iteration order (for tests and tools). */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const b of this.buckets) if (b !== undefined) for (const e of b) out.push(e.key.slice());
    return out;
  }
}

function idBytes(id: number): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, id, true);
  return v;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  for (let i = 0; i < parts.length; i++) out.set(parts[i]!.subarray(0, size), i * size);
  return out;
}
