/**
 * Program-type programs loaded into the kernel and into the machine (test/verifier/progtypes.test.ts):
 * for every program type the machine loads (and the BTF-attached ones it refuses), small programs
 * that read and write each ctx offset and size, return values around the type's range, helpers
 * by type, direct packet access, attach types, sleepable flags, BTF ids; plus test runs. The
 * kernel's answers are recorded in progtypes-kernel.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { TestRunAttr } from '../../src/uapi/attrs.js';
import { AttachType as A, ProgFlag, ProgType as T } from '../../src/uapi/constants.js';
import { errorLine } from './harness.js';

/** One program to load. */
export interface PtProgram {
  name: string;
  progType: number;
  attachType: number;
  insns: Insn[];
  license?: string;
  flags?: number;
  attachBtfId?: number;
}

/** One test run: a program and the run's input. */
export interface PtRun {
  name: string;
  prog: PtProgram;
  attr: Omit<TestRunAttr, 'progFd'>;
}

const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
const i = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});
/** r0 = imm; exit. */
const RET = (imm: number): Insn[] => [i(0xb7, 0, 0, 0, imm), i(0x95, 0, 0, 0, 0)];
const ldx = (size: number, dst: number, src: number, off: number): Insn =>
  i(0x61 | SIZE_BITS[size]!, dst, src, off, 0);
const stx = (size: number, dst: number, src: number, off: number): Insn =>
  i(0x63 | SIZE_BITS[size]!, dst, src, off, 0);

/** A program-type configuration: type, attach type, the ctx bytes to sweep, a value it may return. */
interface Config {
  tag: string;
  progType: number;
  attachType: number;
  /** Sweep offsets [0, sweep). 0: no sweep (same table as another config). */
  sweep: number;
  ret: number;
  /** Packet pointers: data and data_end ctx offsets and load size. */
  pkt?: { data: number; end: number; size: number };
}

const SKB_PKT = { data: 76, end: 80, size: 4 };

