/**
 * `BPF_PROG_TEST_RUN` on the machine: builds the program's context and packet in the engine's
 * address space the way the kernel's test runners do, runs the program `repeat` times and copies
 * the results out.
 *
 * - socket_filter, sched_cls/act, cgroup_skb, lwt_in/out/xmit (`bpf_prog_test_run_skb`):
 *   14 <= data size <= 3712 (an IPv4 frame holds its 20-byte header, an IPv6 one its 40 bytes);
 *   the program sees a `struct __sk_buff` (len, protocol, mark, priority, ifindex, cb[], hash,
 *   data, data_end, the socket's family and addresses from the frame, ...) whose `sk` is the
 *   dummy socket the kernel makes for each run (see `dummySocket`). All but tc see the
 *   packet from the network header, and the first 14 bytes of their data out are zero (the
 *   kernel pushes a zeroed link-layer header back). ctx_out gives back the fields ctx_in may set.
 * - raw_tracepoint: ctx_in only (at most 12 u64 arguments); no data, ctx_out or repeat.
 * - flow_dissector: the frame as data/data_end; data out is the `struct bpf_flow_keys` the
 *   kernel starts from (nhoff = thoff = 14, n_proto from the frame).
 * - netfilter: 20 to 3712 bytes of data, no ctx.
 * - sk_lookup: ctx_in `struct bpf_sk_lookup` (AF_INET/AF_INET6, zero cookie), no data.
 * - every other type the machine loads: ENOTSUPP, as the kernel has no runner for it.
 * - xdp (`bpf_prog_test_run_xdp`): data >= 14 bytes (at most 3520 visible); `struct xdp_md`
 *   in and out; metadata of `ctx.data` bytes in front of the packet (data out includes it).
 * - syscall (`bpf_prog_test_run_syscall`): only ctx_in (at most 65535 bytes), which the program
 *   may change and which is copied back; no data, repeat or duration.
 *
 * @module
 */

import { Errno } from '../sys/errors.js';
import type { TestRunAttr, TestRunResult } from '../uapi/attrs.js';
import { ProgType } from '../uapi/constants.js';
import type { Vm } from './engine/interp.js';
import { EngineFault, Perm, regionPtr } from './engine/memory.js';
import type { Prog } from './prog.js';

/** Size of `struct __sk_buff` on Linux 6.18. */
export const SK_BUFF_SIZE = 192;
/** Size of `struct xdp_md`. */
export const XDP_MD_SIZE = 24;
const ETH_HLEN = 14;
const AF_INET = 2;
const AF_INET6 = 10;
const SKB_MAX_DATA = 4096 - 64 - 320;
const XDP_MAX_DATA = 4096 - 256 - 320;

/** Offsets in `struct __sk_buff`. */
export const SkBuff = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  vlan_present: 20,
  vlan_tci: 24,
  vlan_proto: 28,
  priority: 32,
  ingress_ifindex: 36,
  ifindex: 40,
  tc_index: 44,
  cb: 48,
  hash: 68,
  tc_classid: 72,
  data: 76,
  data_end: 80,
  napi_id: 84,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  data_meta: 140,
  tstamp: 152,
  wire_len: 160,
  gso_segs: 164,
  sk: 168,
  gso_size: 176,
  hwtstamp: 184,
} as const;

/** Size of `struct bpf_sock`. */
export const BPF_SOCK_SIZE = 80;

/** Offsets in `struct bpf_sock`. */
export const BpfSock = {
  bound_dev_if: 0,
  family: 4,
  type: 8,
  protocol: 12,
  mark: 16,
  priority: 20,
  src_ip4: 24,
  src_ip6: 28,
  src_port: 44,
  dst_port: 48,
  dst_ip4: 52,
  dst_ip6: 56,
  state: 72,
  rx_queue_mapping: 76,
} as const;

/** `TCP_CLOSE`: the state of a socket nobody connected or bound. */
const TCP_CLOSE = 7;

