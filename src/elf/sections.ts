/**
 * Section-name conventions: which program type, expected attach type and sleepable flag a
 * program gets from the name of the ELF section it lives in (the conventions libbpf documents,
 * with enum values as defined by Linux 6.18).
 *
 * Matching rules, per table entry:
 * - a pattern ending in `/` matches any name that starts with it (`kprobe/` style, the part after
 *   the slash is required);
 * - a pattern ending in `+` matches the bare name or the name followed by `/` and anything;
 * - any other pattern matches only exactly.
 *
 * The first matching entry wins, so more specific names come before their prefixes.
 *
 * @module
 */

/** `enum bpf_prog_type` (Linux 6.18). */
export const ProgType = {
  UNSPEC: 0,
  SOCKET_FILTER: 1,
  KPROBE: 2,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  TRACEPOINT: 5,
  XDP: 6,
  PERF_EVENT: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
  SOCK_OPS: 13,
  SK_SKB: 14,
  CGROUP_DEVICE: 15,
  SK_MSG: 16,
  RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20,
  SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22,
  CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25,
  TRACING: 26,
  STRUCT_OPS: 27,
  EXT: 28,
  LSM: 29,
  SK_LOOKUP: 30,
  SYSCALL: 31,
  NETFILTER: 32,
} as const;

/** Name of a program type (a key of {@link ProgType}). */
export type ProgTypeName = keyof typeof ProgType;

/** `enum bpf_attach_type` (Linux 6.18). */
export const AttachType = {
  CGROUP_INET_INGRESS: 0,
  CGROUP_INET_EGRESS: 1,
  CGROUP_INET_SOCK_CREATE: 2,
  CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4,
  SK_SKB_STREAM_VERDICT: 5,
  CGROUP_DEVICE: 6,
  SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9,
  CGROUP_INET4_CONNECT: 10,
  CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13,
  CGROUP_UDP4_SENDMSG: 14,
  CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16,
  FLOW_DISSECTOR: 17,
  CGROUP_SYSCTL: 18,
  CGROUP_UDP4_RECVMSG: 19,
  CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21,
  CGROUP_SETSOCKOPT: 22,
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  MODIFY_RETURN: 26,
  LSM_MAC: 27,
  TRACE_ITER: 28,
  CGROUP_INET4_GETPEERNAME: 29,
  CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31,
  CGROUP_INET6_GETSOCKNAME: 32,
  XDP_DEVMAP: 33,
  CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35,
  SK_LOOKUP: 36,
  XDP: 37,
  SK_SKB_VERDICT: 38,
  SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40,
  PERF_EVENT: 41,
  TRACE_KPROBE_MULTI: 42,
  LSM_CGROUP: 43,
  STRUCT_OPS: 44,
  NETFILTER: 45,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
  TRACE_UPROBE_MULTI: 48,
  CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50,
  CGROUP_UNIX_RECVMSG: 51,
  CGROUP_UNIX_GETPEERNAME: 52,
  CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54,
  NETKIT_PEER: 55,
  TRACE_KPROBE_SESSION: 56,
  TRACE_UPROBE_SESSION: 57,
} as const;

/** Name of an attach type (a key of {@link AttachType}). */
export type AttachTypeName = keyof typeof AttachType;

/** What a section name says about the programs in it. */
export interface SectionKind {
  /** The table pattern that matched (e.g. `kprobe+`, `cgroup/connect4`). */
  readonly pattern: string;
  /** Program type name. */
  readonly progType: ProgTypeName;
  /** Expected attach type name, or `undefined` when the program is loaded without one (0). */
  readonly attachType: AttachTypeName | undefined;
  /** Loaded with `BPF_F_SLEEPABLE`. */
  readonly sleepable: boolean;
  /** Loaded with `BPF_F_XDP_HAS_FRAGS`. */
  readonly xdpFrags: boolean;
  /**
   * The attach target named after the prefix (`do_unlinkat` for `fentry/do_unlinkat`), or `''`.
   * For BTF-attached types (tp_btf, fentry, fexit, fmod_ret, lsm, iter, freplace) it is the
   * kernel BTF name the loader resolves.
   */
  readonly attachTo: string;
  /** The attach target is a kernel BTF function or type (tracing, LSM, iterators, freplace). */
  readonly attachBtf: boolean;
}