/** Every configuration the machine loads, as the kernel sees it. */
export const CONFIGS: readonly Config[] = [
  { tag: 'kprobe', progType: T.KPROBE, attachType: 0, sweep: 176, ret: 0 },
  { tag: 'kprobe_multi', progType: T.KPROBE, attachType: A.TRACE_KPROBE_MULTI, sweep: 0, ret: 0 },
  { tag: 'tracepoint', progType: T.TRACEPOINT, attachType: 0, sweep: 72, ret: 0 },
  { tag: 'perf_event', progType: T.PERF_EVENT, attachType: 0, sweep: 192, ret: 0 },
  { tag: 'raw_tp', progType: T.RAW_TRACEPOINT, attachType: 0, sweep: 104, ret: 0 },
  { tag: 'raw_tp_w', progType: T.RAW_TRACEPOINT_WRITABLE, attachType: 0, sweep: 104, ret: 0 },
  {
    tag: 'cgskb_in',
    progType: T.CGROUP_SKB,
    attachType: A.CGROUP_INET_INGRESS,
    sweep: 200,
    ret: 1,
    pkt: SKB_PKT,
  },
  {
    tag: 'cgskb_eg',
    progType: T.CGROUP_SKB,
    attachType: A.CGROUP_INET_EGRESS,
    sweep: 0,
    ret: 1,
    pkt: SKB_PKT,
  },
  { tag: 'cgsock_create', progType: T.CGROUP_SOCK, attachType: A.CGROUP_INET_SOCK_CREATE, sweep: 88, ret: 1 },
  {
    tag: 'cgsock_release',
    progType: T.CGROUP_SOCK,
    attachType: A.CGROUP_INET_SOCK_RELEASE,
    sweep: 0,
    ret: 1,
  },
  { tag: 'cgsock_pb4', progType: T.CGROUP_SOCK, attachType: A.CGROUP_INET4_POST_BIND, sweep: 88, ret: 1 },
  { tag: 'cgsock_pb6', progType: T.CGROUP_SOCK, attachType: A.CGROUP_INET6_POST_BIND, sweep: 88, ret: 1 },
  { tag: 'lwt_in', progType: T.LWT_IN, attachType: 0, sweep: 200, ret: 0, pkt: SKB_PKT },
  { tag: 'lwt_out', progType: T.LWT_OUT, attachType: 0, sweep: 0, ret: 0, pkt: SKB_PKT },
  { tag: 'lwt_xmit', progType: T.LWT_XMIT, attachType: 0, sweep: 0, ret: 0, pkt: SKB_PKT },
  { tag: 'lwt_seg6', progType: T.LWT_SEG6LOCAL, attachType: 0, sweep: 0, ret: 0, pkt: SKB_PKT },
  {
    tag: 'sock_ops',
    progType: T.SOCK_OPS,
    attachType: 0,
    sweep: 232,
    ret: 1,
    pkt: { data: 192, end: 200, size: 8 },
  },
  { tag: 'sk_skb', progType: T.SK_SKB, attachType: 0, sweep: 200, ret: 0, pkt: SKB_PKT },
  { tag: 'sk_skb_parser', progType: T.SK_SKB, attachType: A.SK_SKB_STREAM_PARSER, sweep: 0, ret: 0 },
  { tag: 'cgdev', progType: T.CGROUP_DEVICE, attachType: 0, sweep: 20, ret: 1 },
  { tag: 'sk_msg', progType: T.SK_MSG, attachType: 0, sweep: 88, ret: 1, pkt: { data: 0, end: 8, size: 8 } },
  { tag: 'connect4', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_INET4_CONNECT, sweep: 80, ret: 1 },
  { tag: 'bind4', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_INET4_BIND, sweep: 0, ret: 1 },
  { tag: 'recvmsg4', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UDP4_RECVMSG, sweep: 0, ret: 1 },
  {
    tag: 'getpeername4',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_INET4_GETPEERNAME,
    sweep: 0,
    ret: 1,
  },
  {
    tag: 'getsockname4',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_INET4_GETSOCKNAME,
    sweep: 0,
    ret: 1,
  },
  { tag: 'connect6', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_INET6_CONNECT, sweep: 80, ret: 1 },
  { tag: 'bind6', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_INET6_BIND, sweep: 0, ret: 1 },
  { tag: 'recvmsg6', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UDP6_RECVMSG, sweep: 0, ret: 1 },
  {
    tag: 'getpeername6',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_INET6_GETPEERNAME,
    sweep: 0,
    ret: 1,
  },
  {
    tag: 'getsockname6',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_INET6_GETSOCKNAME,
    sweep: 0,
    ret: 1,
  },
  { tag: 'sendmsg4', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UDP4_SENDMSG, sweep: 80, ret: 1 },
  { tag: 'sendmsg6', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UDP6_SENDMSG, sweep: 80, ret: 1 },
  { tag: 'unix_connect', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UNIX_CONNECT, sweep: 80, ret: 1 },
  { tag: 'unix_sendmsg', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UNIX_SENDMSG, sweep: 0, ret: 1 },
  { tag: 'unix_recvmsg', progType: T.CGROUP_SOCK_ADDR, attachType: A.CGROUP_UNIX_RECVMSG, sweep: 0, ret: 1 },
  {
    tag: 'unix_getpeername',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_UNIX_GETPEERNAME,
    sweep: 0,
    ret: 1,
  },
  {
    tag: 'unix_getsockname',
    progType: T.CGROUP_SOCK_ADDR,
    attachType: A.CGROUP_UNIX_GETSOCKNAME,
    sweep: 0,
    ret: 1,
  },
  {
    tag: 'reuseport',
    progType: T.SK_REUSEPORT,
    attachType: 0,
    sweep: 64,
    ret: 0,
    pkt: { data: 0, end: 8, size: 8 },
  },
  {
    tag: 'reuseport_migrate',
    progType: T.SK_REUSEPORT,
    attachType: A.SK_REUSEPORT_SELECT_OR_MIGRATE,
    sweep: 0,
    ret: 0,
  },
  { tag: 'flow_dissector', progType: T.FLOW_DISSECTOR, attachType: 0, sweep: 200, ret: 0, pkt: SKB_PKT },
  { tag: 'sysctl', progType: T.CGROUP_SYSCTL, attachType: 0, sweep: 16, ret: 1 },
  {
    tag: 'getsockopt',
    progType: T.CGROUP_SOCKOPT,
    attachType: A.CGROUP_GETSOCKOPT,
    sweep: 48,
    ret: 1,
    pkt: { data: 8, end: 16, size: 8 },
  },
  {
    tag: 'setsockopt',
    progType: T.CGROUP_SOCKOPT,
    attachType: A.CGROUP_SETSOCKOPT,
    sweep: 48,
    ret: 1,
    pkt: { data: 8, end: 16, size: 8 },
  },
  { tag: 'sk_lookup', progType: T.SK_LOOKUP, attachType: A.SK_LOOKUP, sweep: 80, ret: 1 },
  { tag: 'netfilter', progType: T.NETFILTER, attachType: A.NETFILTER, sweep: 24, ret: 1 },
];

