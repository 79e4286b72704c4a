/**
 * `BPF_MAP_TYPE_PROG_ARRAY` and `BPF_MAP_TYPE_ARRAY_OF_MAPS`: arrays whose slots hold objects,
 * written from user space as fds and read back as ids. A slot holds a reference to its object.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapType } from '../../uapi/constants.js';
import type { EngineMap } from '../engine/env.js';
import type { ProgramImage } from '../engine/program.js';
import { BpfMap, type Bytes, type FdResolver, type Held, keyU32, type MapDef, u32Key } from './map.js';

/** What a prog_array slot holds: a program with its prepared image. */
export interface HeldProg extends Held {
  /** The prepared program, for `bpf_tail_call`. */
  readonly image: ProgramImage | undefined;
}

/** A prog_array or array_of_maps. */
export class FdArrayMap extends BpfMap {
  /** The slots. */
  readonly slots: (Held | undefined)[];

  /** @param def - validated attributes */
  constructor(def: MapDef) {
    super(def);
    this.slots = new Array(def.maxEntries);
  }

  override memoryBytes(): number {
    return this.maxEntries * 8;
  }

  override sysLookup(key: Uint8Array): Bytes {
    const i = keyU32(key);
    const h = i < this.maxEntries ? this.slots[i] : undefined;
    if (h === undefined) return -Errno.ENOENT;
    return u32Key(h.id);
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, resolve: FdResolver): number {
    if (flags !== 0) return -Errno.EINVAL;
    const i = keyU32(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const held = resolve(keyU32(value));
    if (typeof held === 'number') return held;
    held.acquire();
    const old = this.slots[i];
    this.slots[i] = held;
    old?.release();
    return 0;
  }

  override sysDelete(key: Uint8Array): number {
    const i = keyU32(key);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const old = this.slots[i];
    if (old === undefined) return -Errno.ENOENT;
    this.slots[i] = undefined;
    old.release();
    return 0;
  }

  override sysGetNextKey(key: Uint8Array | undefined): Bytes {
    const i = key === undefined ? 0xffffffff : keyU32(key);
    if (i >= this.maxEntries) return u32Key(0);
    if (i === this.maxEntries - 1) return -Errno.ENOENT;
    return u32Key(i + 1);
  }

  override batchSupport(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    const aom = this.type === MapType.ARRAY_OF_MAPS;
    return { lookup: aom, update: aom, delete: false, lookupAndDelete: false };
  }

  /** Empties every slot (prog_array: when the last user fd or pin goes, as in the kernel). */
  clear(): void {
    for (let i = 0; i < this.maxEntries; i++) {
      const old = this.slots[i];
      if (old !== undefined) {
        this.slots[i] = undefined;
        old.release();
      }
    }
  }

  override free(): void {
    this.clear();
  }

  override lookup(key: Uint8Array): EngineMap | undefined {
    if (this.type !== MapType.ARRAY_OF_MAPS) return undefined;
    const i = keyU32(key);
    return i < this.maxEntries ? (this.slots[i] as unknown as EngineMap | undefined) : undefined;
  }

  override update(): number {
    return -Errno.EINVAL;
  }

  override delete(key: Uint8Array): number {
    return this.sysDelete(key);
  }

  /** The program in slot `index` of a prog_array, for `bpf_tail_call`. */
  tailCallTarget(index: number): ProgramImage | undefined {
    if (this.type !== MapType.PROG_ARRAY || index >= this.maxEntries) return undefined;
    return (this.slots[index] as HeldProg | undefined)?.image;
  }
}