/**
 * The socket `bpf_prog_test_run_skb` gives the skb (Linux 6.18, checked with
 * bench/skb-sock-probe.ts): a full socket of no type and no protocol (so `bpf_tcp_sock` and
 * `bpf_get_listener_sock` give NULL), state TCP_CLOSE, no bound device, mark, priority or ports,
 * uid 0 and no receive queue; an IPv4 frame makes it AF_INET with src_ip4/dst_ip4 the header's
 * source/destination, an IPv6 frame AF_INET6 with src_ip6/dst_ip6, any other frame leaves it
 * AF_UNSPEC with no addresses. Returns the pointer to its read-only `struct bpf_sock`.
 *
 * `rx_queue_mapping` is -1 (no queue) as the verifier sees a read of it: a 4-byte read gives
 * 0xffffffff, a 2-byte one 0xffff, a 1-byte one 0xff, all zero-extended. Linux's rewritten load
 * gives the 64-bit -1 for the 2- and 4-byte reads, beyond the bounds its verifier (and the
 * machine's) assumes for them; the machine keeps to those bounds, so that no accepted program
 * faults. The low 32 bits of a 4-byte read agree with Linux.
 */
function dummySocket(vm: Vm, frame: Uint8Array): bigint {
  const sock = new Uint8Array(BPF_SOCK_SIZE);
  const sv = new DataView(sock.buffer);
  const proto = (frame[12]! << 8) | frame[13]!;
  if (proto === 0x0800) {
    sv.setUint32(BpfSock.family, AF_INET, true);
    sock.set(frame.subarray(26, 30), BpfSock.src_ip4);
    sock.set(frame.subarray(30, 34), BpfSock.dst_ip4);
  } else if (proto === 0x86dd) {
    sv.setUint32(BpfSock.family, AF_INET6, true);
    sock.set(frame.subarray(22, 38), BpfSock.src_ip6);
    sock.set(frame.subarray(38, 54), BpfSock.dst_ip6);
  }
  sv.setUint32(BpfSock.state, TCP_CLOSE, true);
  sv.setInt32(BpfSock.rx_queue_mapping, -1, true);
  return vm.memory.addRegion('sock', sock, Perm.R);
}

/** Fields of `__sk_buff` a test run's ctx_in may set (the rest must be zero). */
const SKB_CTX_IN: readonly [number, number][] = [
  [SkBuff.mark, 4],
  [SkBuff.priority, 4],
  [SkBuff.ingress_ifindex, 4],
  [SkBuff.ifindex, 4],
  [SkBuff.cb, 20],
  [SkBuff.tstamp, 8],
  [SkBuff.wire_len, 4],
  [SkBuff.gso_segs, 4],
  [SkBuff.gso_size, 4],
  [SkBuff.hwtstamp, 8],
];

/** What a test run needs from the machine. */
export interface RunEnv {
  /** The Vm to run on (its memory is reset here). */
  vm: Vm;
  /** The machine clock (ns). */
  now(): bigint;
}

/** Error of a test run: errno and, for ENOSPC, the result that was still written. */
export interface RunFailure {
  errno: number;
  result?: TestRunResult;
}

function zeroExcept(b: Uint8Array, allowed: readonly [number, number][]): boolean {
  outer: for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) continue;
    for (const [o, n] of allowed) if (i >= o && i < o + n) continue outer;
    return false;
  }
  return true;
}

/** `eth_type_trans`'s packet type for a frame received on the loopback device (address 0). */
function packetType(frame: Uint8Array): number {
  if (frame[0]! & 1) return frame.subarray(0, 6).every((b) => b === 0xff) ? 1 : 2;
  return frame.subarray(0, 6).every((b) => b === 0) ? 0 : 3;
}

function runRepeated(
  env: RunEnv,
  prog: Prog,
  args: bigint[],
  repeat: number,
): { r0: number; duration: number } {
  const n = repeat === 0 ? 1 : repeat;
  const t0 = env.now();
  let r0 = 0;
  for (let i = 0; i < n; i++) {
    const r = env.vm.run(prog.image, args);
    r0 = Number(r.r0 & 0xffffffffn);
  }
  const spent = env.now() - t0;
  prog.runCnt += BigInt(n);
  prog.runTimeNs += spent;
  return { r0, duration: Number(spent / BigInt(n)) };
}

function copyOut(out: Uint8Array | undefined, data: Uint8Array): boolean {
  if (out === undefined) return true;
  out.set(data.subarray(0, Math.min(out.length, data.length)));
  return out.length >= data.length;
}