function prog(c: Config, name: string, insns: Insn[], extra: Partial<PtProgram> = {}): PtProgram {
  return { name: `${c.tag}/${name}`, progType: c.progType, attachType: c.attachType, insns, ...extra };
}

/** ctx reads and writes at every aligned offset of the sweep (writes of 1 and 2 bytes on 4-byte boundaries). */
function ctxSweep(c: Config): PtProgram[] {
  const out: PtProgram[] = [];
  for (let off = 0; off < c.sweep; off++) {
    for (const size of [1, 2, 4, 8]) {
      if (off % size !== 0) continue;
      out.push(prog(c, `r${size}@${off}`, [ldx(size, 2, 1, off), ...RET(c.ret)]));
      if (size >= 4 || off % 4 === 0)
        out.push(prog(c, `w${size}@${off}`, [i(0xb7, 2, 0, 0, 0), stx(size, 1, 2, off), ...RET(c.ret)]));
    }
  }
  if (c.progType === T.TRACEPOINT) {
    for (const off of [4096, 8184, 8188, 8190, 8191, 8192])
      out.push(prog(c, `r1@${off}`, [ldx(1, 2, 1, off), ...RET(c.ret)]));
    out.push(prog(c, 'r8@8184', [ldx(8, 2, 1, 8184), ...RET(c.ret)]));
    for (const [off, size] of [
      [-8, 8],
      [-1, 1],
      [-2, 2],
      [-6, 4],
      [-32768, 8],
    ] as const)
      out.push(prog(c, `r${size}@${off}`, [ldx(size, 2, 1, off), ...RET(c.ret)]));
    out.push(prog(c, 'w4@-4', [i(0xb7, 2, 0, 0, 0), stx(4, 1, 2, -4), ...RET(c.ret)]));
  }
  // Misaligned, negative.
  out.push(prog(c, 'r4@-4', [ldx(4, 2, 1, -4), ...RET(c.ret)]));
  out.push(prog(c, 'r4@13', [ldx(4, 2, 1, 13), ...RET(c.ret)]));
  out.push(prog(c, 'r8@12', [ldx(8, 2, 1, 12), ...RET(c.ret)]));
  return out;
}

/** Return values around the type's range, an unknown scalar, the ctx pointer, a 32-bit -1. */
function returns(c: Config): PtProgram[] {
  const out: PtProgram[] = [];
  for (const v of [-1, 0, 1, 2, 3, 4]) out.push(prog(c, `ret${v}`, RET(v)));
  out.push(prog(c, 'ret_w-1', [i(0xb4, 0, 0, 0, -1), i(0x95, 0, 0, 0, 0)]));
  out.push(prog(c, 'ret_rand', [i(0x85, 0, 0, 0, 7), i(0x95, 0, 0, 0, 0)]));
  out.push(prog(c, 'ret_rand&1', [i(0x85, 0, 0, 0, 7), i(0x57, 0, 0, 0, 1), i(0x95, 0, 0, 0, 0)]));
  out.push(prog(c, 'ret_rand&3', [i(0x85, 0, 0, 0, 7), i(0x57, 0, 0, 0, 3), i(0x95, 0, 0, 0, 0)]));
  out.push(prog(c, 'ret_ctx', [i(0xbf, 0, 1, 0, 0), i(0x95, 0, 0, 0, 0)]));
  return out;
}

