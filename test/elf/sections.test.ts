import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sectionKind, sectionPatterns } from '../../src/elf/sections.js';

test('section names map to program type, attach type and flags', () => {
  const cases: [string, string, string | undefined, boolean, string][] = [
    ['socket', 'SOCKET_FILTER', undefined, false, ''],
    ['xdp', 'XDP', 'XDP', false, ''],
    ['xdp.frags', 'XDP', 'XDP', false, ''],
    ['xdp/cpumap', 'XDP', 'XDP_CPUMAP', false, ''],
    ['tc', 'SCHED_CLS', undefined, false, ''],
    ['tc/ingress', 'SCHED_CLS', 'TCX_INGRESS', false, ''],
    ['tcx/egress', 'SCHED_CLS', 'TCX_EGRESS', false, ''],
    ['classifier', 'SCHED_CLS', undefined, false, ''],
    ['kprobe/do_sys_open', 'KPROBE', undefined, false, 'do_sys_open'],
    ['kprobe', 'KPROBE', undefined, false, ''],
    ['kretprobe/x', 'KPROBE', undefined, false, 'x'],
    ['uprobe.s/bin:f', 'KPROBE', undefined, true, 'bin:f'],
    ['tracepoint/sched/sched_switch', 'TRACEPOINT', undefined, false, 'sched/sched_switch'],
    ['tp/a/b', 'TRACEPOINT', undefined, false, 'a/b'],
    ['raw_tp/sys_enter', 'RAW_TRACEPOINT', undefined, false, 'sys_enter'],
    ['raw_tracepoint/sys_enter', 'RAW_TRACEPOINT', undefined, false, 'sys_enter'],
    ['tp_btf/sched_switch', 'TRACING', 'TRACE_RAW_TP', false, 'sched_switch'],
    ['fentry/f', 'TRACING', 'TRACE_FENTRY', false, 'f'],
    ['fexit/f', 'TRACING', 'TRACE_FEXIT', false, 'f'],
    ['fmod_ret/f', 'TRACING', 'MODIFY_RETURN', false, 'f'],
    ['fentry.s/f', 'TRACING', 'TRACE_FENTRY', true, 'f'],
    ['lsm/file_open', 'LSM', 'LSM_MAC', false, 'file_open'],
    ['lsm.s/bpf', 'LSM', 'LSM_MAC', true, 'bpf'],
    ['lsm_cgroup/socket_bind', 'LSM', 'LSM_CGROUP', false, 'socket_bind'],
    ['cgroup/skb', 'CGROUP_SKB', undefined, false, ''],
    ['cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', false, ''],
    ['cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', false, ''],
    ['cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT', false, ''],
    ['cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT', false, ''],
    ['cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND', false, ''],
    ['cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND', false, ''],
    ['cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG', false, ''],
    ['cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG', false, ''],
    ['cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT', false, ''],
    ['cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT', false, ''],
    ['cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL', false, ''],
    ['cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', false, ''],
    ['sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER', false, ''],
    ['sk_skb', 'SK_SKB', undefined, false, ''],
    ['sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', false, ''],
    ['sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', false, ''],
    ['flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR', false, ''],
    ['perf_event', 'PERF_EVENT', undefined, false, ''],
    ['syscall', 'SYSCALL', undefined, true, ''],
    ['struct_ops/init', 'STRUCT_OPS', undefined, false, 'init'],
    ['struct_ops.s/x', 'STRUCT_OPS', undefined, true, 'x'],
    ['iter/task', 'TRACING', 'TRACE_ITER', false, 'task'],
    ['iter.s/task', 'TRACING', 'TRACE_ITER', true, 'task'],
    ['freplace/f', 'EXT', undefined, false, 'f'],
    ['netfilter', 'NETFILTER', 'NETFILTER', false, ''],
  ];
  for (const [name, prog, attach, sleepable, to] of cases) {
    const k = sectionKind(name);
    assert.ok(k, name);
    assert.deepEqual(
      [k.progType, k.attachType, k.sleepable, k.attachTo],
      [prog, attach, sleepable, to],
      name,
    );
  }
  assert.equal(sectionKind('xdp.frags')!.xdpFrags, true);
});

test('names that follow no convention, or break the separator rule, are unknown', () => {
  for (const name of [
    '',
    'kprobex',
    'tcx',
    'tc/foo',
    'socket/x',
    'cgroup/unknown',
    'lsmx/f',
    'xdp2',
    '.text',
  ]) {
    assert.equal(sectionKind(name), undefined, name);
  }
});

test('the table has no duplicate patterns', () => {
  const p = sectionPatterns();
  assert.equal(new Set(p).size, p.length);
});