/** Runs `prog` as `BPF_PROG_TEST_RUN` does; the result, or the errno. */
export function testRun(env: RunEnv, prog: Prog, attr: TestRunAttr): TestRunResult | RunFailure {
  const vm = env.vm;
  vm.memory.reset();
  switch (prog.type) {
    case ProgType.SYSCALL: {
      if (attr.dataIn || attr.dataOut || attr.ctxOut || attr.repeat || attr.flags)
        return { errno: Errno.EINVAL };
      const ctxIn = attr.ctxIn;
      if (ctxIn !== undefined && ctxIn.length > 0xffff) return { errno: Errno.EINVAL };
      const ctx = ctxIn === undefined ? new Uint8Array(0) : ctxIn.slice();
      const args = ctx.length > 0 ? [vm.memory.addRegion('ctx', ctx, Perm.RW)] : [0n];
      let r: { r0: bigint };
      try {
        r = vm.run(prog.image, args);
      } catch (e) {
        // The verifier would have sized the ctx (max_ctx_offset): a ctx shorter than the
        // program's accesses is EINVAL there.
        if (e instanceof EngineFault && (e.kind === 'out_of_bounds' || e.kind === 'null'))
          return { errno: Errno.EINVAL };
        throw e;
      }
      prog.runCnt += 1n;
      if (ctxIn !== undefined) ctxIn.set(ctx);
      return { retval: Number(r.r0 & 0xffffffffn), dataSizeOut: 0, ctxSizeOut: 0, duration: 0 };
    }
    case ProgType.SOCKET_FILTER:
    case ProgType.SCHED_CLS:
    case ProgType.SCHED_ACT:
    case ProgType.CGROUP_SKB:
    case ProgType.LWT_IN:
    case ProgType.LWT_OUT:
    case ProgType.LWT_XMIT: {
      if (attr.flags || attr.cpu || attr.batchSize) return { errno: Errno.EINVAL };
      const data = attr.dataIn;
      if (data === undefined || data.length < ETH_HLEN || data.length > SKB_MAX_DATA)
        return { errno: Errno.EINVAL };
      // An IPv4 or IPv6 frame must hold the network header.
      const proto = (data[12]! << 8) | data[13]!;
      if (
        (proto === 0x0800 && data.length < ETH_HLEN + 20) ||
        (proto === 0x86dd && data.length < ETH_HLEN + 40)
      )
        return { errno: Errno.EINVAL };
      // tc programs see the frame from the link-layer header; the others from the network
      // header. All but socket filters read data/data_end (the verifier decides which).
      const l2 = prog.type === ProgType.SCHED_CLS || prog.type === ProgType.SCHED_ACT;
      const pkt = data.slice();
      const view = l2 ? pkt : pkt.subarray(ETH_HLEN);
      const ctxIn = attr.ctxIn;
      if (ctxIn !== undefined) {
        if (ctxIn.length > SK_BUFF_SIZE && ctxIn.subarray(SK_BUFF_SIZE).some((b) => b !== 0))
          return { errno: Errno.E2BIG };
        if (!zeroExcept(ctxIn.subarray(0, SK_BUFF_SIZE), SKB_CTX_IN)) return { errno: Errno.EINVAL };
      }
      const skb = new Uint8Array(SK_BUFF_SIZE);
      if (ctxIn !== undefined) skb.set(ctxIn.subarray(0, Math.min(ctxIn.length, SK_BUFF_SIZE)));
      const dv = new DataView(skb.buffer);
      if (ctxIn !== undefined) {
        // wire_len defaults to, and may not be below, skb->len: the frame for tc, the frame
        // after its Ethernet header for the others.
        const wire = dv.getUint32(SkBuff.wire_len, true);
        if (wire !== 0 && wire < view.length) return { errno: Errno.EINVAL };
        if (wire === 0) dv.setUint32(SkBuff.wire_len, view.length, true);
      }
      dv.setUint32(SkBuff.len, view.length, true);
      dv.setUint32(SkBuff.pkt_type, packetType(data), true);
      dv.setUint16(SkBuff.protocol, (data[12]! << 8) | data[13]!, false);
      if (dv.getUint32(SkBuff.ifindex, true) === 0) dv.setUint32(SkBuff.ifindex, 1, true);
      // The socket the kernel's runner attaches takes its family and addresses from the frame:
      // remote = destination, local = source (ports stay 0).
      if (proto === 0x0800) {
        dv.setUint32(SkBuff.family, AF_INET, true);
        skb.set(data.subarray(30, 34), SkBuff.remote_ip4);
        skb.set(data.subarray(26, 30), SkBuff.local_ip4);
      } else if (proto === 0x86dd) {
        dv.setUint32(SkBuff.family, AF_INET6, true);
        skb.set(data.subarray(38, 54), SkBuff.remote_ip6);
        skb.set(data.subarray(22, 38), SkBuff.local_ip6);
      }
      const pktId = vm.memory.add('packet', view, Perm.RW);
      vm.packetRegion = pktId; // LD_ABS/LD_IND read skb->data
      // One socket per run, shared by its repetitions (the cookie helper keys on the ctx).
      const sk = dummySocket(vm, data);
      const pktPtr = (off: number): bigint => regionPtr(pktId, off);
      const ctxPtr = vm.memory.addRegion('ctx', skb, Perm.RW, {
        load(offset, size) {
          if (offset === SkBuff.sk && size === 8) return sk;
          if (size !== 4) return undefined;
          if (offset === SkBuff.data || (l2 && offset === SkBuff.data_meta)) return pktPtr(0);
          if (offset === SkBuff.data_end) return pktPtr(view.length);
          return undefined;
        },
        store(offset, size, value) {
          // Programs may write mark, priority, tc_index, cb[], tc_classid, tstamp, queue_mapping.
          const ok =
            (offset >= SkBuff.cb && offset + size <= SkBuff.cb + 20) ||
            offset === SkBuff.mark ||
            offset === SkBuff.priority ||
            offset === SkBuff.tc_index ||
            offset === SkBuff.tc_classid ||
            offset === SkBuff.queue_mapping ||
            offset === SkBuff.tstamp;
          if (!ok || offset + size > SK_BUFF_SIZE) return false;
          for (let i = 0; i < size; i++) skb[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
          return true;
        },
      });
      const { r0, duration } = runRepeated(env, prog, [ctxPtr], attr.repeat ?? 0);
      const out = l2 ? pkt : new Uint8Array(data.length);
      if (!l2) out.set(view, ETH_HLEN);
      const result: TestRunResult = { retval: r0, dataSizeOut: out.length, ctxSizeOut: 0, duration };
      let full = copyOut(attr.dataOut, out);
      if (attr.ctxOut !== undefined) {
        result.ctxSizeOut = SK_BUFF_SIZE;
        // Only the fields a ctx_in may set come back.
        const back = new Uint8Array(SK_BUFF_SIZE);
        for (const [o, n] of SKB_CTX_IN) back.set(skb.subarray(o, o + n), o);
        full = copyOut(attr.ctxOut, back) && full;
      }
      return full ? result : { errno: Errno.ENOSPC, result };
    }
    case ProgType.XDP: {
      const data = attr.dataIn;
      if (attr.flags || attr.cpu || attr.batchSize) return { errno: Errno.EINVAL };
      if (data === undefined || data.length < ETH_HLEN) return { errno: Errno.EINVAL };
      let meta = 0;
      const ctxIn = attr.ctxIn;
      if (ctxIn !== undefined) {
        if (ctxIn.length > XDP_MD_SIZE && ctxIn.subarray(XDP_MD_SIZE).some((b) => b !== 0))
          return { errno: Errno.E2BIG };
        const c = new Uint8Array(XDP_MD_SIZE);
        c.set(ctxIn.subarray(0, Math.min(ctxIn.length, XDP_MD_SIZE)));
        const cv = new DataView(c.buffer);
        const d = cv.getUint32(0, true);
        const end = cv.getUint32(4, true);
        if (cv.getUint32(8, true) !== 0 || end !== data.length || d > end || d > 32 || d % 4 !== 0) {
          return { errno: Errno.EINVAL };
        }
        if (cv.getUint32(20, true) !== 0) return { errno: Errno.EINVAL };
        if (cv.getUint32(12, true) !== 0) return { errno: Errno.ENODEV };
        if (cv.getUint32(16, true) !== 0) return { errno: Errno.EINVAL };
        meta = d;
      }
      // The program sees at most XDP_MAX_DATA bytes after the metadata; the rest of the frame
      // (the kernel's fragments) comes back unchanged.
      const frame = data.slice();
      const pkt = frame.subarray(0, Math.min(data.length, XDP_MAX_DATA + meta));
      const pktId = vm.memory.add('packet', pkt, Perm.RW);
      const pktPtr = (off: number): bigint => regionPtr(pktId, off);
      const md = new Uint8Array(XDP_MD_SIZE);
      const ctxPtr = vm.memory.addRegion('ctx', md, Perm.R, {
        load(offset, sz) {
          if (sz !== 4) return undefined;
          if (offset === 0) return pktPtr(meta);
          if (offset === 4) return pktPtr(pkt.length);
          if (offset === 8) return pktPtr(0);
          if (offset === 12) return 1n;
          return 0n;
        },
      });
      const { r0, duration } = runRepeated(env, prog, [ctxPtr], attr.repeat ?? 0);
      const out = frame;
      const result: TestRunResult = { retval: r0, dataSizeOut: out.length, ctxSizeOut: 0, duration };
      let full = copyOut(attr.dataOut, out);
      if (attr.ctxOut !== undefined) {
        const o = new Uint8Array(XDP_MD_SIZE);
        const ov = new DataView(o.buffer);
        if (ctxIn !== undefined) {
          ov.setUint32(0, meta, true);
          ov.setUint32(4, pkt.length, true);
        }
        result.ctxSizeOut = XDP_MD_SIZE;
        full = copyOut(attr.ctxOut, o) && full;
      }
      return full ? result : { errno: Errno.ENOSPC, result };
    }
    case ProgType.RAW_TRACEPOINT:
      return rawTracepointRun(env, prog, attr);
    case ProgType.FLOW_DISSECTOR:
      return flowDissectorRun(env, prog, attr);
    case ProgType.NETFILTER:
      return netfilterRun(env, prog, attr);
    case ProgType.SK_LOOKUP:
      return skLookupRun(env, prog, attr);
    default:
      // kprobe, tracepoint, perf_event, cgroup sock/sock_addr/sockopt/sysctl/device, sock_ops,
      // sk_skb, sk_msg, sk_reuseport, writable raw tracepoints, lwt_seg6local: no test runner.
      return { errno: Errno.ENOTSUPP };
  }
}

/** Runs once; a ctx read past what the caller gave is EINVAL (the kernel checks max_ctx_offset). */
function runOnce(env: RunEnv, prog: Prog, args: bigint[]): number | RunFailure {
  let r: { r0: bigint };
  try {
    r = env.vm.run(prog.image, args);
  } catch (e) {
    if (e instanceof EngineFault && (e.kind === 'out_of_bounds' || e.kind === 'null'))
      return { errno: Errno.EINVAL };
    throw e;
  }
  prog.runCnt += 1n;
  return Number(r.r0 & 0xffffffffn);
}

/** Raw tracepoints (`bpf_prog_test_run_raw_tp`): ctx_in is up to 12 u64 arguments; nothing else. */
const RAW_TP_MAX_CTX = 8 * 12;
function rawTracepointRun(env: RunEnv, prog: Prog, attr: TestRunAttr): TestRunResult | RunFailure {
  if (attr.dataIn || attr.dataOut || attr.ctxOut || attr.repeat || attr.batchSize)
    return { errno: Errno.EINVAL };
  if ((attr.flags ?? 0) & ~1 || (!(attr.flags ?? 0) && attr.cpu)) return { errno: Errno.EINVAL };
  const ctxIn = attr.ctxIn ?? new Uint8Array(0);
  if (ctxIn.length > RAW_TP_MAX_CTX) return { errno: Errno.EINVAL };
  const ctx = ctxIn.slice();
  const args = ctx.length > 0 ? [env.vm.memory.addRegion('ctx', ctx, Perm.R)] : [0n];
  const r0 = runOnce(env, prog, args);
  if (typeof r0 !== 'number') return r0;
  return { retval: r0, dataSizeOut: 0, ctxSizeOut: 0, duration: 0 };
}

/** Size of `struct bpf_flow_keys`. */
export const FLOW_KEYS_SIZE = 56;

/**
 * Flow dissectors (`bpf_prog_test_run_flow_dissector`): the frame (>= 14 bytes) as a `__sk_buff`
 * with data/data_end over the whole frame; the flow keys start with nhoff = thoff = 14 and n_proto
 * from the Ethernet header, and are the data out.
 */
function flowDissectorRun(env: RunEnv, prog: Prog, attr: TestRunAttr): TestRunResult | RunFailure {
  if (attr.flags || attr.cpu || attr.batchSize) return { errno: Errno.EINVAL };
  const data = attr.dataIn;
  if (data === undefined || data.length < ETH_HLEN) return { errno: Errno.EINVAL };
  const vm = env.vm;
  const pkt = data.slice();
  const pktId = vm.memory.add('packet', pkt, Perm.R);
  const keys = new Uint8Array(FLOW_KEYS_SIZE);
  const kv = new DataView(keys.buffer);
  kv.setUint16(0, ETH_HLEN, true);
  kv.setUint16(2, ETH_HLEN, true);
  keys[10] = data[12]!;
  keys[11] = data[13]!;
  const skb = new Uint8Array(SK_BUFF_SIZE);
  const ctxPtr = vm.memory.addRegion('ctx', skb, Perm.R, {
    load(offset, size) {
      if (size === 4 && offset === SkBuff.data) return regionPtr(pktId, 0);
      if (size === 4 && offset === SkBuff.data_end) return regionPtr(pktId, pkt.length);
      return undefined;
    },
  });
  const { r0, duration } = runRepeated(env, prog, [ctxPtr], attr.repeat ?? 0);
  const result: TestRunResult = { retval: r0, dataSizeOut: FLOW_KEYS_SIZE, ctxSizeOut: 0, duration };
  return copyOut(attr.dataOut, keys) ? result : { errno: Errno.ENOSPC, result };
}

/** Netfilter (`bpf_prog_test_run_nf`): 20 to 3712 bytes of data; no ctx, no flags, no data out. */
function netfilterRun(env: RunEnv, prog: Prog, attr: TestRunAttr): TestRunResult | RunFailure {
  if (attr.flags || attr.cpu || attr.batchSize || attr.ctxIn || attr.ctxOut) return { errno: Errno.EINVAL };
  const data = attr.dataIn;
  if (data === undefined || data.length < 20 || data.length > SKB_MAX_DATA) return { errno: Errno.EINVAL };
  // struct bpf_nf_ctx holds two kernel pointers the machine's verifier does not let programs read.
  const ctx = new Uint8Array(16);
  const ctxPtr = env.vm.memory.addRegion('ctx', ctx, Perm.R);
  const { r0, duration } = runRepeated(env, prog, [ctxPtr], attr.repeat ?? 0);
  return { retval: r0, dataSizeOut: 0, ctxSizeOut: 0, duration };
}

/** Size of `struct bpf_sk_lookup` (with its tail padding). */
export const SK_LOOKUP_SIZE = 72;

/**
 * sk_lookup (`bpf_prog_test_run_sk_lookup`): ctx_in is a `struct bpf_sk_lookup` with a zero
 * cookie and an AF_INET/AF_INET6 family (EAFNOSUPPORT otherwise); no data. ctx_out gives the
 * struct back (no socket selected: cookie 0).
 */
function skLookupRun(env: RunEnv, prog: Prog, attr: TestRunAttr): TestRunResult | RunFailure {
  if (attr.dataIn || attr.dataOut || attr.flags || attr.cpu || attr.batchSize) return { errno: Errno.EINVAL };
  const ctxIn = attr.ctxIn;
  if (ctxIn === undefined) return { errno: Errno.EINVAL };
  if (ctxIn.length > SK_LOOKUP_SIZE && ctxIn.subarray(SK_LOOKUP_SIZE).some((b) => b !== 0))
    return { errno: Errno.E2BIG };
  const ctx = new Uint8Array(SK_LOOKUP_SIZE);
  ctx.set(ctxIn.subarray(0, Math.min(ctxIn.length, SK_LOOKUP_SIZE)));
  if (ctx.subarray(0, 8).some((b) => b !== 0)) return { errno: Errno.EINVAL };
  const family = new DataView(ctx.buffer).getUint32(8, true);
  if (family !== AF_INET && family !== AF_INET6) return { errno: Errno.EAFNOSUPPORT };
  const ctxPtr = env.vm.memory.addRegion('ctx', ctx, Perm.R);
  const { r0, duration } = runRepeated(env, prog, [ctxPtr], attr.repeat ?? 0);
  const result: TestRunResult = { retval: r0, dataSizeOut: 0, ctxSizeOut: 0, duration };
  if (attr.ctxOut === undefined) return result;
  result.ctxSizeOut = SK_LOOKUP_SIZE;
  return copyOut(attr.ctxOut, ctx) ? result : { errno: Errno.ENOSPC, result };
}