/** Helpers: no-argument ones every type has, probe_read (tracing), syscall-only ones, an unknown id. */
function helpers(c: Config): PtProgram[] {
  const out: PtProgram[] = [];
  for (const h of [5, 7, 8, 14, 15, 125]) out.push(prog(c, `call${h}`, [i(0x85, 0, 0, 0, h), ...RET(c.ret)]));
  // get_current_comm(buf, 16)
  out.push(
    prog(c, 'call16', [
      i(0xbf, 1, 10, 0, 0),
      i(0x07, 1, 0, 0, -16),
      i(0xb7, 2, 0, 0, 16),
      i(0x85, 0, 0, 0, 16),
      ...RET(c.ret),
    ]),
  );
  // probe_read_kernel(buf, 8, 0), GPL and not
  const pr = [
    i(0xbf, 1, 10, 0, 0),
    i(0x07, 1, 0, 0, -8),
    i(0xb7, 2, 0, 0, 8),
    i(0xb7, 3, 0, 0, 0),
    i(0x85, 0, 0, 0, 113),
    ...RET(c.ret),
  ];
  out.push(prog(c, 'call113', pr));
  out.push(prog(c, 'call113_mit', pr, { license: 'MIT' }));
  for (const h of [166, 168, 212, 100000])
    out.push(prog(c, `call${h}`, [i(0xb7, 1, 0, 0, 0), i(0x85, 0, 0, 0, h), ...RET(c.ret)]));
  return out;
}

/** Direct packet access: a bounds-checked read and write, an unchecked read. */
function packet(c: Config): PtProgram[] {
  const p = c.pkt;
  if (p === undefined) return [];
  const head = [
    ldx(p.size, 2, 1, p.data),
    ldx(p.size, 3, 1, p.end),
    i(0xbf, 4, 2, 0, 0),
    i(0x07, 4, 0, 0, 1),
  ];
  // if r4 > r3 goto exit
  const checked = (body: Insn[]): Insn[] => [...head, i(0x2d, 4, 3, body.length, 0), ...body, ...RET(c.ret)];
  return [
    prog(c, 'pkt_read', checked([ldx(1, 5, 2, 0)])),
    prog(c, 'pkt_write', checked([i(0xb7, 5, 0, 0, 0), stx(1, 2, 5, 0)])),
    prog(c, 'pkt_unchecked', [...head, ldx(1, 5, 2, 0), ...RET(c.ret)]),
    prog(c, 'pkt_past', checked([ldx(1, 5, 2, 1)])),
  ];
}

/** Every type (0..33) at every attach type (0..57): `r0 = 1; exit`. */
function attachMatrix(): PtProgram[] {
  const out: PtProgram[] = [];
  for (let t = 0; t <= 33; t++) {
    for (let a = 0; a <= 57; a++) {
      const sleepable = t === T.SYSCALL;
      out.push({
        name: `attach/${t}/${a}`,
        progType: t,
        attachType: a,
        insns: RET(1),
        ...(sleepable ? { flags: ProgFlag.SLEEPABLE } : {}),
      });
    }
  }
  return out;
}

