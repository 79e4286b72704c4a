/**
 * `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY`: `max_entries` fixed slots indexed by a
 * u32 key, all present and zero at creation. Elements are stored at a stride of
 * round_up(value_size, 8), CPU-major inside an element for per-CPU arrays, so the syscall view of
 * one per-CPU element (one padded value per CPU) is one contiguous slice.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapType } from '../../uapi/constants.js';
import { BpfMap, type Bytes, keyU32, type MapDef, round8, u32Key } from './map.js';

const BPF_EXIST = 2;
const BPF_NOEXIST = 1;
const BPF_F_LOCK = 4;

/** An array map (plain or per-CPU). */
export class ArrayMap extends BpfMap {
  /** Element stride in bytes: round_up(value_size, 8). */
  readonly stride: number;
  /** Whether each element has one value per CPU. */
  readonly percpu: boolean;
  /** The storage: max_entries elements (times numCpus for per-CPU arrays). */
  readonly storage: Uint8Array;
  private readonly cpus: number;
  /** Writable mmap()s outstanding (BPF_MAP_FREEZE is EBUSY while there are any). */
  writableMappings = 0;

  /** @param def - validated attributes */
  constructor(def: MapDef) {
    super(def);
    this.percpu = def.type === MapType.PERCPU_ARRAY;
    this.stride = round8(def.valueSize);
    this.cpus = this.percpu ? def.numCpus : 1;
    this.storage = new Uint8Array(def.maxEntries * this.stride * this.cpus);
  }

  /** Bytes of storage a map with these attributes needs. */
  static bytesFor(def: MapDef): number {
    return def.maxEntries * round8(def.valueSize) * (def.type === MapType.PERCPU_ARRAY ? def.numCpus : 1);
  }

  override get sysValueSize(): number {
    return this.percpu ? this.stride * this.numCpus : this.valueSize;
  }

  override memoryBytes(): number {
    return this.storage.length;
  }

  private at(index: number, cpu: number): number {
    return (index * this.cpus + (this.percpu ? cpu : 0)) * this.stride;
  }

  override sysLookup(key: Uint8Array): Bytes {
    const i = keyU32(key);
    if (i >= this.maxEntries) return -Errno.ENOENT;
    const p = this.at(i, 0);
    return this.storage.slice(p, p + this.sysValueSize);
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (this.percpu ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    const i = keyU32(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags & BPF_NOEXIST) return -Errno.EEXIST;
    if (this.percpu) {
      for (let c = 0; c < this.numCpus; c++) {
        // The kernel copies whole 8-byte words per CPU, padding included (bpf_long_memcpy).
        this.storage.set(value.subarray(c * this.stride, (c + 1) * this.stride), this.at(i, c));
      }
    } else {
      this.storage.set(value.subarray(0, this.valueSize), this.at(i, 0));
    }
    return 0;
  }

  override sysDelete(): number {
    return -Errno.EINVAL;
  }

  override sysGetNextKey(key: Uint8Array | undefined): Bytes {
    const i = key === undefined ? 0xffffffff : keyU32(key);
    if (i >= this.maxEntries) return u32Key(0);
    if (i === this.maxEntries - 1) return -Errno.ENOENT;
    return u32Key(i + 1);
  }

  override batchSupport(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: false, lookupAndDelete: false };
  }

  override contentBytes(): Uint8Array | undefined {
    return this.type === MapType.ARRAY ? this.storage : undefined;
  }

  override lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    const i = keyU32(key);
    if (i >= this.maxEntries) return undefined;
    const p = this.at(i, cpu);
    return this.storage.subarray(p, p + this.valueSize);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.percpu ? flags > BPF_EXIST : (flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    const i = keyU32(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags & BPF_NOEXIST) return -Errno.EEXIST;
    // BPF_F_LOCK needs a bpf_spin_lock in the value, which machine maps never have.
    if (flags & BPF_F_LOCK) return -Errno.EINVAL;
    this.storage.set(value.subarray(0, this.valueSize), this.at(i, cpu));
    return 0;
  }

  override delete(): number {
    return -Errno.EINVAL;
  }

  /** Direct value access (`ld_imm64` MAP_VALUE): only plain arrays with one element. */
  directValue(): Uint8Array | undefined {
    if (this.percpu || this.maxEntries !== 1) return undefined;
    return this.storage.subarray(0, this.valueSize);
  }
}