type Row = readonly [pattern: string, prog: ProgTypeName, attach: AttachTypeName | '', flags: string];

// flags: s = sleepable, f = xdp frags, b = attach target resolved through BTF.
const TABLE: readonly Row[] = [
  ['socket', 'SOCKET_FILTER', '', ''],
  ['sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', ''],
  ['sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT', ''],
  ['kprobe+', 'KPROBE', '', ''],
  ['uprobe+', 'KPROBE', '', ''],
  ['uprobe.s+', 'KPROBE', '', 's'],
  ['kretprobe+', 'KPROBE', '', ''],
  ['uretprobe+', 'KPROBE', '', ''],
  ['uretprobe.s+', 'KPROBE', '', 's'],
  ['kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI', ''],
  ['kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI', ''],
  ['kprobe.session+', 'KPROBE', 'TRACE_KPROBE_SESSION', ''],
  ['uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI', ''],
  ['uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI', ''],
  ['uprobe.session+', 'KPROBE', 'TRACE_UPROBE_SESSION', ''],
  ['uprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', 's'],
  ['uretprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', 's'],
  ['uprobe.session.s+', 'KPROBE', 'TRACE_UPROBE_SESSION', 's'],
  ['ksyscall+', 'KPROBE', '', ''],
  ['kretsyscall+', 'KPROBE', '', ''],
  ['usdt+', 'KPROBE', '', ''],
  ['usdt.s+', 'KPROBE', '', 's'],
  ['tc/ingress', 'SCHED_CLS', 'TCX_INGRESS', ''],
  ['tc/egress', 'SCHED_CLS', 'TCX_EGRESS', ''],
  ['tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS', ''],
  ['tcx/egress', 'SCHED_CLS', 'TCX_EGRESS', ''],
  ['tc', 'SCHED_CLS', '', ''],
  ['classifier', 'SCHED_CLS', '', ''],
  ['action', 'SCHED_ACT', '', ''],
  ['netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY', ''],
  ['netkit/peer', 'SCHED_CLS', 'NETKIT_PEER', ''],
  ['tracepoint+', 'TRACEPOINT', '', ''],
  ['tp+', 'TRACEPOINT', '', ''],
  ['tracepoint.s+', 'TRACEPOINT', '', 's'],
  ['tp.s+', 'TRACEPOINT', '', 's'],
  ['raw_tracepoint+', 'RAW_TRACEPOINT', '', ''],
  ['raw_tp+', 'RAW_TRACEPOINT', '', ''],
  ['raw_tracepoint.s+', 'RAW_TRACEPOINT', '', 's'],
  ['raw_tp.s+', 'RAW_TRACEPOINT', '', 's'],
  ['raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE', '', ''],
  ['raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE', '', ''],
  ['tp_btf+', 'TRACING', 'TRACE_RAW_TP', 'b'],
  ['tp_btf.s+', 'TRACING', 'TRACE_RAW_TP', 'bs'],
  ['fentry+', 'TRACING', 'TRACE_FENTRY', 'b'],
  ['fmod_ret+', 'TRACING', 'MODIFY_RETURN', 'b'],
  ['fexit+', 'TRACING', 'TRACE_FEXIT', 'b'],
  ['fentry.s+', 'TRACING', 'TRACE_FENTRY', 'bs'],
  ['fmod_ret.s+', 'TRACING', 'MODIFY_RETURN', 'bs'],
  ['fexit.s+', 'TRACING', 'TRACE_FEXIT', 'bs'],
  ['freplace+', 'EXT', '', 'b'],
  ['lsm+', 'LSM', 'LSM_MAC', 'b'],
  ['lsm.s+', 'LSM', 'LSM_MAC', 'bs'],
  ['lsm_cgroup+', 'LSM', 'LSM_CGROUP', 'b'],
  ['iter+', 'TRACING', 'TRACE_ITER', 'b'],
  ['iter.s+', 'TRACING', 'TRACE_ITER', 'bs'],
  ['syscall', 'SYSCALL', '', 's'],
  ['xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', 'f'],
  ['xdp/devmap', 'XDP', 'XDP_DEVMAP', ''],
  ['xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', 'f'],
  ['xdp/cpumap', 'XDP', 'XDP_CPUMAP', ''],
  ['xdp.frags', 'XDP', 'XDP', 'f'],
  ['xdp', 'XDP', 'XDP', ''],
  ['perf_event', 'PERF_EVENT', '', ''],
  ['lwt_in', 'LWT_IN', '', ''],
  ['lwt_out', 'LWT_OUT', '', ''],
  ['lwt_xmit', 'LWT_XMIT', '', ''],
  ['lwt_seg6local', 'LWT_SEG6LOCAL', '', ''],
  ['sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS', ''],
  ['sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER', ''],
  ['sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT', ''],
  ['sk_skb/verdict', 'SK_SKB', 'SK_SKB_VERDICT', ''],
  ['sk_skb', 'SK_SKB', '', ''],
  ['sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', ''],
  ['lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2', ''],
  ['flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR', ''],
  ['cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS', ''],
  ['cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS', ''],
  ['cgroup/skb', 'CGROUP_SKB', '', ''],
  ['cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', ''],
  ['cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE', ''],
  ['cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', ''],
  ['cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND', ''],
  ['cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND', ''],
  ['cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND', ''],
  ['cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND', ''],
  ['cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT', ''],
  ['cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT', ''],
  ['cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT', ''],
  ['cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG', ''],
  ['cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG', ''],
  ['cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG', ''],
  ['cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG', ''],
  ['cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG', ''],
  ['cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG', ''],
  ['cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME', ''],
  ['cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME', ''],
  ['cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME', ''],
  ['cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME', ''],
  ['cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME', ''],
  ['cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME', ''],
  ['cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL', ''],
  ['cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT', ''],
  ['cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT', ''],
  ['cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', ''],
  ['struct_ops+', 'STRUCT_OPS', '', ''],
  ['struct_ops.s+', 'STRUCT_OPS', '', 's'],
  ['sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', ''],
  ['netfilter', 'NETFILTER', 'NETFILTER', ''],
];

function matches(pattern: string, name: string): string | undefined {
  const last = pattern[pattern.length - 1];
  if (last === '/') return name.startsWith(pattern) ? name.slice(pattern.length) : undefined;
  if (last === '+') {
    const base = pattern.slice(0, -1);
    if (name === base) return '';
    if (name.startsWith(base) && name[base.length] === '/') return name.slice(base.length + 1);
    return undefined;
  }
  return name === pattern ? '' : undefined;
}

/**
 * What a section name means for the programs in it, or `undefined` when the name follows no
 * known convention (such programs can still be loaded with an explicit type).
 */
export function sectionKind(sectionName: string): SectionKind | undefined {
  for (const [pattern, prog, attach, flags] of TABLE) {
    const rest = matches(pattern, sectionName);
    if (rest === undefined) continue;
    return {
      pattern,
      progType: prog,
      attachType: attach === '' ? undefined : attach,
      sleepable: flags.includes('s'),
      xdpFrags: flags.includes('f'),
      attachTo: rest,
      attachBtf: flags.includes('b'),
    };
  }
  return undefined;
}

/** Every section pattern of the table, in match order (for documentation and tests). */
export function sectionPatterns(): string[] {
  return TABLE.map((r) => r[0]);
}