/** Sleepable flag per type and BTF-attached types with and without attach_btf_id. */
function special(): PtProgram[] {
  const out: PtProgram[] = [];
  for (let t = 1; t <= 32; t++) {
    const c = CONFIGS.find((x) => x.progType === t);
    out.push({
      name: `sleepable/${t}`,
      progType: t,
      attachType: c?.attachType ?? 0,
      insns: RET(c?.ret ?? 0),
      flags: ProgFlag.SLEEPABLE,
    });
  }
  for (const a of [A.TRACE_RAW_TP, A.TRACE_FENTRY, A.TRACE_FEXIT, A.MODIFY_RETURN, A.TRACE_ITER]) {
    for (const id of [0, 1, 999999])
      out.push({
        name: `tracing/${a}/btf${id}`,
        progType: T.TRACING,
        attachType: a,
        insns: RET(0),
        attachBtfId: id,
      });
  }
  out.push({
    name: 'tracing/iter/sleepable',
    progType: T.TRACING,
    attachType: A.TRACE_ITER,
    insns: RET(0),
    flags: ProgFlag.SLEEPABLE,
  });
  for (const a of [A.LSM_MAC, A.LSM_CGROUP, 0])
    out.push({ name: `lsm/${a}`, progType: T.LSM, attachType: a, insns: RET(0) });
  out.push({ name: 'ext/0', progType: T.EXT, attachType: 0, insns: RET(0) });
  out.push({ name: 'struct_ops/gpl', progType: T.STRUCT_OPS, attachType: 0, insns: RET(0) });
  out.push({ name: 'struct_ops/mit', progType: T.STRUCT_OPS, attachType: 0, insns: RET(0), license: 'MIT' });
  out.push({ name: 'struct_ops/btf1', progType: T.STRUCT_OPS, attachType: 0, insns: RET(0), attachBtfId: 1 });
  out.push({ name: 'kprobe/btf5', progType: T.KPROBE, attachType: 0, insns: RET(0), attachBtfId: 5 });
  out.push({
    name: 'xdp/devmap/egress_ifindex',
    progType: T.XDP,
    attachType: A.XDP_DEVMAP,
    insns: [ldx(4, 2, 1, 20), ...RET(0)],
  });
  out.push({
    name: 'xdp/0/egress_ifindex',
    progType: T.XDP,
    attachType: 0,
    insns: [ldx(4, 2, 1, 20), ...RET(0)],
  });
  return out;
}

/** All the load programs. */
export function ptPrograms(): PtProgram[] {
  const out: PtProgram[] = [];
  for (const c of CONFIGS) {
    if (c.sweep > 0) out.push(...ctxSweep(c));
    out.push(...returns(c), ...helpers(c), ...packet(c), ...sockPtr(c));
  }
  out.push(...attachMatrix(), ...special());
  return out;
}

const eth = (n: number, proto = 0x0800): Uint8Array => {
  const d = new Uint8Array(n);
  d[12] = proto >> 8;
  d[13] = proto & 0xff;
  for (let k = 14; k < n; k++) d[k] = k & 0xff;
  return d;
};

/** Offset of the ctx's `struct bpf_sock *` field (an 8-byte load) by configuration. */
const SK_FIELD: Record<string, number> = {
  cgskb_in: 168,
  lwt_in: 168,
  sk_skb: 168,
  sock_ops: 184,
  sk_msg: 72,
  connect4: 64,
  connect6: 64,
  sendmsg4: 64,
  sendmsg6: 64,
  unix_connect: 64,
  recvmsg4: 64,
  reuseport: 40,
  reuseport_migrate: 48,
  getsockopt: 0,
  setsockopt: 0,
  sk_lookup: 0,
};

/** Socket pointers from the ctx: a null-checked read of sk->family, an unchecked one, a write, bad offsets. */
function sockPtr(c: Config): PtProgram[] {
  const off = SK_FIELD[c.tag];
  if (off === undefined) return [];
  const load = ldx(8, 2, 1, off);
  const checked = (body: Insn[]): Insn[] => [load, i(0x15, 2, 0, body.length, 0), ...body, ...RET(c.ret)];
  return [
    prog(c, 'sk_family', checked([ldx(4, 3, 2, 4)])),
    prog(c, 'sk_unchecked', [load, ldx(4, 3, 2, 4), ...RET(c.ret)]),
    prog(c, 'sk_write', checked([i(0xb7, 3, 0, 0, 0), stx(4, 2, 3, 4)])),
    prog(c, 'sk_state', checked([ldx(4, 3, 2, 72)])),
    prog(c, 'sk_past', checked([ldx(4, 3, 2, 80)])),
    prog(c, 'sk_arith', checked([i(0x07, 2, 0, 0, 4)])),
  ];
}

