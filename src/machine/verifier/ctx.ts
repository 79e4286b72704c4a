/**
 * Context access rules per program type: which offsets and sizes of the ctx struct a program may
 * read or write, and what a load gives (a scalar or a packet pointer). Facts from Linux 6.18's
 * `*_is_valid_access` callbacks, checked by loading programs into the kernel (test/verifier).
 *
 * @module
 */

import { AttachType, ProgType } from '../../uapi/constants.js';

/**
 * What a ctx load produces: a scalar, a packet pointer, a socket pointer (`struct bpf_sock`:
 * PTR_TO_SOCKET, maybe null, or PTR_TO_SOCK_COMMON, maybe null), or a pointer the machine's verifier
 * does not model yet (`unsupported`, with the kernel's register type in {@link CtxAccess.ptrType}).
 */
export type CtxResult =
  | 'scalar'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'sock'
  | 'sock_or_null'
  | 'sock_common_or_null'
  | 'unsupported';

/** Outcome of a ctx access check: undefined when refused. */
export interface CtxAccess {
  result: CtxResult;
  /** For `unsupported`: the register type Linux gives the load (e.g. `sock_or_null`, `flow_keys`). */
  ptrType?: string;
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

function xdpAccess(off: number, size: number, write: boolean, attachType: number): CtxAccess | undefined {
  if (write) return undefined;
  if (off < 0 || off >= XDP_MD_SIZE || off % size !== 0 || size !== 4) return undefined;
  if (off === 0) return { result: 'pkt' };
  if (off === 4) return { result: 'pkt_end' };
  if (off === 8) return { result: 'pkt_meta' };
  // egress_ifindex (20) needs the BPF_XDP_DEVMAP attach type.
  if (off === 20 && attachType !== AttachType.XDP_DEVMAP) return undefined;
  return { result: 'scalar' };
}

/**
 * The access table of one ctx layout, as the kernel's `*_is_valid_access` callbacks decide it for
 * one program type (and expected attach type) in Linux 6.18. Each entry lists, for one access
 * kind (`r` read, `w` write) and size in bytes, the allowed offsets: comma-separated offsets or
 * `a-b` runs stepping by the access size. `ptr` names the loads that give a pointer instead of a
 * scalar (`off/size`). The tables were measured by loading one-instruction accesses at every
 * aligned offset and size into the kernel (test/verifier/progtypes.test.ts re-checks them).
 */
interface CtxTable {
  /** Readable offsets by size (1, 2, 4, 8). */
  r?: Partial<Record<1 | 2 | 4 | 8, string>>;
  /** Writable offsets by size. */
  w?: Partial<Record<1 | 2 | 4 | 8, string>>;
  /** Pointer results by `off/size`: a packet pointer, or the kernel's type name of another pointer. */
  ptr?: Record<string, string>;
}

// struct __sk_buff pointer fields shared by the skb-based types below.
const SKB_PTRS = { '76/4': 'pkt', '80/4': 'pkt_end', '168/8': 'sock_common_or_null' };

/** `struct __sk_buff` of cgroup_skb programs (ingress and egress alike). */
const CGROUP_SKB: CtxTable = {
  r: {
    1: '0-71,84-91,132-139,164-167,176-179',
    2: '0-70,84-90,132-138,164-166,176-178',
    4: '0-68,76-136,164,176',
    8: '48-56,152,168,184',
  },
  w: { 1: '48-67', 2: '48-66', 4: '8,32,48-64', 8: '48-56,152' },
  ptr: SKB_PTRS,
};

/** `struct __sk_buff` of lwt_in, lwt_out, lwt_xmit and lwt_seg6local programs. */
const LWT: CtxTable = {
  r: {
    1: '0-71,84-87,164-167,176-179',
    2: '0-70,84-86,164-166,176-178',
    4: '0-68,76-84,164,176',
    8: '48-56,168',
  },
  w: { 1: '48-67', 2: '48-66', 4: '8,32,48-64', 8: '48-56' },
  ptr: SKB_PTRS,
};

/** `struct __sk_buff` of sk_skb programs (every attach type). */
const SK_SKB: CtxTable = {
  r: {
    1: '0-7,12-71,84-91,132-139,164-167,176-179',
    2: '0-6,12-70,84-90,132-138,164-166,176-178',
    4: '0-4,12-68,76-136,164,176',
    8: '48-56,168',
  },
  w: { 4: '32,44' },
  ptr: SKB_PTRS,
};

/** `struct __sk_buff` of flow_dissector programs: data, data_end and flow_keys only. */
const FLOW_DISSECTOR: CtxTable = {
  r: { 4: '76-80', 8: '144' },
  ptr: { '76/4': 'pkt', '80/4': 'pkt_end', '144/8': 'flow_keys' },
};

/** `struct bpf_sock` of cgroup_sock programs, by attach type. */
const SOCK_CREATE: CtxTable = {
  r: { 1: '4,8,12,48-49,52-72,76', 2: '4,8,12,48,52-72,76', 4: '0-20,48-76' },
  w: { 4: '0,16-20' },
};
const SOCK_POST_BIND4: CtxTable = {
  r: { 1: '4,8,12,24-27,44,48-49,52-72,76', 2: '4,8,12,24-26,44,48,52-72,76', 4: '4-12,24,44-76' },
};
const SOCK_POST_BIND6: CtxTable = {
  r: { 1: '4,8,12,28-44,48-49,52-72,76', 2: '4,8,12,28-44,48,52-72,76', 4: '4-12,28-76' },
};

/** `struct bpf_sock_addr` of cgroup_sock_addr programs, by attach type family. */
const ADDR_SK = { '64/8': 'sock' };
const ADDR4: CtxTable = {
  r: { 1: '4-7,24-27', 2: '4-6,24-26', 4: '0-4,24-36', 8: '64' },
  w: { 4: '4,24' },
  ptr: ADDR_SK,
};
const ADDR6: CtxTable = {
  r: { 1: '8-27', 2: '8-26', 4: '0,8-36', 8: '8-16,64' },
  w: { 4: '8-24', 8: '8-16' },
  ptr: ADDR_SK,
};
const SENDMSG4: CtxTable = {
  r: { 1: '4-7,24-27,40-43', 2: '4-6,24-26,40-42', 4: '0-4,24-40', 8: '64' },
  w: { 4: '4,24,40' },
  ptr: ADDR_SK,
};
const SENDMSG6: CtxTable = {
  r: { 1: '8-27,44-59', 2: '8-26,44-58', 4: '0,8-36,44-56', 8: '8-16,48,64' },
  w: { 4: '8-24,44-56', 8: '8-16,48' },
  ptr: ADDR_SK,
};
const ADDR_UNIX: CtxTable = {
  r: { 1: '24-27', 2: '24-26', 4: '0,24-36', 8: '64' },
  w: { 4: '24' },
  ptr: ADDR_SK,
};

/** Attach types of cgroup_sock_addr programs and their table. */
const SOCK_ADDR: ReadonlyMap<number, CtxTable> = new Map([
  [AttachType.CGROUP_INET4_BIND, ADDR4],
  [AttachType.CGROUP_INET4_CONNECT, ADDR4],
  [AttachType.CGROUP_UDP4_RECVMSG, ADDR4],
  [AttachType.CGROUP_INET4_GETPEERNAME, ADDR4],
  [AttachType.CGROUP_INET4_GETSOCKNAME, ADDR4],
  [AttachType.CGROUP_INET6_BIND, ADDR6],
  [AttachType.CGROUP_INET6_CONNECT, ADDR6],
  [AttachType.CGROUP_UDP6_RECVMSG, ADDR6],
  [AttachType.CGROUP_INET6_GETPEERNAME, ADDR6],
  [AttachType.CGROUP_INET6_GETSOCKNAME, ADDR6],
  [AttachType.CGROUP_UDP4_SENDMSG, SENDMSG4],
  [AttachType.CGROUP_UDP6_SENDMSG, SENDMSG6],
  [AttachType.CGROUP_UNIX_CONNECT, ADDR_UNIX],
  [AttachType.CGROUP_UNIX_SENDMSG, ADDR_UNIX],
  [AttachType.CGROUP_UNIX_RECVMSG, ADDR_UNIX],
  [AttachType.CGROUP_UNIX_GETPEERNAME, ADDR_UNIX],
  [AttachType.CGROUP_UNIX_GETSOCKNAME, ADDR_UNIX],
]);

/** `struct bpf_sock_ops`. */
const SOCK_OPS: CtxTable = {
  r: { 1: '212', 2: '212', 4: '0-164,208-212', 8: '168-200,216' },
  w: { 4: '4,164' },
  ptr: { '184/8': 'sock_or_null', '192/8': 'pkt', '200/8': 'pkt_end' },
};

/** `struct sk_msg_md`. */
const SK_MSG: CtxTable = {
  r: { 4: '16-68', 8: '0-8,72' },
  ptr: { '0/8': 'pkt', '8/8': 'pkt_end', '72/8': 'sock' },
};

/** `struct sk_reuseport_md` (both attach types). */
const SK_REUSEPORT: CtxTable = {
  r: { 1: '16-19,24-31', 2: '16-30', 4: '16-32', 8: '0-8,40-48' },
  ptr: { '0/8': 'pkt', '8/8': 'pkt_end', '40/8': 'sock', '48/8': 'sock_common_or_null' },
};

/** `struct bpf_sockopt` for getsockopt and setsockopt. */
const SOCKOPT_PTRS = { '0/8': 'sock', '8/8': 'pkt', '16/8': 'pkt_end' };
const GETSOCKOPT: CtxTable = { r: { 4: '24-36', 8: '0-16' }, w: { 4: '32-36' }, ptr: SOCKOPT_PTRS };
const SETSOCKOPT: CtxTable = { r: { 4: '24-32', 8: '0-16' }, w: { 4: '24-32' }, ptr: SOCKOPT_PTRS };

/** `struct bpf_sk_lookup`. */
const SK_LOOKUP: CtxTable = {
  r: { 1: '8-67', 2: '8-66', 4: '8-64', 8: '0' },
  ptr: { '0/8': 'sock_or_null' },
};

/** `struct bpf_cgroup_dev_ctx`. */
const CGROUP_DEVICE: CtxTable = { r: { 1: '0-3', 2: '0-2', 4: '0-8' } };

/** `struct bpf_sysctl`. */
const CGROUP_SYSCTL: CtxTable = { r: { 1: '0-7', 2: '0-6', 4: '0-4' }, w: { 4: '4' } };

/** `struct pt_regs` (x86-64, 168 bytes) of kprobe programs: read-only. */
const KPROBE: CtxTable = { r: { 1: '0-167', 2: '0-166', 4: '0-164', 8: '0-160' } };

/** A tracepoint's record: read-only from byte 8 (after the common fields) up to 8 KiB. */
const TRACEPOINT: CtxTable = { r: { 1: '8-8191', 2: '8-8190', 4: '8-8188', 8: '8-8184' } };

/** `struct bpf_perf_event_data`: regs (8-byte reads), sample_period and addr. */
const PERF_EVENT: CtxTable = { r: { 1: '168-183', 2: '168-182', 4: '168-180', 8: '0-176' } };

/** `u64 args[12]` of raw tracepoints. */
const RAW_TP: CtxTable = { r: { 1: '0-95', 2: '0-94', 4: '0-92', 8: '0-88' } };

/** Writable raw tracepoints: args[0] is the tracepoint's buffer. */
const RAW_TP_W: CtxTable = {
  r: { 1: '1-95', 2: '2-94', 4: '4-92', 8: '0-88' },
  ptr: { '0/8': 'tp_buffer' },
};

/** `struct bpf_nf_ctx`: two BTF pointers. */
const NETFILTER: CtxTable = {
  r: { 8: '0-8' },
  ptr: { '0/8': 'trusted_ptr_nf_hook_state', '8/8': 'trusted_ptr_sk_buff' },
};

const parsed = new Map<string, ReadonlySet<number>>();

function offsets(spec: string, size: number): ReadonlySet<number> {
  const key = `${spec}/${size}`;
  let s = parsed.get(key);
  if (s === undefined) {
    const set = new Set<number>();
    for (const part of spec.split(',')) {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      for (let o = a; o <= (b ?? a); o += size) set.add(o);
    }
    s = set;
    parsed.set(key, s);
  }
  return s;
}

/** The table of `progType` with `attachType`, when the machine has one (not the skb/xdp/syscall code). */
function tableOf(progType: number, attachType: number): CtxTable | undefined {
  switch (progType) {
    case ProgType.KPROBE:
      return KPROBE;
    case ProgType.PERF_EVENT:
      return PERF_EVENT;
    case ProgType.RAW_TRACEPOINT:
      return RAW_TP;
    case ProgType.RAW_TRACEPOINT_WRITABLE:
      return RAW_TP_W;
    case ProgType.CGROUP_SKB:
      return CGROUP_SKB;
    case ProgType.LWT_IN:
    case ProgType.LWT_OUT:
    case ProgType.LWT_XMIT:
    case ProgType.LWT_SEG6LOCAL:
      return LWT;
    case ProgType.SK_SKB:
      return SK_SKB;
    case ProgType.FLOW_DISSECTOR:
      return FLOW_DISSECTOR;
    case ProgType.CGROUP_SOCK:
      if (attachType === AttachType.CGROUP_INET4_POST_BIND) return SOCK_POST_BIND4;
      if (attachType === AttachType.CGROUP_INET6_POST_BIND) return SOCK_POST_BIND6;
      return SOCK_CREATE;
    case ProgType.CGROUP_SOCK_ADDR:
      return SOCK_ADDR.get(attachType);
    case ProgType.SOCK_OPS:
      return SOCK_OPS;
    case ProgType.SK_MSG:
      return SK_MSG;
    case ProgType.SK_REUSEPORT:
      return SK_REUSEPORT;
    case ProgType.CGROUP_SOCKOPT:
      return attachType === AttachType.CGROUP_GETSOCKOPT ? GETSOCKOPT : SETSOCKOPT;
    case ProgType.SK_LOOKUP:
      return SK_LOOKUP;
    case ProgType.CGROUP_DEVICE:
      return CGROUP_DEVICE;
    case ProgType.CGROUP_SYSCTL:
      return CGROUP_SYSCTL;
    case ProgType.NETFILTER:
      return NETFILTER;
    default:
      return undefined;
  }
}

function tableAccess(t: CtxTable, off: number, size: number, write: boolean): CtxAccess | undefined {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  const spec = (write ? t.w : t.r)?.[size];
  if (spec === undefined || off < 0 || !offsets(spec, size).has(off)) return undefined;
  const p = write ? undefined : t.ptr?.[`${off}/${size}`];
  if (p === undefined) return { result: 'scalar' };
  if (
    p === 'pkt' ||
    p === 'pkt_end' ||
    p === 'pkt_meta' ||
    p === 'sock' ||
    p === 'sock_or_null' ||
    p === 'sock_common_or_null'
  )
    return { result: p };
  return { result: 'unsupported', ptrType: p };
}

/**
 * Whether a `size`-byte access at `off` of the ctx of `progType` (loaded with `attachType`) is
 * allowed, and what a load yields. Syscall programs' ctx is plain memory (any aligned offset
 * below 65535).
 */
export function ctxAccess(
  progType: number,
  off: number,
  size: number,
  write: boolean,
  attachType = 0,
): CtxAccess | undefined {
  switch (progType) {
    case ProgType.SOCKET_FILTER:
      return skbAccess(off, size, write, false);
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
      return skbAccess(off, size, write, true);
    case ProgType.XDP:
      return xdpAccess(off, size, write, attachType);
    case ProgType.SYSCALL:
      if (off < 0 || off + size > 0xffff || off % size !== 0) return undefined;
      return { result: 'scalar' };
    case ProgType.TRACEPOINT:
      // Linux 6.18 compares a negative offset with sizeof(void *) as unsigned: every aligned
      // negative offset passes (measured), as do 8 <= off < 8192.
      if (!write && off < 0 && off % size === 0 && (size === 1 || size === 2 || size === 4 || size === 8))
        return { result: 'scalar' };
      return tableAccess(TRACEPOINT, off, size, write);
    default: {
      const t = tableOf(progType, attachType);
      return t === undefined ? undefined : tableAccess(t, off, size, write);
    }
  }
}

/** Program types whose packet (or sockopt buffer) may be written directly. */
const PACKET_WRITABLE: ReadonlySet<number> = new Set([
  ProgType.XDP,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.LWT_XMIT,
  ProgType.SK_SKB,
  ProgType.SK_MSG,
  ProgType.CGROUP_SOCKOPT,
]);

/** Whether programs of `progType` may write their packet directly. */
export function packetWritable(progType: number): boolean {
  return PACKET_WRITABLE.has(progType);
}
