/**
 * Per-program-type rules the verifier applies at program exit: the range R0 must be in (the
 * kernel's `check_return_code`), by program type and expected attach type. Ranges measured on
 * Linux 6.18 by loading `r0 = K; exit` for every type and attach type the machine loads
 * (test/verifier/progtypes.test.ts re-checks them against the kernel).
 *
 * @module
 */

import { AttachType, ProgType } from '../../uapi/constants.js';

/**
 * Program types the machine loads: every type Linux 6.18 loads on this host, except those that
 * need a kernel object the machine does not have (BTF-attached tracing, LSM and extension
 * programs need a target in vmlinux BTF; struct_ops programs a struct_ops map) and LIRC_MODE2
 * (not built into the host kernel either).
 */
export const LOADABLE_PROG_TYPES: ReadonlySet<number> = new Set([
  ProgType.SOCKET_FILTER,
  ProgType.KPROBE,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.TRACEPOINT,
  ProgType.XDP,
  ProgType.PERF_EVENT,
  ProgType.CGROUP_SKB,
  ProgType.CGROUP_SOCK,
  ProgType.LWT_IN,
  ProgType.LWT_OUT,
  ProgType.LWT_XMIT,
  ProgType.SOCK_OPS,
  ProgType.SK_SKB,
  ProgType.CGROUP_DEVICE,
  ProgType.SK_MSG,
  ProgType.RAW_TRACEPOINT,
  ProgType.CGROUP_SOCK_ADDR,
  ProgType.LWT_SEG6LOCAL,
  ProgType.SK_REUSEPORT,
  ProgType.FLOW_DISSECTOR,
  ProgType.CGROUP_SYSCTL,
  ProgType.RAW_TRACEPOINT_WRITABLE,
  ProgType.CGROUP_SOCKOPT,
  ProgType.SK_LOOKUP,
  ProgType.SYSCALL,
  ProgType.NETFILTER,
]);

/** An inclusive range of allowed return values. */
export interface ReturnRange {
  lo: bigint;
  hi: bigint;
}

const ZERO_ONE: ReturnRange = Object.freeze({ lo: 0n, hi: 1n });
const ZERO_THREE: ReturnRange = Object.freeze({ lo: 0n, hi: 3n });
const ONE_ONE: ReturnRange = Object.freeze({ lo: 1n, hi: 1n });

/** cgroup_sock_addr hooks that must return 1 (they cannot refuse: recvmsg, getpeername, getsockname). */
const MUST_RETURN_ONE: ReadonlySet<number> = new Set([
  AttachType.CGROUP_UDP4_RECVMSG,
  AttachType.CGROUP_UDP6_RECVMSG,
  AttachType.CGROUP_INET4_GETPEERNAME,
  AttachType.CGROUP_INET6_GETPEERNAME,
  AttachType.CGROUP_INET4_GETSOCKNAME,
  AttachType.CGROUP_INET6_GETSOCKNAME,
  AttachType.CGROUP_UNIX_RECVMSG,
  AttachType.CGROUP_UNIX_GETPEERNAME,
  AttachType.CGROUP_UNIX_GETSOCKNAME,
]);

/**
 * The range the main program's R0 must be in at exit, or undefined when the program type does not
 * restrict it. In Linux 6.18:
 *
 * - [0, 1]: cgroup_skb ingress, cgroup_sock, cgroup_sock_addr connect/sendmsg (inet and unix),
 *   sock_ops, cgroup_device, cgroup_sysctl, cgroup_sockopt, sk_lookup, netfilter;
 * - [0, 3]: cgroup_skb egress (bit 1: congestion notification), cgroup_sock_addr bind4/bind6
 *   (bit 1: skip the port capability check);
 * - [1, 1]: cgroup_sock_addr recvmsg, getpeername and getsockname hooks;
 * - unrestricted: socket filters, tc, XDP, syscall, kprobe, tracepoint, perf_event, raw
 *   tracepoints, lwt, sk_skb, sk_msg, sk_reuseport, flow_dissector.
 */
export function returnRange(progType: number, expectedAttachType: number): ReturnRange | undefined {
  switch (progType) {
    case ProgType.CGROUP_SKB:
      return expectedAttachType === AttachType.CGROUP_INET_EGRESS ? ZERO_THREE : ZERO_ONE;
    case ProgType.CGROUP_SOCK_ADDR:
      if (
        expectedAttachType === AttachType.CGROUP_INET4_BIND ||
        expectedAttachType === AttachType.CGROUP_INET6_BIND
      )
        return ZERO_THREE;
      return MUST_RETURN_ONE.has(expectedAttachType) ? ONE_ONE : ZERO_ONE;
    case ProgType.CGROUP_SOCK:
    case ProgType.SOCK_OPS:
    case ProgType.CGROUP_DEVICE:
    case ProgType.CGROUP_SYSCTL:
    case ProgType.CGROUP_SOCKOPT:
    case ProgType.SK_LOOKUP:
    case ProgType.NETFILTER:
      return ZERO_ONE;
    default:
      return undefined;
  }
}
