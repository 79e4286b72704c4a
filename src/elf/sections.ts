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

import { AttachType, ProgType } from '../uapi/constants.js';

/** `enum bpf_prog_type` and `enum bpf_attach_type` of Linux 6.18, from the uapi layer. */
export { AttachType, ProgType };

/** Name of a program type (a key of {@link ProgType}). */
export type ProgTypeName = keyof typeof ProgType;

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
  const hit = KIND_CACHE.get(sectionName);
  if (hit !== undefined) return hit === null ? undefined : { ...hit };
  const k = computeSectionKind(sectionName);
  if (KIND_CACHE.size >= KIND_CACHE_MAX) KIND_CACHE.clear();
  KIND_CACHE.set(sectionName, k ?? null);
  return k === undefined ? undefined : { ...k };
}

/** Results of {@link sectionKind} by name (a pure function of it; bounded, cleared when full). */
const KIND_CACHE = new Map<string, SectionKind | null>();
const KIND_CACHE_MAX = 4096;

function computeSectionKind(sectionName: string): SectionKind | undefined {
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
