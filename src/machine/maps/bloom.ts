/**
 * `BPF_MAP_TYPE_BLOOM_FILTER`: no keys; push adds a value, peek answers "maybe present" (0) or
 * "absent" (-ENOENT). `map_extra` bits 0-3 give the number of hash functions (0 means 5). The
 * bit array is sized like the kernel's (about max_entries * hashes / ln 2 bits, rounded to a
 * power of two); the hash functions are the machine's own, so false positives differ from a
 * kernel's, membership of added values does not.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { roundupPow2 } from './hash.js';
import { BpfMap, type Bytes, type MapDef } from './map.js';

/** Number of bits the filter of `def` uses. */
export function bloomBits(def: MapDef): number {
  const k = Number(def.mapExtra & 0xfn) || 5;
  const want = Math.ceil((def.maxEntries * k * 7) / 5);
  return Math.max(64, roundupPow2(Math.min(want, 2 ** 32)));
}

/** A bloom filter map. */
export class BloomMap extends BpfMap {
  /** Number of hash functions. */
  readonly nHashes: number;
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private readonly seed: number;

  /**
   * @param def - validated attributes
   * @param seed - hash seed (0 with BPF_F_ZERO_SEED)
   */
  constructor(def: MapDef, seed: number) {
    super(def);
    this.nHashes = Number(def.mapExtra & 0xfn) || 5;
    const n = bloomBits(def);
    this.bits = new Uint32Array(n / 32);
    this.mask = n - 1;
    this.seed = seed >>> 0;
  }

  override memoryBytes(): number {
    return this.bits.byteLength;
  }

  private hash(value: Uint8Array, i: number): number {
    let h = (this.seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0;
    for (let j = 0; j < this.valueSize; j++) {
      h ^= value[j]!;
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return (h >>> 0) & this.mask;
  }

  /** `bpf_map_push_elem`: adds `value` (flags must be BPF_ANY). */
  push(value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    for (let i = 0; i < this.nHashes; i++) {
      const b = this.hash(value, i);
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
    return 0;
  }

  /** `bpf_map_peek_elem`: 0 if `value` may be present, -ENOENT if it is not. */
  peek(value: Uint8Array): number {
    for (let i = 0; i < this.nHashes; i++) {
      const b = this.hash(value, i);
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return -Errno.ENOENT;
    }
    return 0;
  }

  /** Syscall lookup: the value buffer is the query; returns it back when it may be present. */
  override sysLookup(_key: Uint8Array, _flags: number, value?: Uint8Array): Bytes {
    if (value === undefined) return -Errno.EINVAL;
    const r = this.peek(value);
    return r < 0 ? r : value.slice(0, this.valueSize);
  }

  override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  override sysDelete(): number {
    return -Errno.EOPNOTSUPP;
  }

  override sysGetNextKey(): Bytes {
    return -Errno.EOPNOTSUPP;
  }

  override lookup(): undefined {
    return undefined;
  }

  override update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  override delete(): number {
    return -Errno.EOPNOTSUPP;
  }
}
