/**
 * Socket pointers: what a program may read through `struct bpf_sock` (PTR_TO_SOCK_COMMON,
 * PTR_TO_SOCKET) and `struct bpf_tcp_sock` (PTR_TO_TCP_SOCK), and where such pointers come from
 * (`__sk_buff->sk`). Facts from Linux 6.18's `bpf_sock_common_is_valid_access`,
 * `bpf_sock_is_valid_access` and `bpf_tcp_sock_is_valid_access`, checked by loading programs into
 * the kernel (test/verifier corpus, `sock/*`).
 *
 * @module
 */

import { ProgType } from '../../uapi/constants.js';

/** Offset of `struct bpf_sock *sk` in `struct __sk_buff` (an 8-byte read gives sock_common_or_null). */
export const SKB_SK_OFFSET = 168;

/** Size of `struct bpf_sock`. */
export const BPF_SOCK_SIZE = 80;
/** Size of `struct bpf_tcp_sock` (up to the end of `icsk_retransmits`). */
export const BPF_TCP_SOCK_SIZE = 112;

/** The kinds of socket pointer the verifier tracks. */
export type SockKind = 'sock_common' | 'sock' | 'tcp_sock';

/** Program types whose ctx is `struct __sk_buff` with a readable `sk` field. */
const SKB_SK_TYPES: ReadonlySet<number> = new Set([
  ProgType.SOCKET_FILTER,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.CGROUP_SKB,
]);

/** Whether a ctx load of `size` bytes at `off` is the `__sk_buff->sk` pointer for `progType`. */
export function isSkbSkLoad(progType: number, off: number, size: number, write: boolean): boolean {
  return !write && off === SKB_SK_OFFSET && size === 8 && SKB_SK_TYPES.has(progType);
}

// struct bpf_sock offsets
const TYPE = 8;
const PRIORITY_END = 24;
const SRC_IP4 = 24;
const SRC_PORT = 44;
const DST_PORT = 48;
const DST_IP4 = 52;
const STATE = 72;
const RX_QUEUE_MAPPING = 76;

/** `struct bpf_sock` read rules (PTR_TO_SOCKET). */
function sockOk(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_SOCK_SIZE || off % size !== 0) return false;
  // Fields read at their first byte only, with a 1-, 2- or 4-byte load.
  if (
    off === 4 ||
    off === TYPE ||
    off === 12 ||
    off === SRC_PORT ||
    off === STATE ||
    off === RX_QUEUE_MAPPING
  )
    return size <= 4;
  // Addresses: 1-, 2- or 4-byte loads anywhere inside (aligned to their size).
  if ((off >= SRC_IP4 && off < SRC_PORT) || (off >= DST_IP4 && off < STATE)) return size <= 4;
  // dst_port: a 4-byte read of the field, or 1- and 2-byte reads within its 2 bytes.
  if (off >= DST_PORT && off < DST_IP4) {
    if (size === 4) return off === DST_PORT;
    return off + size <= DST_PORT + 2;
  }
  // Everything else: whole 4-byte fields (bound_dev_if, mark, priority).
  return size === 4;
}

/** `struct bpf_sock` fields of a sock_common: everything but `type` .. `priority`. */
function sockCommonOk(off: number, size: number): boolean {
  if (off >= TYPE && off < PRIORITY_END) return false;
  return sockOk(off, size);
}

/** `struct bpf_tcp_sock` read rules. */
function tcpSockOk(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_TCP_SOCK_SIZE || off % size !== 0) return false;
  if (off === 80 || off === 88) return size === 8;
  return size === 4;
}

/**
 * Reads the access rules allow but Linux then fails to rewrite (the upper halves of the u64
 * `bytes_received`/`bytes_acked` of `struct bpf_tcp_sock`, read with 4 bytes): the load is
 * refused after verification with "verifier bug: error during ctx access conversion (0)".
 */
export function sockConversionFails(kind: SockKind, off: number, size: number): boolean {
  return kind === 'tcp_sock' && size === 4 && (off === 84 || off === 92);
}

/** Whether a `size`-byte read at `off` through a socket pointer of kind `kind` is allowed. */
export function sockAccess(kind: SockKind, off: number, size: number): boolean {
  switch (kind) {
    case 'sock_common':
      return sockCommonOk(off, size);
    case 'sock':
      return sockOk(off, size);
    case 'tcp_sock':
      return tcpSockOk(off, size);
  }
}

/** A helper that takes one socket pointer (ARG_PTR_TO_SOCK_COMMON) and returns a socket pointer or NULL. */
export interface SockHelper {
  name: string;
  /** Kind of the pointer returned (or NULL). */
  ret: SockKind;
  /** Program types that may call it. */
  types: readonly number[];
}

const SKB_TC = [ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.CGROUP_SKB];

/**
 * The socket helpers the machine implements: `bpf_sk_fullsock` (95), `bpf_tcp_sock` (96),
 * `bpf_get_listener_sock` (98).
 */
export const SOCK_HELPERS: ReadonlyMap<number, SockHelper> = new Map<number, SockHelper>([
  [95, { name: 'sk_fullsock', ret: 'sock', types: SKB_TC }],
  [96, { name: 'tcp_sock', ret: 'tcp_sock', types: SKB_TC }],
  [98, { name: 'get_listener_sock', ret: 'sock', types: SKB_TC }],
]);

/** The kernel's list of register types ARG_PTR_TO_SOCK_COMMON accepts (its error line). */
export const SOCK_COMMON_EXPECTED = 'sock_common, sock, tcp_sock, xdp_sock';
