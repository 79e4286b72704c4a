/**
 * Context access rules per program type: which offsets and sizes of the ctx struct a program may
 * read or write, and what a load gives (a scalar or a packet pointer). Facts from Linux 6.18's
 * `*_is_valid_access` callbacks, checked by loading programs into the kernel (test/verifier).
 *
 * @module
 */

import { ProgType } from '../../uapi/constants.js';

/** What a ctx load produces. */
export type CtxResult = 'scalar' | 'pkt' | 'pkt_meta' | 'pkt_end';

/** Outcome of a ctx access check: undefined when refused. */
export interface CtxAccess {
  result: CtxResult;
}

const SKB_SIZE = 192;
const XDP_MD_SIZE = 24;

// __sk_buff offsets
const CB_START = 48;
const CB_END = 68;
const DATA = 76;
const DATA_END = 80;
const DATA_META = 140;

/** 4-byte __sk_buff fields readable by socket filters (sk_filter_is_valid_access). */
const SKB_READ_COMMON: ReadonlySet<number> = new Set([
  0, // len
  4, // pkt_type
  8, // mark
  12, // queue_mapping
  16, // protocol
  20, // vlan_present
  24, // vlan_tci
  28, // vlan_proto
  32, // priority
  36, // ingress_ifindex
  40, // ifindex
  44, // tc_index
  68, // hash
  84, // napi_id
  164, // gso_segs
  176, // gso_size
]);

/** Extra 4-byte fields readable by tc programs. */
const SKB_READ_TC: ReadonlySet<number> = new Set([72 /* tc_classid */, 160 /* wire_len */]);

/** 4-byte fields writable by tc programs (mark, queue_mapping, priority, tc_index, tc_classid). */
const SKB_WRITE_TC: ReadonlySet<number> = new Set([8, 12, 32, 44, 72]);

function narrowOk(off: number, size: number, fields: ReadonlySet<number>): boolean {
  // size <= 4 and the access stays inside one 4-byte field (off % size == 0 checked by the caller)
  if (size > 4) return false;
  return fields.has(off - (off % 4));
}

function skbAccess(off: number, size: number, write: boolean, tc: boolean): CtxAccess | undefined {
  if (off < 0 || off >= SKB_SIZE || off % size !== 0) return undefined;
  if (off >= CB_START && off < CB_END) {
    return off + size <= CB_END ? { result: 'scalar' } : undefined;
  }
  if (tc && (off === DATA || off === DATA_END || off === DATA_META)) {
    if (write || size !== 4) return undefined;
    return { result: off === DATA ? 'pkt' : off === DATA_END ? 'pkt_end' : 'pkt_meta' };
  }
  if (write) {
    if (!tc || size !== 4) return undefined;
    return SKB_WRITE_TC.has(off) ? { result: 'scalar' } : undefined;
  }
  if (narrowOk(off, size, SKB_READ_COMMON)) return { result: 'scalar' };
  // tc: tstamp and hwtstamp (u64, read whole), tstamp_type (u8)
  if (tc && size === 8 && (off === 152 || off === 184)) return { result: 'scalar' };
  if (tc && size === 1 && off === 180) return { result: 'scalar' };
  if (tc && narrowOk(off, size, SKB_READ_TC)) return { result: 'scalar' };
  return undefined;
}

function xdpAccess(off: number, size: number, write: boolean): CtxAccess | undefined {
  if (write) return undefined;
  if (off < 0 || off >= XDP_MD_SIZE || off % size !== 0 || size !== 4) return undefined;
  if (off === 0) return { result: 'pkt' };
  if (off === 4) return { result: 'pkt_end' };
  if (off === 8) return { result: 'pkt_meta' };
  // egress_ifindex (20) needs the BPF_XDP_DEVMAP attach type.
  if (off === 20) return undefined;
  return { result: 'scalar' };
}

/**
 * Whether a `size`-byte access at `off` of the ctx of `progType` is allowed, and what a load
 * yields. Syscall programs' ctx is plain memory (any aligned offset below 65535).
 */
export function ctxAccess(
  progType: number,
  off: number,
  size: number,
  write: boolean,
): CtxAccess | undefined {
  switch (progType) {
    case ProgType.SOCKET_FILTER:
      return skbAccess(off, size, write, false);
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
      return skbAccess(off, size, write, true);
    case ProgType.XDP:
      return xdpAccess(off, size, write);
    case ProgType.SYSCALL:
      if (off < 0 || off + size > 0xffff || off % size !== 0) return undefined;
      return { result: 'scalar' };
    default:
      return undefined;
  }
}

/** Program types whose packet may be written directly. */
export function packetWritable(progType: number): boolean {
  return progType === ProgType.XDP || progType === ProgType.SCHED_CLS || progType === ProgType.SCHED_ACT;
}
