/**
 * `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO): no keys; push with BPF_ANY fails
 * with E2BIG when full, push with BPF_EXIST drops the oldest element to make room. From user
 * space, UPDATE pushes, LOOKUP peeks and LOOKUP_AND_DELETE pops.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapType } from '../../uapi/constants.js';
import { BpfMap, type Bytes, type MapDef } from './map.js';

const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

/** A queue or stack map. */
export class QueueStackMap extends BpfMap {
  /** True for a stack (pop the newest), false for a queue (pop the oldest). */
  readonly lifo: boolean;
  /** Elements, oldest first. */
  private readonly items: Uint8Array[] = [];

  /** @param def - validated attributes */
  constructor(def: MapDef) {
    super(def);
    this.lifo = def.type === MapType.STACK;
  }

  /** Number of elements. */
  get size(): number {
    return this.items.length;
  }

  override memoryBytes(): number {
    return (this.maxEntries + 1) * this.valueSize;
  }

  /** `bpf_map_push_elem`. */
  push(value: Uint8Array, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -Errno.EINVAL;
    if (this.items.length >= this.maxEntries) {
      if (!(flags & BPF_EXIST)) return -Errno.E2BIG;
      this.items.shift();
    }
    this.items.push(value.slice(0, this.valueSize));
    return 0;
  }

  /** `bpf_map_pop_elem`: fills `out`. */
  pop(out: Uint8Array): number {
    const v = this.lifo ? this.items.pop() : this.items.shift();
    if (v === undefined) return -Errno.ENOENT;
    out.set(v);
    return 0;
  }

  /** `bpf_map_peek_elem`: fills `out`. */
  peek(out: Uint8Array): number {
    const v = this.lifo ? this.items[this.items.length - 1] : this.items[0];
    if (v === undefined) return -Errno.ENOENT;
    out.set(v);
    return 0;
  }

  override sysLookup(): Bytes {
    const out = new Uint8Array(this.valueSize);
    const r = this.peek(out);
    return r < 0 ? r : out;
  }

  override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  override sysDelete(): number {
    return -Errno.EINVAL;
  }

  override sysGetNextKey(): Bytes {
    return -Errno.EINVAL;
  }

  override sysLookupAndDelete(_key: Uint8Array, flags: number): Bytes {
    if (flags !== 0) return -Errno.EINVAL;
    const out = new Uint8Array(this.valueSize);
    const r = this.pop(out);
    return r < 0 ? r : out;
  }

  override lookup(): undefined {
    return undefined;
  }

  override update(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  override delete(): number {
    return -Errno.EINVAL;
  }
}