/** Test runs: programs that read their ctx and packet, with good and bad inputs. */
export function ptRuns(): PtRun[] {
  const out: PtRun[] = [];
  const byTag = (tag: string): Config => CONFIGS.find((c) => c.tag === tag)!;
  // r0 = len + (data_end - data) * 65536 for skb types (with a bounds-checked first byte added)
  const skbProg = (c: Config): PtProgram =>
    prog(c, 'run_skb', [
      ldx(4, 6, 1, 0),
      ldx(4, 2, 1, 76),
      ldx(4, 3, 1, 80),
      i(0xbf, 0, 3, 0, 0),
      i(0x1f, 0, 2, 0, 0),
      i(0x67, 0, 0, 0, 16),
      i(0x0f, 0, 6, 0, 0),
      i(0xbf, 4, 2, 0, 0),
      i(0x07, 4, 0, 0, 1),
      i(0x2d, 4, 3, 2, 0),
      ldx(1, 5, 2, 0),
      i(0x0f, 0, 5, 0, 0),
      i(0x57, 0, 0, 0, c.progType === T.CGROUP_SKB ? 1 : -1),
      i(0x95, 0, 0, 0, 0),
    ]);
  for (const tag of ['cgskb_in', 'cgskb_eg', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6']) {
    const c = byTag(tag);
    const p = skbProg(c);
    out.push({ name: `${tag}/data64`, prog: p, attr: { dataIn: eth(64), dataOut: new Uint8Array(64) } });
    out.push({ name: `${tag}/data14`, prog: p, attr: { dataIn: eth(14) } });
    out.push({ name: `${tag}/data13`, prog: p, attr: { dataIn: eth(13) } });
    out.push({ name: `${tag}/none`, prog: p, attr: {} });
    out.push({
      name: `${tag}/ctx`,
      prog: p,
      attr: { dataIn: eth(64), ctxIn: new Uint8Array(192), ctxOut: new Uint8Array(192) },
    });
    out.push({ name: `${tag}/repeat`, prog: p, attr: { dataIn: eth(100), repeat: 3 } });
    out.push({ name: `${tag}/short_out`, prog: p, attr: { dataIn: eth(64), dataOut: new Uint8Array(10) } });
  }
  // The socket fields test_run fills from the frame (family, addresses, ports), copied by a
  // cgroup_skb program into cb[], which comes back in ctx_out.
  const fields = [88, 92, 96, 100, 112, 116, 128, 132, 136, 68, 84];
  for (const [name, proto, len] of [
    ['ipv4', 0x0800, 64],
    ['ipv6', 0x86dd, 80],
    ['other', 0x1234, 64],
  ] as const) {
    for (let k = 0; k < fields.length; k += 5) {
      const chunk = fields.slice(k, k + 5);
      const body = chunk.flatMap((off, j) => [ldx(4, 2, 1, off), stx(4, 1, 2, 48 + 4 * j)]);
      out.push({
        name: `cgskb_in/fields${k}_${name}`,
        prog: prog(byTag('cgskb_in'), `run_fields${k}`, [...body, ...RET(1)]),
        attr: { dataIn: eth(len, proto), ctxIn: new Uint8Array(192), ctxOut: new Uint8Array(192) },
      });
    }
  }
  // The skb runner for the types loaded before (socket filter, tc): ctx_out and wire_len.
  for (const [tag, t] of [
    ['socket', T.SOCKET_FILTER],
    ['sched_cls', T.SCHED_CLS],
    ['sched_act', T.SCHED_ACT],
  ] as const) {
    const c: Config = { tag, progType: t, attachType: 0, sweep: 0, ret: 0 };
    const p = prog(c, 'run_len', [ldx(4, 0, 1, 0), i(0x95, 0, 0, 0, 0)]);
    const wire = (w: number): Uint8Array => {
      const b = new Uint8Array(192);
      new DataView(b.buffer).setUint32(160, w, true);
      return b;
    };
    for (const w of [0, 49, 50, 64]) {
      out.push({
        name: `${tag}/wire${w}`,
        prog: p,
        attr: { dataIn: eth(64), ctxIn: wire(w), ctxOut: new Uint8Array(192) },
      });
    }
    out.push({ name: `${tag}/ipv4_33`, prog: p, attr: { dataIn: eth(33) } });
    out.push({ name: `${tag}/ipv6_53`, prog: p, attr: { dataIn: eth(53, 0x86dd) } });
    out.push({
      name: `${tag}/ipv6_54`,
      prog: p,
      attr: { dataIn: eth(54, 0x86dd), dataOut: new Uint8Array(54) },
    });
  }
  const rt = byTag('raw_tp');
  const rawProg = prog(rt, 'run_raw', [
    ldx(8, 0, 1, 0),
    ldx(8, 2, 1, 8),
    i(0x0f, 0, 2, 0, 0),
    i(0x95, 0, 0, 0, 0),
  ]);
  const args = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k += 8) b[k] = k + 3;
    return b;
  };
  for (const n of [16, 96]) out.push({ name: `raw_tp/ctx${n}`, prog: rawProg, attr: { ctxIn: args(n) } });
  out.push({ name: 'raw_tp/ctx104', prog: rawProg, attr: { ctxIn: args(104) } });
  out.push({ name: 'raw_tp/data', prog: rawProg, attr: { ctxIn: args(16), dataIn: eth(14) } });
  out.push({ name: 'raw_tp/repeat', prog: rawProg, attr: { ctxIn: args(16), repeat: 2 } });
  out.push({ name: 'raw_tp/ctxout', prog: rawProg, attr: { ctxIn: args(16), ctxOut: new Uint8Array(16) } });
  out.push({ name: 'raw_tp/cpu', prog: rawProg, attr: { ctxIn: args(16), cpu: 1 } });
  const ret1 = prog(rt, 'run_ret7', RET(7));
  out.push({ name: 'raw_tp/none', prog: ret1, attr: {} });
  const fd = byTag('flow_dissector');
  const fdProg = prog(fd, 'run_fd', [
    ldx(4, 2, 1, 76),
    ldx(4, 3, 1, 80),
    i(0xbf, 0, 3, 0, 0),
    i(0x1f, 0, 2, 0, 0),
    i(0x95, 0, 0, 0, 0),
  ]);
  out.push({
    name: 'flow_dissector/ip',
    prog: fdProg,
    attr: { dataIn: eth(64), dataOut: new Uint8Array(64) },
  });
  out.push({
    name: 'flow_dissector/ipv6',
    prog: fdProg,
    attr: { dataIn: eth(80, 0x86dd), dataOut: new Uint8Array(56) },
  });
  out.push({ name: 'flow_dissector/14', prog: fdProg, attr: { dataIn: eth(14) } });
  out.push({ name: 'flow_dissector/13', prog: fdProg, attr: { dataIn: eth(13) } });
  out.push({ name: 'flow_dissector/flags', prog: fdProg, attr: { dataIn: eth(64), flags: 1 } });
  out.push({
    name: 'flow_dissector/short_out',
    prog: fdProg,
    attr: { dataIn: eth(64), dataOut: new Uint8Array(8) },
  });
  const nf = byTag('netfilter');
  const nfProg = prog(nf, 'run_nf', RET(1));
  for (const n of [19, 20, 64, 3712, 3713])
    out.push({ name: `netfilter/${n}`, prog: nfProg, attr: { dataIn: eth(n) } });
  out.push({ name: 'netfilter/ctx', prog: nfProg, attr: { dataIn: eth(64), ctxIn: new Uint8Array(16) } });
  out.push({ name: 'netfilter/out', prog: nfProg, attr: { dataIn: eth(64), dataOut: new Uint8Array(64) } });
  const sl = byTag('sk_lookup');
  // r0 = family == AF_INET6 ? 0 : 1 (reads family and protocol)
  const slProg = prog(sl, 'run_sl', [
    ldx(4, 2, 1, 8),
    ldx(4, 3, 1, 12),
    i(0xb7, 0, 0, 0, 1),
    i(0x55, 2, 0, 1, 10),
    i(0xb7, 0, 0, 0, 0),
    i(0x95, 0, 0, 0, 0),
  ]);
  const slCtx = (family: number, proto: number, len = 72, cookie = 0): Uint8Array => {
    const b = new Uint8Array(len);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, cookie, true);
    dv.setUint32(8, family, true);
    dv.setUint32(12, proto, true);
    dv.setUint32(16, 0x0100007f, true);
    return b;
  };
  out.push({
    name: 'sk_lookup/inet',
    prog: slProg,
    attr: { ctxIn: slCtx(2, 6), ctxOut: new Uint8Array(72) },
  });
  out.push({ name: 'sk_lookup/inet6', prog: slProg, attr: { ctxIn: slCtx(10, 17) } });
  out.push({ name: 'sk_lookup/fam0', prog: slProg, attr: { ctxIn: slCtx(0, 6) } });
  out.push({ name: 'sk_lookup/cookie', prog: slProg, attr: { ctxIn: slCtx(2, 6, 72, 1) } });
  out.push({ name: 'sk_lookup/none', prog: slProg, attr: {} });
  out.push({ name: 'sk_lookup/data', prog: slProg, attr: { ctxIn: slCtx(2, 6), dataIn: eth(14) } });
  out.push({ name: 'sk_lookup/long', prog: slProg, attr: { ctxIn: slCtx(2, 6, 80) } });
  // Types without a test runner.
  for (const tag of [
    'kprobe',
    'tracepoint',
    'perf_event',
    'raw_tp_w',
    'cgsock_create',
    'connect4',
    'sock_ops',
    'sk_skb',
    'cgdev',
    'sk_msg',
    'reuseport',
    'sysctl',
    'getsockopt',
  ]) {
    const c = byTag(tag);
    out.push({ name: `${tag}/run`, prog: prog(c, 'run_ret', RET(c.ret)), attr: { dataIn: eth(64) } });
  }
  return out;
}

