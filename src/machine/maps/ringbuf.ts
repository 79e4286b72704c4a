/**
 * `BPF_MAP_TYPE_RINGBUF`: a power-of-two data area shared by producers (programs) and one
 * consumer (user space). Records are `round_up(len + 8, 8)` bytes: an 8-byte header (length with
 * the BUSY bit 31 while reserved and the DISCARD bit 30) and the payload, wrapping around the end
 * of the area. The syscall element commands are not supported (ENOTSUPP, as in the kernel);
 * user space reads records with {@link RingbufMap.consume}.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import type { EngineRingbuf, RingbufRecord } from '../engine/env.js';
import { BpfMap, type Bytes, type MapDef } from './map.js';

const HDR = 8;
const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const MAX_RECORD = (1 << 28) - 1 - HDR;
const WAKEUP_FLAGS = 1 | 2;

interface Pending {
  pos: number;
  len: number;
  data: Uint8Array;
}

/** A ring buffer map. */
export class RingbufMap extends BpfMap implements EngineRingbuf {
  /** The data area. */
  readonly area: Uint8Array;
  /** Consumer position (bytes consumed since creation). */
  consumerPos = 0;
  /** Producer position (bytes reserved since creation). */
  producerPos = 0;
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;

  /** @param def - validated attributes (max_entries is the data size) */
  constructor(def: MapDef) {
    super(def);
    this.area = new Uint8Array(def.maxEntries);
  }

  /** The ring buffer interface programs use. */
  get ringbuf(): EngineRingbuf {
    return this;
  }

  override memoryBytes(): number {
    return this.area.length;
  }

  private writeAt(pos: number, bytes: Uint8Array): void {
    const mask = this.area.length - 1;
    const p = pos & mask;
    const first = Math.min(bytes.length, this.area.length - p);
    this.area.set(bytes.subarray(0, first), p);
    if (first < bytes.length) this.area.set(bytes.subarray(first), 0);
  }

  private readAt(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const mask = this.area.length - 1;
    const p = pos & mask;
    const first = Math.min(len, this.area.length - p);
    out.set(this.area.subarray(p, p + first));
    if (first < len) out.set(this.area.subarray(0, len - first), first);
    return out;
  }

  private header(len: number): Uint8Array {
    const h = new Uint8Array(HDR);
    new DataView(h.buffer).setUint32(0, len >>> 0, true);
    return h;
  }

  /** `bpf_ringbuf_reserve`. */
  reserve(size: number, flags: number): RingbufRecord | undefined {
    if (flags !== 0 || size > MAX_RECORD || size < 0) return undefined;
    const len = (size + HDR + 7) & ~7;
    if (len > this.area.length) return undefined;
    let pendPos = this.producerPos;
    for (const p of this.pending.values()) pendPos = Math.min(pendPos, p.pos);
    const next = this.producerPos + len;
    const mask = this.area.length - 1;
    if (next - this.consumerPos > mask || next - pendPos > mask) return undefined;
    const rec: Pending = { pos: this.producerPos, len: size, data: new Uint8Array(size) };
    this.writeAt(rec.pos, this.header(size | BUSY));
    this.producerPos = next;
    const token = this.nextToken++;
    this.pending.set(token, rec);
    return { data: rec.data, token };
  }

  private commit(token: number, discard: boolean): void {
    const rec = this.pending.get(token);
    if (rec === undefined) return;
    this.pending.delete(token);
    this.writeAt(rec.pos + HDR, rec.data);
    this.writeAt(rec.pos, this.header(rec.len | (discard ? DISCARD : 0)));
  }

  /** `bpf_ringbuf_submit`. */
  submit(token: number): void {
    this.commit(token, false);
  }

  /** `bpf_ringbuf_discard`. */
  discard(token: number): void {
    this.commit(token, true);
  }

  /** `bpf_ringbuf_output`: 0, -EINVAL (bad flags) or -EAGAIN (no room). */
  output(data: Uint8Array, flags: number): number {
    if (flags & ~WAKEUP_FLAGS) return -Errno.EINVAL;
    const rec = this.reserve(data.length, 0);
    if (rec === undefined) return -Errno.EAGAIN;
    rec.data.set(data);
    this.commit(rec.token, false);
    return 0;
  }

  /** `bpf_ringbuf_query`. */
  query(flags: number): bigint {
    switch (flags) {
      case 0:
        return BigInt(this.producerPos - this.consumerPos);
      case 1:
        return BigInt(this.area.length);
      case 2:
        return BigInt(this.consumerPos);
      case 3:
        return BigInt(this.producerPos);
      default:
        return 0n;
    }
  }

  /**
   * Reads committed records in order (skipping discarded ones) until the first one still
   * reserved, advancing the consumer position. Returns the payloads.
   */
  consume(max = Number.POSITIVE_INFINITY): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.consumerPos < this.producerPos && out.length < max) {
      const h = new DataView(this.readAt(this.consumerPos, HDR).buffer).getUint32(0, true);
      if (h & BUSY) break;
      const len = h & ~(BUSY | DISCARD);
      if (!(h & DISCARD)) out.push(this.readAt(this.consumerPos + HDR, len));
      this.consumerPos += (len + HDR + 7) & ~7;
    }
    return out;
  }

  override sysLookup(): Bytes {
    return -Errno.ENOTSUPP;
  }

  override sysUpdate(): number {
    return -Errno.ENOTSUPP;
  }

  override sysDelete(): number {
    return -Errno.ENOTSUPP;
  }

  override sysGetNextKey(): Bytes {
    return -Errno.ENOTSUPP;
  }

  override lookup(): undefined {
    return undefined;
  }

  override update(): number {
    return -Errno.ENOTSUPP;
  }

  override delete(): number {
    return -Errno.ENOTSUPP;
  }
}