/** One load answer: 'accepted', or `ERRNO|error line`. */
export type LoadAnswer = string;

/** Loads `p` through `b` (log level 1) and says what happened. */
export function loadAnswer(b: Backend, p: PtProgram): LoadAnswer {
  try {
    const fd = b.progLoad({
      progType: p.progType,
      insns: encode(p.insns),
      license: p.license ?? 'GPL',
      logLevel: 1,
      expectedAttachType: p.attachType,
      ...(p.flags !== undefined ? { progFlags: p.flags } : {}),
      ...(p.attachBtfId !== undefined ? { attachBtfId: p.attachBtfId } : {}),
    });
    fd.close();
    return 'accepted';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}|${e instanceof VerifierError ? errorLine(e.lines) : ''}`;
  }
}

const hex = (b: Uint8Array | undefined): string => {
  if (b === undefined) return '';
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
};

/** Runs `r` through `b`: retval, sizes, data out and ctx out, or the errno. */
export function runAnswer(b: Backend, r: PtRun): string {
  const fd = b.progLoad({
    progType: r.prog.progType,
    insns: encode(r.prog.insns),
    license: 'GPL',
    expectedAttachType: r.prog.attachType,
  });
  try {
    const attr = {
      ...r.attr,
      ...(r.attr.dataIn ? { dataIn: r.attr.dataIn.slice() } : {}),
      ...(r.attr.ctxIn ? { ctxIn: r.attr.ctxIn.slice() } : {}),
      ...(r.attr.dataOut ? { dataOut: new Uint8Array(r.attr.dataOut.length) } : {}),
      ...(r.attr.ctxOut ? { ctxOut: new Uint8Array(r.attr.ctxOut.length) } : {}),
    };
    const res = b.progTestRun({ progFd: fd.fd, ...attr });
    return `ret=${res.retval} data=${res.dataSizeOut} ctx=${res.ctxSizeOut} out=${hex(attr.dataOut)} ctxout=${hex(attr.ctxOut)}`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return e.code;
  } finally {
    fd.close();
  }
}

/** Path of the recording. */
export const PT_RECORD = new URL('./progtypes-kernel.json', import.meta.url).pathname;

/** The recording: load answers and run answers by name. */
export interface PtRecord {
  loads: Record<string, LoadAnswer>;
  runs: Record<string, string>;
}

/** Reads the recording (empty when absent). */
export function readPtRecord(): PtRecord {
  if (!existsSync(PT_RECORD)) return { loads: {}, runs: {} };
  const j = JSON.parse(readFileSync(PT_RECORD, 'utf8')) as PtRecord & { kernel: string };
  return { loads: j.loads, runs: j.runs };
}

/** Writes the recording. */
export function writePtRecord(rec: PtRecord): void {
  writeFileSync(
    PT_RECORD,
    `${JSON.stringify({ kernel: 'Linux 6.18, lockdown=integrity', loads: rec.loads, runs: rec.runs }, null, 0)
      .replace(/^\{"kernel"/, '{\n"kernel"')
      .replace(/,"(loads|runs)":\{/g, ',\n"$1":{\n')
      .replace(/","/g, '",\n"')}\n`,
  );
}
