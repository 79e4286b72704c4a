/**
 * Hand-written verifier corpus programs (LLVM assembly syntax), at least one per rejection
 * reason, with accepted twins. Maps are `map[idx:K]` into `maps`.
 */
import type { Insn } from '../../src/isa/insn.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import type { CorpusMap } from './corpus.js';

/** One hand-written program. */
export interface HandProgram {
  name: string;
  type: number;
  asm?: string;
  insns?: Insn[];
  maps?: CorpusMap[];
  license?: string;
}

const XDP = ProgType.XDP;
const TC = ProgType.SCHED_CLS;
const SOCK = ProgType.SOCKET_FILTER;
const SYS = ProgType.SYSCALL;

const ARR: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 };
const ARR1: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 };
const HASH: CorpusMap = { type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 16 };
const RO: CorpusMap = { ...ARR1, flags: MapFlag.RDONLY_PROG };
const RB: CorpusMap = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
const QUEUE: CorpusMap = { type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 8 };
const PROGS: CorpusMap = { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 };

const LOOKUP = `
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1`;

const VLOOKUP = `
call 7
*(u32 *)(r10 - 4) = r0
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1`;

const HLOOKUP = `
r1 = 0
*(u64 *)(r10 - 8) = r1
r2 = r10
r2 += -8
r1 = map[idx:0] ll
call 1`;

/** The programs. */
export const HAND: HandProgram[] = [
  // --- accepted basics
  { name: 'ok/return0', type: XDP, asm: 'r0 = 0\nexit' },
  { name: 'ok/return0-socket', type: SOCK, asm: 'r0 = 0\nexit' },
  { name: 'ok/return0-tc', type: TC, asm: 'r0 = 0\nexit' },
  { name: 'ok/return0-syscall', type: SYS, asm: 'r0 = 0\nexit' },
  { name: 'ok/return-ptr-privileged', type: XDP, asm: 'r0 = r1\nexit' },
  { name: 'ok/return-big', type: XDP, asm: 'r0 = 12345\nexit' },
  { name: 'ok/return-big-socket', type: SOCK, asm: 'r0 = -1\nexit' },
  { name: 'ok/return-big-tc', type: TC, asm: 'r0 = 77\nexit' },
  { name: 'ok/return-big-syscall', type: SYS, asm: 'r0 = -5\nexit' },
  {
    name: 'ok/lookup-null-checked',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 == 0 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/lookup-null-checked-ne',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 != 0 goto use\nr0 = 0\nexit\nuse:\nr1 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
  },
  {
    name: 'ok/lookup-copy-checked',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nr6 = r0\nif r0 == 0 goto out\nr1 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/lookup-spilled-copy',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\n*(u64 *)(r10 - 16) = r0\nif r0 == 0 goto out\nr6 = *(u64 *)(r10 - 16)\nr1 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/hash-update',
    type: XDP,
    maps: [HASH],
    asm: `r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -24\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit`,
  },
  {
    name: 'ok/hash-delete',
    type: XDP,
    maps: [HASH],
    asm: `r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 3\nr0 = 0\nexit`,
  },
  {
    name: 'ok/hash-lookup-write',
    type: TC,
    maps: [HASH],
    asm: `${HLOOKUP}\nif r0 == 0 goto out\nr1 = 5\n*(u64 *)(r0 + 8) = r1\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/helpers-noarg',
    type: XDP,
    asm: 'call 5\ncall 7\ncall 8\ncall 14\ncall 15\ncall 125\nr0 = 0\nexit',
  },
  { name: 'ok/comm', type: XDP, asm: 'r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 16)\nexit' },
  {
    name: 'ok/trace-printk',
    type: XDP,
    asm: 'r1 = 0x0a6968\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall 6\nr0 = 0\nexit',
  },
  {
    name: 'ok/map-value-direct',
    type: XDP,
    maps: [ARR1],
    asm: 'r1 = map_value[idx:0]+8 ll\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
  {
    name: 'ok/rdonly-read',
    type: XDP,
    maps: [RO],
    asm: 'r1 = map_value[idx:0]+0 ll\nr0 = *(u64 *)(r1 + 8)\nexit',
  },
  {
    name: 'ok/atomic-stack',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = 1\nlock *(u64 *)(r10 - 8) += r2\nr0 = *(u64 *)(r10 - 8)\nexit',
  },
  {
    name: 'ok/atomic-map',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 == 0 goto out\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/ringbuf-submit',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 7\n*(u64 *)(r0 + 8) = r1\nr1 = r0\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit',
  },
  {
    name: 'ok/ringbuf-discard',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = r0\nr2 = 0\ncall 133\nout:\nr0 = 0\nexit',
  },
  {
    name: 'ok/ringbuf-output',
    type: XDP,
    maps: [RB],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\nr3 = 8\nr4 = 0\ncall 130\nr0 = 0\nexit',
  },
  {
    name: 'ok/ringbuf-query',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 0\ncall 134\nr0 = 0\nexit',
  },
  {
    name: 'ok/queue-push-pop',
    type: XDP,
    maps: [QUEUE],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\nr3 = 0\ncall 87\nr2 = r10\nr2 += -16\nr1 = map[idx:0] ll\ncall 88\nr0 = *(u64 *)(r10 - 16)\nexit',
  },
  {
    name: 'ok/tail-call',
    type: XDP,
    maps: [PROGS],
    asm: 'r2 = map[idx:0] ll\nr3 = 0\ncall 12\nr0 = 0\nexit',
  },
  { name: 'ok/subprog', type: XDP, asm: 'r1 = 3\ncall f\nexit\nf:\nr0 = r1\nr0 += 1\nexit' },
  {
    name: 'ok/subprog-stack-arg',
    type: XDP,
    asm: 'r1 = 3\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
  { name: 'ok/subprog-keeps-r6', type: XDP, asm: 'r6 = 3\ncall f\nr0 = r6\nexit\nf:\nr0 = 1\nexit' },
  { name: 'ok/syscall-ctx', type: SYS, asm: 'r0 = *(u64 *)(r1 + 8)\nr2 = 1\n*(u32 *)(r1 + 0) = r2\nexit' },
  { name: 'ok/sys-close', type: SYS, asm: 'r1 = 100\ncall 168\nr0 = 0\nexit' },
  { name: 'ok/branch-both', type: XDP, asm: 'call 7\nif r0 > 10 goto a\nr0 = 1\nexit\na:\nr0 = 2\nexit' },
  { name: 'ok/jmp32', type: XDP, asm: 'call 7\nif w0 > 10 goto a\nr0 = 1\nexit\na:\nr0 = 2\nexit' },
  {
    name: 'ok/dead-branch-uninit',
    type: XDP,
    asm: 'r1 = 5\nif r1 > 10 goto a\nr0 = 1\nexit\na:\nr0 = r9\nexit',
  },
  { name: 'ok/ld-abs', type: SOCK, asm: 'r6 = r1\nr0 = *(u8 *)skb[12]\nr0 = 0\nexit' },
  {
    name: 'ok/ptr-sub-ptr',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr3 -= r2\nr0 = 0\nexit',
  },
  {
    name: 'ok/pkt-var-off',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\nr5 = *(u8 *)(r2 + 0)\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'ok/pkt-write-xdp',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 2\nif r4 > r3 goto out\nr5 = 1\n*(u16 *)(r2 + 0) = r5\nout:\nr0 = 0\nexit',
  },
  {
    name: 'ok/pkt-check-reversed',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r3 < r4 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'ok/pkt-check-le',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r4 <= r3 goto use\nr0 = 0\nexit\nuse:\nr0 = *(u32 *)(r2 + 0)\nexit',
  },
  { name: 'ok/var-stack-helper', type: XDP, asm: 'r1 = r10\nr1 += -8\nr2 = 8\ncall 16\nr0 = 0\nexit' },
  {
    name: 'ok/and-bounds',
    type: XDP,
    maps: [ARR1],
    asm: `call 7\nr6 = r0\nr6 &= 8\nr1 = map_value[idx:0]+0 ll\nr1 += r6\nr0 = *(u64 *)(r1 + 0)\nexit`,
  },
  {
    name: 'ok/strtol',
    type: XDP,
    asm: 'r1 = 0x3231\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 2\nr3 = 10\nr4 = r10\nr4 += -16\ncall 105\nr0 = 0\nexit',
  },
  {
    name: 'ok/probe-read-kernel',
    type: SYS,
    asm: 'r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 113\nr0 = 0\nexit',
  },
  {
    name: 'ok/sys-bpf',
    type: SYS,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nr1 = 0\nr3 = 16\ncall 166\nr0 = 0\nexit',
  },

  // --- rejections
  { name: 'bad/r0-uninit', type: XDP, asm: 'exit' },
  { name: 'bad/r2-uninit', type: XDP, asm: 'r0 = r2\nexit' },
  { name: 'bad/write-r10', type: XDP, asm: 'r10 = 0\nr0 = 0\nexit' },
  { name: 'bad/scalar-deref', type: XDP, asm: 'r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit' },
  {
    name: 'ok/array-const-key-no-null-check',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nr1 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
  },
  {
    name: 'ok/array-const-key-dead-branch',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 != 0 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/hash-missing-null-check',
    type: XDP,
    maps: [HASH],
    asm: `${HLOOKUP}\nr1 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-off-by-one',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 == 0 goto out\nr1 = *(u64 *)(r0 + 1)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-neg-off',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 == 0 goto out\nr1 = *(u8 *)(r0 - 1)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-var-unbounded',
    type: XDP,
    maps: [ARR],
    asm: `call 7\nr6 = r0\n${LOOKUP}\nif r0 == 0 goto out\nr0 += r6\nr1 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-var-neg',
    type: XDP,
    maps: [ARR],
    asm: `call 7\nr6 = r0\nr6 <<= 32\nr6 s>>= 32\nif r6 s> 4 goto out2\n${LOOKUP}\nif r0 == 0 goto out\nr0 += r6\nr1 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit\nout2:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-var-upper',
    type: XDP,
    maps: [ARR1],
    asm: `call 7\nr6 = r0\nr6 &= 15\nr1 = map_value[idx:0]+0 ll\nr1 += r6\nr0 = *(u64 *)(r1 + 0)\nexit`,
  },
  {
    name: 'bad/rdonly-write',
    type: XDP,
    maps: [RO],
    asm: 'r1 = map_value[idx:0]+0 ll\nr2 = 1\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  },
  {
    name: 'bad/rdonly-lookup-write',
    type: XDP,
    maps: [{ ...ARR, flags: MapFlag.RDONLY_PROG }],
    asm: `${LOOKUP}\nif r0 == 0 goto out\nr1 = 1\n*(u32 *)(r0 + 0) = r1\nout:\nr0 = 0\nexit`,
  },
  { name: 'ok/stack-uninit-read-privileged', type: XDP, asm: 'r0 = *(u64 *)(r10 - 8)\nexit' },
  {
    name: 'ok/stack-partial-uninit-privileged',
    type: XDP,
    asm: 'r1 = 1\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit',
  },
  { name: 'bad/stack-oob', type: XDP, asm: 'r1 = 1\n*(u64 *)(r10 - 520) = r1\nr0 = 0\nexit' },
  { name: 'bad/stack-positive', type: XDP, asm: 'r1 = 1\n*(u64 *)(r10 + 0) = r1\nr0 = 0\nexit' },
  { name: 'bad/stack-misaligned', type: XDP, asm: 'r1 = 1\n*(u64 *)(r10 - 12) = r1\nr0 = 0\nexit' },
  {
    name: 'ok/helper-stack-uninit-privileged',
    type: XDP,
    maps: [ARR],
    asm: 'r2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  { name: 'bad/ptr-spill-partial', type: XDP, asm: '*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit' },
  { name: 'bad/ptr-fill-partial', type: XDP, asm: '*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit' },
  { name: 'bad/ctx-bad-off', type: XDP, asm: 'r0 = *(u32 *)(r1 + 100)\nexit' },
  { name: 'bad/ctx-modified', type: XDP, asm: 'r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit' },
  { name: 'bad/ctx-write-xdp', type: XDP, asm: 'r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit' },
  { name: 'bad/ctx-data-socket', type: SOCK, asm: 'r0 = *(u32 *)(r1 + 76)\nr0 = 0\nexit' },
  { name: 'bad/pkt-no-check', type: XDP, asm: 'r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit' },
  {
    name: 'bad/pkt-off-by-one',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr0 = *(u32 *)(r2 + 1)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'bad/pkt-wrong-branch',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r4 <= r3 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'bad/pkt-unbounded-math',
    type: XDP,
    asm: 'call 7\nr6 = r0\nr2 = *(u32 *)(r1 + 0)\nr2 += r6\nr0 = 0\nexit',
  },
  { name: 'bad/pkt-end-arith', type: XDP, asm: 'r3 = *(u32 *)(r1 + 4)\nr3 += 1\nr0 = 0\nexit' },
  { name: 'bad/pkt-end-deref', type: XDP, asm: 'r3 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r3 + 0)\nexit' },
  {
    name: 'ok/map-ptr-read-sha',
    type: XDP,
    maps: [ARR],
    asm: 'r1 = map[idx:0] ll\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
  { name: 'bad/map-ptr-arith', type: XDP, maps: [ARR], asm: 'r1 = map[idx:0] ll\nr1 += 8\nr0 = 0\nexit' },
  { name: 'ok/array-const-key-arith', type: XDP, maps: [ARR], asm: `${LOOKUP}\nr0 += 8\nr0 = 0\nexit` },
  { name: 'bad/ptr-32bit-arith', type: XDP, asm: 'w1 += 4\nr0 = 0\nexit' },
  { name: 'bad/ptr-bitwise', type: XDP, asm: 'r1 &= 4\nr0 = 0\nexit' },
  { name: 'bad/ptr-mul', type: XDP, asm: 'r1 *= 4\nr0 = 0\nexit' },
  { name: 'bad/scalar-minus-ptr', type: XDP, asm: 'r2 = 4\nr2 -= r1\nr0 = 0\nexit' },
  {
    name: 'bad/ringbuf-unreleased',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-leak-one-path',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\ncall 7\nif r0 > 5 goto out\nr1 = r6\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-no-null-check',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-double-submit',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\nr2 = 0\ncall 132\nr1 = r6\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-oob',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 7\n*(u64 *)(r0 + 12) = r1\nr1 = r0\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-var-size',
    type: XDP,
    maps: [RB],
    asm: 'call 7\nr2 = r0\nr2 &= 15\nr1 = map[idx:0] ll\nr3 = 0\ncall 131\nr0 = 0\nexit',
  },
  {
    name: 'bad/ringbuf-submit-offset',
    type: XDP,
    maps: [RB],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = r0\nr1 += 8\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit',
  },
  { name: 'bad/lookup-ringbuf', type: XDP, maps: [RB], asm: `${LOOKUP}\nr0 = 0\nexit` },
  {
    name: 'bad/reserve-array',
    type: XDP,
    maps: [ARR],
    asm: 'r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nr0 = 0\nexit',
  },
  {
    name: 'bad/tail-call-array',
    type: XDP,
    maps: [ARR],
    asm: 'r2 = map[idx:0] ll\nr3 = 0\ncall 12\nr0 = 0\nexit',
  },
  { name: 'bad/helper-arg-scalar-map', type: XDP, asm: 'r1 = 0\nr2 = r10\ncall 1\nr0 = 0\nexit' },
  { name: 'bad/helper-unknown', type: XDP, asm: 'call 10000\nr0 = 0\nexit' },
  {
    name: 'bad/helper-gpl',
    type: XDP,
    license: 'MIT',
    asm: 'r1 = 0x0a6968\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall 6\nr0 = 0\nexit',
  },
  { name: 'bad/helper-wrong-type', type: XDP, asm: 'r1 = 1\ncall 168\nr0 = 0\nexit' },
  { name: 'bad/helper-size-zero', type: XDP, asm: 'r1 = r10\nr1 += -8\nr2 = 0\ncall 16\nr0 = 0\nexit' },
  {
    name: 'bad/helper-size-unbounded',
    type: XDP,
    asm: 'call 7\nr2 = r0\nr1 = r10\nr1 += -8\ncall 16\nr0 = 0\nexit',
  },
  { name: 'bad/helper-size-too-big', type: XDP, asm: 'r1 = r10\nr1 += -8\nr2 = 16\ncall 16\nr0 = 0\nexit' },
  { name: 'bad/helper-args-clobbered', type: XDP, asm: 'r6 = 1\ncall 7\nr0 = r1\nexit' },
  {
    name: 'ok/update-value-uninit-privileged',
    type: XDP,
    maps: [HASH],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -24\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
  },
  { name: 'bad/div-zero', type: XDP, asm: 'r0 = 1\nr0 /= 0\nexit' },
  { name: 'bad/shift-64', type: XDP, asm: 'r0 = 1\nr0 <<= 64\nexit' },
  { name: 'bad/jump-out-of-range', type: XDP, asm: 'r0 = 0\nif r0 == 0 goto +5\nexit' },
  { name: 'bad/jump-into-ldimm64', type: XDP, asm: 'r0 = 0\nif r0 == 0 goto +1\nr1 = 0x100000000 ll\nexit' },
  { name: 'bad/ja-into-ldimm64', type: XDP, asm: 'goto +1\nr0 = 0x100000000 ll\nexit' },
  { name: 'bad/unreachable', type: XDP, asm: 'r0 = 0\nexit\nr0 = 1\nexit' },
  { name: 'bad/no-exit', type: XDP, asm: 'r0 = 0' },
  { name: 'bad/fallthrough-end', type: XDP, asm: 'r0 = 0\nif r0 == 0 goto +1\nexit\nr0 = 1' },
  { name: 'bad/call-out-of-range', type: XDP, asm: 'call +10\nr0 = 0\nexit' },
  { name: 'bad/subprog-jump-out', type: XDP, asm: 'call f\nr0 = 0\nl:\nexit\nf:\nr0 = 1\ngoto l' },
  { name: 'bad/subprog-r6-uninit', type: XDP, asm: 'r6 = 1\ncall f\nr0 = 0\nexit\nf:\nr0 = r6\nexit' },
  { name: 'bad/subprog-no-r0', type: XDP, asm: 'call f\nexit\nf:\nexit' },
  {
    name: 'bad/subprog-return-stack',
    type: XDP,
    asm: 'call f\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit\nf:\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = r10\nr0 += -8\nexit',
  },
  {
    name: 'bad/call-depth',
    type: XDP,
    asm: 'call f1\nexit\nf1:\ncall f2\nexit\nf2:\ncall f3\nexit\nf3:\ncall f4\nexit\nf4:\ncall f5\nexit\nf5:\ncall f6\nexit\nf6:\ncall f7\nexit\nf7:\ncall f8\nexit\nf8:\ncall f9\nexit\nf9:\nr0 = 0\nexit',
  },
  {
    name: 'ok/call-depth-8',
    type: XDP,
    asm: 'call f1\nexit\nf1:\ncall f2\nexit\nf2:\ncall f3\nexit\nf3:\ncall f4\nexit\nf4:\ncall f5\nexit\nf5:\ncall f6\nexit\nf6:\ncall f7\nexit\nf7:\nr0 = 0\nexit',
  },
  {
    name: 'bad/combined-stack',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 400) = r1\ncall f\nexit\nf:\nr1 = 0\n*(u64 *)(r10 - 200) = r1\nr0 = 0\nexit',
  },
  {
    name: 'ok/combined-stack',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 256) = r1\ncall f\nexit\nf:\nr1 = 0\n*(u64 *)(r10 - 240) = r1\nr0 = 0\nexit',
  },
  { name: 'bad/recursion', type: XDP, asm: 'call f\nexit\nf:\ncall f\nr0 = 0\nexit' },
  { name: 'bad/atomic-ctx', type: XDP, asm: 'r2 = 1\nlock *(u32 *)(r1 + 0) += r2\nr0 = 0\nexit' },
  {
    name: 'ok/atomic-uninit-stack-privileged',
    type: XDP,
    asm: 'r2 = 1\nlock *(u64 *)(r10 - 8) += r2\nr0 = 0\nexit',
  },
  { name: 'bad/ld-abs-xdp', type: XDP, asm: 'r6 = r1\nr0 = *(u8 *)skb[12]\nr0 = 0\nexit' },
  { name: 'bad/ld-abs-no-r6', type: SOCK, asm: 'r0 = *(u8 *)skb[12]\nr0 = 0\nexit' },
  { name: 'bad/pkt-write-socket', type: SOCK, asm: 'r0 = 0\nexit\n' },
  { name: 'bad/exclusive-map', type: XDP, maps: [{ ...ARR, excl: 'other' }], asm: `${LOOKUP}\nr0 = 0\nexit` },
  {
    name: 'ok/exclusive-map-self',
    type: XDP,
    maps: [{ ...ARR, excl: 'self' }],
    asm: `${LOOKUP}\nr0 = 0\nexit`,
  },
  {
    name: 'bad/map-value-direct-oob',
    type: XDP,
    maps: [ARR1],
    asm: 'r1 = map_value[idx:0]+16 ll\nr0 = 0\nexit',
  },
  {
    name: 'bad/map-value-direct-read-oob',
    type: XDP,
    maps: [ARR1],
    asm: 'r1 = map_value[idx:0]+8 ll\nr0 = *(u64 *)(r1 + 4)\nexit',
  },
  {
    name: 'bad/map-value-direct-multi',
    type: XDP,
    maps: [ARR],
    asm: 'r1 = map_value[idx:0]+0 ll\nr0 = 0\nexit',
  },
  { name: 'bad/hash-direct-value', type: XDP, maps: [HASH], asm: 'r1 = map_value[idx:0]+0 ll\nr0 = 0\nexit' },
  { name: 'bad/func-ptr-no-btf', type: XDP, asm: 'r2 = func[f] ll\nr0 = 0\nexit\nf:\nr0 = 0\nexit' },
  { name: 'bad/syscall-helper-xdp', type: XDP, asm: 'r1 = 0\nr2 = r10\nr3 = 0\ncall 166\nr0 = 0\nexit' },
  {
    name: 'bad/may-leak-uninit-branch',
    type: XDP,
    asm: 'call 7\nif r0 > 10 goto a\nr1 = 1\na:\nr0 = r1\nexit',
  },
  {
    name: 'ok/array-const-key-compare',
    type: XDP,
    maps: [ARR],
    asm: `${LOOKUP}\nif r0 == 1 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/missing-null-check',
    type: XDP,
    maps: [ARR],
    asm: `${VLOOKUP}\nr1 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
  },
  {
    name: 'bad/null-check-wrong-branch',
    type: XDP,
    maps: [ARR],
    asm: `${VLOOKUP}\nif r0 != 0 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  { name: 'bad/or-null-arith', type: XDP, maps: [ARR], asm: `${VLOOKUP}\nr0 += 8\nr0 = 0\nexit` },
  {
    name: 'bad/ptr-compare-scalar-deref',
    type: XDP,
    maps: [ARR],
    asm: `${VLOOKUP}\nif r0 == 1 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'ok/array-key-out-of-range-checked',
    type: XDP,
    maps: [ARR],
    asm: `r1 = 9\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/array-key-out-of-range',
    type: XDP,
    maps: [ARR],
    asm: `r1 = 9\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nr1 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
  },
  {
    name: 'ok/array-null-copy-spilled',
    type: XDP,
    maps: [ARR],
    asm: `${VLOOKUP}\n*(u64 *)(r10 - 16) = r0\nr6 = r0\nif r6 == 0 goto out\nr7 = *(u64 *)(r10 - 16)\nr1 = *(u64 *)(r7 + 0)\nout:\nr0 = 0\nexit`,
  },
  {
    name: 'bad/null-check-other-lookup',
    type: XDP,
    maps: [ARR],
    asm: `${VLOOKUP}\nr6 = r0\n${VLOOKUP}\nif r0 == 0 goto out\nr1 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit`,
  },
  { name: 'bad/loop-budget', type: XDP, asm: 'r0 = 0\nr1 = 0\nl:\nr1 += 1\nif r1 < 600000 goto l\nexit' },
  {
    name: 'bad/stack-ptr-leak-map-unpriv-twin',
    type: XDP,
    maps: [ARR1],
    asm: 'r1 = map_value[idx:0]+0 ll\n*(u64 *)(r1 + 0) = r10\nr0 = 0\nexit',
  },
  {
    name: 'ok/xdp-meta-check',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit',
  },
  { name: 'ok/tc-write-mark', type: TC, asm: 'r2 = 3\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit' },
  {
    name: 'ok/socket-cb-rw',
    type: SOCK,
    asm: 'r2 = 3\n*(u32 *)(r1 + 48) = r2\nr0 = *(u32 *)(r1 + 48)\nexit',
  },
  { name: 'bad/ctx-leak-ptr-tc', type: TC, asm: '*(u32 *)(r1 + 48) = r10\nr0 = 0\nexit' },
  { name: 'bad/sdiv-zero', type: XDP, asm: 'r0 = 1\nr0 s/= 0\nexit' },
  { name: 'ok/movsx', type: XDP, asm: 'r1 = 255\nr0 = (s8)r1\nexit' },
  { name: 'ok/bswap', type: XDP, asm: 'r0 = 0x1234\nr0 = bswap16 r0\nexit' },
  {
    name: 'bad/r11',
    type: XDP,
    insns: [
      { code: 0xb7, dst: 11, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ],
  },
  {
    name: 'bad/ld-imm64-last',
    type: XDP,
    insns: [
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x18, dst: 1, src: 0, off: 0, imm: 0 },
    ],
  },
];

/** Pruning must keep ids consistent between registers and spilled copies (shared stacks included). */
HAND.push({
  name: 'bad/prune-spilled-id',
  type: ProgType.XDP,
  maps: [{ type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 16 }],
  asm: `
r1 = 0
*(u64 *)(r10 - 8) = r1
r2 = r10
r2 += -8
r1 = map[idx:0] ll
call 1
*(u64 *)(r10 - 16) = r0
r6 = r0
call 7
if r0 > 5 goto join
r1 = 0
*(u64 *)(r10 - 8) = r1
r2 = r10
r2 += -8
r1 = map[idx:0] ll
call 1
r6 = r0
join:
if r6 == 0 goto out
r7 = *(u64 *)(r10 - 16)
r0 = *(u64 *)(r7 + 0)
out:
r0 = 0
exit`,
});

// Variable-offset stack accesses (privileged).
HAND.push(
  {
    name: 'ok/stack-var-write-read',
    type: ProgType.XDP,
    asm: 'call 7\nr0 &= 3\nr0 <<= 3\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 5\n*(u64 *)(r1 + 0) = r2\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
  {
    name: 'bad/stack-var-oob',
    type: ProgType.XDP,
    asm: 'call 7\nr0 &= 7\nr0 <<= 3\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 5\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  },
  {
    name: 'bad/stack-var-misaligned',
    type: ProgType.XDP,
    asm: 'call 7\nr0 &= 3\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 5\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  },
  {
    name: 'bad/stack-var-read-spilled-ptr',
    type: ProgType.XDP,
    asm: '*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 8) = r1\ncall 7\nr0 &= 1\nr0 <<= 3\nr1 = r10\nr1 += -16\nr1 += r0\nr0 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r0 + 0)\nexit',
  },
  {
    name: 'bad/stack-var-unbounded',
    type: ProgType.XDP,
    asm: 'call 7\nr1 = r10\nr1 += r0\nr2 = 5\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  },
);

// struct bpf_map fields through a map pointer (privileged).
HAND.push(
  {
    name: 'ok/map-ptr-read-excl',
    type: ProgType.SYSCALL,
    maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }],
    asm: 'r1 = map[idx:0] ll\nr0 = *(u32 *)(r1 + 32)\nexit',
  },
  {
    name: 'bad/map-ptr-write',
    type: ProgType.SYSCALL,
    maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }],
    asm: 'r1 = map[idx:0] ll\nr2 = 0\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  },
);

// Socket pointers: __sk_buff->sk (sock_common_or_null), bpf_sk_fullsock, bpf_tcp_sock,
// bpf_get_listener_sock.
HAND.push(
  {
    name: 'sock/sk-read-null',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-read-null-socket',
    type: SOCK,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-read-nocheck',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nr0 = *(u32 *)(r1 + 4)\nexit',
  },
  {
    name: 'sock/sk-read-nocheck-socket',
    type: SOCK,
    asm: 'r1 = *(u64 *)(r1 + 168)\nr0 = *(u32 *)(r1 + 4)\nexit',
  },
  {
    name: 'sock/sk-read-bound',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 0)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-read-mark',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 16)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-write',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = 0\n*(u32 *)(r1 + 4) = r0\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-arith',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr1 += 4\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-arith-null',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nr1 += 4\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-fullsock',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 16)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-fullsock-socket',
    type: SOCK,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 16)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-tcpsock',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 96\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 80)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-fullsock-nonnull-arg',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\ncall 95\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-read-w4',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nr0 = *(u32 *)(r1 + 168)\nexit',
  },
  {
    name: 'sock/sk-ctx-read4',
    type: TC,
    asm: 'r0 = *(u32 *)(r1 + 168)\nexit',
  },
  {
    name: 'sock/sk-ret',
    type: TC,
    asm: 'r0 = *(u64 *)(r1 + 168)\nexit',
  },
  {
    name: 'sock/sk-ret-socket',
    type: SOCK,
    asm: 'r0 = *(u64 *)(r1 + 168)\nexit',
  },
  {
    name: 'sock/sk-dstport2',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u16 *)(r1 + 48)\nr0 = *(u16 *)(r1 + 50)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/listener',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 98\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 8)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/listener-act',
    type: ProgType.SCHED_ACT,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 98\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 8)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-tcp',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr1 = r0\ncall 96\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 108)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-tcp-act',
    type: ProgType.SCHED_ACT,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr1 = r0\ncall 96\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 108)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/tcp-tcp',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 96\nif r0 == 0 goto out\nr1 = r0\ncall 96\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 112)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-scalar',
    type: TC,
    asm: 'r1 = 0\ncall 95\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-ctx',
    type: TC,
    asm: 'call 95\nr0 = 0\nexit',
  },
  {
    name: 'sock/tcp-read-u64-bad',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 96\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 8)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-noncheck',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nr0 = *(u32 *)(r0 + 16)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/spill-fill-copy',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\n*(u64 *)(r10 - 8) = r1\nr2 = r1\nif r1 == 0 goto out\nr3 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r3 + 4)\nr0 = *(u32 *)(r2 + 72)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/spill-fill-unchecked',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\n*(u64 *)(r10 - 8) = r1\nr3 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r3 + 4)\nr0 = 0\nexit',
  },
  {
    name: 'sock/two-sk-loads',
    type: TC,
    asm: 'r6 = r1\nr1 = *(u64 *)(r6 + 168)\nr2 = *(u64 *)(r6 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r2 + 4)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/cmp-ne-null',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 != 0 goto use\nr0 = 0\nexit\nuse:\nr0 = *(u32 *)(r1 + 4)\nexit',
  },
  {
    name: 'sock/fullsock-result-arith',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr0 += 8\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/fullsock-twice',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nif r0 == 0 goto out\nr1 = r0\ncall 95\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 8)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-as-map-key',
    type: TC,
    maps: [ARR],
    asm: 'r2 = *(u64 *)(r1 + 168)\nif r2 == 0 goto out\nr1 = map[idx:0] ll\ncall 1\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-ldx-u8-family',
    type: TC,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u8 *)(r1 + 5)\nr0 = *(u16 *)(r1 + 2)\nout:\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-ctx-write8',
    type: TC,
    asm: 'r2 = 0\n*(u64 *)(r1 + 168) = r2\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-xdp',
    type: ProgType.XDP,
    asm: 'r1 = *(u64 *)(r1 + 168)\nr0 = 0\nexit',
  },
  {
    name: 'sock/sk-fullsock-socket-unused',
    type: SOCK,
    asm: 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nout:\nr0 = 0\nexit',
  },
);

// may_goto loops (BPF_JMP|BPF_JCOND), and the queued-state limit of conditional jumps.
const MAP64: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1 };
HAND.push(
  {
    name: 'may_goto/simple',
    type: XDP,
    asm: 'r0 = 0\nl:\nmay_goto out\nr0 += 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/counter-unused',
    type: XDP,
    asm: 'r1 = 0\nr0 = 0\nl:\nmay_goto out\nr1 += 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/toggle-index',
    type: XDP,
    asm: 'r6 = 0\nl:\nmay_goto out\nr6 ^= 1\nr1 = r10\nr1 += -16\nr2 = r6\nr2 <<= 3\nr1 += r2\nr3 = 5\n*(u64 *)(r1 + 0) = r3\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/counter-bounded-index',
    type: XDP,
    asm: 'r6 = 0\nl:\nmay_goto out\nif r6 > 1 goto out\nr1 = r10\nr1 += -16\nr2 = r6\nr2 <<= 3\nr1 += r2\nr3 = 5\n*(u64 *)(r1 + 0) = r3\nr6 += 1\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/unbounded-index',
    type: XDP,
    asm: 'r6 = 0\nl:\nmay_goto out\nr1 = r10\nr1 += -16\nr2 = r6\nr2 <<= 3\nr1 += r2\nr3 = 5\n*(u64 *)(r1 + 0) = r3\nr6 += 1\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/no-loop',
    type: XDP,
    asm: 'may_goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/off0',
    type: XDP,
    asm: 'may_goto +0\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/ret-counter',
    type: XDP,
    asm: 'r0 = 0\nl:\nmay_goto out\nr0 += 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/infinite-inner',
    type: XDP,
    asm: 'r0 = 0\nl:\nmay_goto out\nl2:\ngoto l2\nout:\nexit',
  },
  {
    name: 'may_goto/nested',
    type: XDP,
    asm: 'r0 = 0\nr1 = 0\nl:\nmay_goto out\nr2 = 0\nl2:\nmay_goto next\nr2 += 1\ngoto l2\nnext:\nr1 += 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/uninit-after',
    type: XDP,
    asm: 'l:\nmay_goto out\nr0 = 0\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/uninit-r0-loopbody',
    type: XDP,
    asm: 'r0 = 0\nl:\nmay_goto out\nr0 = 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/stack-512',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 512) = r1\nl:\nmay_goto out\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/loop-with-exit-check',
    type: XDP,
    asm: 'call 7\nr6 = r0\nr0 = 0\nl:\nmay_goto out\nr0 += 1\nif r0 == r6 goto out\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/sum-map',
    type: XDP,
    maps: [MAP64],
    asm: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nr6 = r0\nr7 = 0\nr8 = 0\nl:\nmay_goto out\nif r7 >= 8 goto out\nr1 = r7\nr1 <<= 3\nr2 = r6\nr2 += r1\nr3 = *(u64 *)(r2 + 0)\nr8 += r3\nr7 += 1\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/sum-map-oob',
    type: XDP,
    maps: [MAP64],
    asm: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nr6 = r0\nr7 = 0\nl:\nmay_goto out\nif r7 > 8 goto out\nr1 = r7\nr1 <<= 3\nr2 = r6\nr2 += r1\nr3 = *(u64 *)(r2 + 0)\nr7 += 1\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/stack-counter',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nl:\nmay_goto out\nr1 = *(u64 *)(r10 - 8)\nr1 += 1\n*(u64 *)(r10 - 8) = r1\ngoto l\nout:\nr0 = *(u64 *)(r10 - 8)\nexit',
  },
  {
    name: 'may_goto/subprog',
    type: XDP,
    asm: 'call f\nexit\nf:\nr0 = 0\nl:\nmay_goto out\nr0 += 2\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/in-callback-like-two',
    type: XDP,
    asm: 'r0 = 0\nr1 = 0\nl:\nmay_goto out\nmay_goto out\nr1 += 1\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/var-unknown-bound',
    type: XDP,
    asm: 'call 7\nr6 = r0\nr7 = 0\nl:\nmay_goto out\nif r7 >= r6 goto out\nr7 += 1\ngoto l\nout:\nr0 = r7\nexit',
  },
  {
    name: 'may_goto/pkt-walk',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = 0\nl:\nmay_goto out\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\nr5 = *(u8 *)(r2 + 0)\nr0 += r5\nr2 = r4\ngoto l\nout:\nexit',
  },
  {
    name: 'may_goto/null-in-loop',
    type: XDP,
    maps: [MAP64],
    asm: 'r6 = 0\nl:\nmay_goto out\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto l\nr1 = *(u64 *)(r0 + 0)\nr6 += r1\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'may_goto/ringbuf-leak-loop',
    type: XDP,
    asm: 'l:\nmay_goto out\ngoto l\nout:\nr0 = 0\nexit',
  },
  {
    name: 'limits/jumps-complex',
    type: XDP,
    asm: 'r6 = 0\nl:\ncall 7\nif r0 > 5 goto a\nr0 = 1\na:\nr6 += 1\nif r6 < 10000 goto l\nr0 = 0\nexit',
  },
);

// Helper arguments through stack pointers with a variable offset (privileged), and constant ones
// past either end of the stack.
HAND.push(
  {
    name: 'stack-arg/key-var-off',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\ncall 7\nr0 &= 4\nr2 = r10\nr2 += -16\nr2 += r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/key-var-off-uninit',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\ncall 7\nr0 &= 4\nr2 = r10\nr2 += -16\nr2 += r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/key-var-off-oob',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\ncall 7\nr0 &= 7\nr2 = r10\nr2 += -8\nr2 += r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/key-var-off-unbounded',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'call 7\nr2 = r10\nr2 += r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/key-var-off-neg',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'call 7\nr0 &= 4\nr2 = r10\nr2 -= r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-var-off',
    type: XDP,
    asm: 'call 7\nr0 &= 8\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-var-off-init',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\n*(u64 *)(r10 - 32) = r1\ncall 7\nr0 &= 8\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 8)\nexit',
  },
  {
    name: 'stack-arg/value-var-off-update',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\ncall 7\nr0 &= 8\nr3 = r10\nr3 += -24\nr3 += r0\nr2 = r10\nr2 += -4\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/key-var-off-spilled-ptr',
    type: XDP,
    maps: [{ ...ARR, maxEntries: 1 }],
    asm: '*(u64 *)(r10 - 8) = r10\nr1 = 0\n*(u64 *)(r10 - 16) = r1\ncall 7\nr0 &= 4\nr2 = r10\nr2 += -16\nr2 += r0\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/clobber-check',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\n*(u64 *)(r10 - 32) = r1\ncall 7\nr0 &= 8\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 8)\nr1 = r10\nr1 += r0\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-const-past-fp',
    type: XDP,
    asm: 'r1 = r10\nr1 += -4\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-const-below',
    type: XDP,
    asm: 'r1 = r10\nr1 += -520\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-var-past-fp',
    type: XDP,
    asm: 'call 7\nr0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-var-below',
    type: XDP,
    asm: 'call 7\nr0 &= 8\nr1 = r10\nr1 += -520\nr1 += r0\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/comm-var-big',
    type: XDP,
    asm: 'call 7\nr0 &= 0xffff\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 16\ncall 16\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/var-clobbers-spill',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\ncall 7\nr0 &= 8\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 8\ncall 16\nr0 = *(u64 *)(r10 - 8)\nr1 = r10\nr1 += r0\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/var-keeps-outside',
    type: XDP,
    asm: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\n*(u64 *)(r10 - 32) = r1\ncall 7\nr0 &= 8\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 8\ncall 16\nr0 = *(u64 *)(r10 - 8)\nr1 = r10\nr1 += r0\nr0 = 0\nexit',
  },
  {
    name: 'stack-arg/strtol-var',
    type: XDP,
    asm: 'r1 = 0x31\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\ncall 7\nr0 &= 4\nr1 = r10\nr1 += -16\nr1 += r0\nr2 = 4\nr3 = 0\nr4 = r10\nr4 += -24\ncall 105\nr0 = 0\nexit',
  },
);

// Pruning with imprecise scalars (values no check needs), and values that do matter after a
// join: through the stack, a callee argument, a callee result, packet offsets.
HAND.push(
  {
    name: 'precision/imprecise-accumulator-1000',
    type: XDP,
    asm: 'r6 = 0\nr7 = 0\nl:\ncall 7\nif r0 > 5 goto a\nr7 += 1\ngoto b\na:\nr7 += 2\nb:\nr6 += 1\nif r6 < 1000 goto l\nr0 = r7\nexit',
  },
  {
    name: 'precision/imprecise-accumulator-100',
    type: XDP,
    asm: 'r6 = 0\nr7 = 0\nl:\ncall 7\nif r0 > 5 goto a\nr7 += 1\ngoto b\na:\nr7 += 2\nb:\nr6 += 1\nif r6 < 100 goto l\nr0 = r7\nexit',
  },
  {
    name: 'precision/precise-accumulator-100',
    type: XDP,
    asm: 'r6 = 0\nr7 = 0\nl:\ncall 7\nif r0 > 5 goto a\nr7 += 1\ngoto b\na:\nr7 += 2\nb:\nr6 += 1\nif r6 < 100 goto l\nr7 &= 7\nr1 = r10\nr1 += -8\nr1 += r7\nr0 = 0\nexit',
  },
  {
    name: 'precision/join-spill-fill-offset',
    type: XDP,
    asm: 'call 7\nif r0 > 5 goto a\nr7 = 8\ngoto b\na:\nr7 = 24\nb:\n*(u64 *)(r10 - 8) = r7\nr1 = 0\n*(u64 *)(r10 - 16) = r1\nr6 = *(u64 *)(r10 - 8)\nr1 = r10\nr1 += -16\nr1 += r6\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
  {
    name: 'precision/join-callee-offset',
    type: XDP,
    asm: 'call 7\nif r0 > 5 goto a\nr1 = 0\ngoto b\na:\nr1 = 16\nb:\ncall f\nr0 = 0\nexit\nf:\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = *(u64 *)(r2 + 0)\nexit',
  },
  {
    name: 'precision/join-callee-return',
    type: XDP,
    asm: 'call 7\nr1 = r0\ncall f\nr1 = r10\nr1 += -8\nr1 += r0\nr2 = 0\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit\nf:\nr0 = 0\nif r1 > 5 goto a\nexit\na:\nr0 = 16\nexit',
  },
  {
    name: 'precision/join-accumulate-then-check',
    type: XDP,
    asm: 'r6 = 0\nr7 = 0\nl:\ncall 7\nif r0 > 5 goto a\nr7 += 1\ngoto b\na:\nr7 += 2\nb:\nr6 += 1\nif r6 < 50 goto l\nif r7 > 90 goto x\nr0 = 0\nexit\nx:\nr1 = r10\nr1 += r7\nr0 = 0\nexit',
  },
  {
    name: 'precision/join-pkt-offset',
    type: XDP,
    asm: 'r6 = r1\ncall 7\nr2 = *(u32 *)(r6 + 0)\nr3 = *(u32 *)(r6 + 4)\nif r0 > 5 goto a\nr7 = 4\ngoto b\na:\nr7 = 12\nb:\nr4 = r2\nr4 += 8\nif r4 > r3 goto out\nr2 += r7\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 0\nexit',
  },
);

// Comparisons of a register with itself, for each kind of value in it, each condition, 64 and 32
// bits: `taken-bad` puts a read of an unwritten register on the taken edge, `fall-bad` on the
// fall-through, so the two verdicts say whether the verifier decides the branch (always taken,
// never taken) or explores both edges. (A mutant of a corpus program testing `r0 == r0` on a
// map lookup's result loaded on Linux and not on the machine.)
{
  const kinds: [string, string, string, CorpusMap[]][] = [
    ['scalar', 'call 7', 'r0', []],
    ['const', 'r0 = 5', 'r0', []],
    ['ctx', '', 'r1', []],
    ['stack', 'r2 = r10', 'r2', []],
    ['map-or-null', LOOKUP, 'r0', [ARR]],
    ['map-value', `${LOOKUP}\nif r0 == 0 goto +4`, 'r0', [ARR]],
  ];
  const ops: [string, string][] = [
    ['eq', '=='],
    ['ne', '!='],
    ['gt', '>'],
    ['ge', '>='],
    ['lt', '<'],
    ['le', '<='],
    ['sgt', 's>'],
    ['sge', 's>='],
    ['slt', 's<'],
    ['sle', 's<='],
    ['set', '&'],
  ];
  for (const [kind, setup, reg] of kinds)
    for (const [name, op] of ops)
      for (const w of ['64', '32'] as const)
        for (const bad of ['taken', 'fall'] as const) {
          const r = w === '32' ? reg.replace('r', 'w') : reg;
          const good = 'r0 = 0\nexit';
          const wrong = 'r0 = r5\nexit';
          HAND.push({
            name: `same-reg/${kind}/${name}${w}/${bad}-bad`,
            type: XDP,
            asm: `${setup}\nif ${r} ${op} ${r} goto +2\n${bad === 'taken' ? good : wrong}\n${bad === 'taken' ? wrong : good}`,
            maps: kinds.find((k) => k[0] === kind)![3],
          });
        }
}

// Results Linux bounds (do_refine_retval_range): the CPU id below nr_cpu_ids (2 on the recording
// host, as on a new Machine), a string copy at most its size or -errno. Each `bad` edge reads an
// unwritten register, so the verdict says whether the verifier knew the bound.
HAND.push(
  {
    name: 'retval/smp-processor-id-below-cpus',
    type: XDP,
    asm: 'call 8\nif r0 < 2 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'retval/smp-processor-id-not-below-1',
    type: XDP,
    asm: 'call 8\nif r0 < 1 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'retval/probe-read-kernel-str-at-most-size',
    type: SOCK,
    asm: 'r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\ncall 115\nif r0 s> 16 goto +2\nr0 = 0\nexit\nr0 = r5\nexit',
  },
  {
    name: 'retval/probe-read-kernel-str-not-below-size',
    type: SOCK,
    asm: 'r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\ncall 115\nif r0 s> 15 goto +2\nr0 = 0\nexit\nr0 = r5\nexit',
  },
  {
    name: 'retval/probe-read-kernel-str-errno-floor',
    type: SOCK,
    asm: 'r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\ncall 115\nif r0 s< -4095 goto +2\nr0 = 0\nexit\nr0 = r5\nexit',
  },
);

// An atomic fetch from the stack returns what a load there would read: the spilled constant
// (a mutant of conf/lock_cmpxchg had its misaligned cmpxchg on a path only this proves dead).
HAND.push(
  {
    name: 'atomic/cmpxchg-fetches-spilled-const',
    type: XDP,
    asm: 'r0 = 5\n*(u64 *)(r10 - 8) = r0\nr1 = 7\nr0 = 9\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nif r0 == 5 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'atomic/fetch-add-fetches-spilled-const',
    type: XDP,
    asm: 'r0 = 5\n*(u64 *)(r10 - 8) = r0\nr1 = 3\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nif r1 == 5 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'atomic/cmpxchg32-fetches-low-half',
    type: XDP,
    asm: 'r0 = 0x100000005 ll\n*(u64 *)(r10 - 8) = r0\nw1 = 7\nw0 = 9\nw0 = cmpxchg32_32(r10 - 8, w0, w1)\nif r0 == 5 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'atomic/fetch-after-write-is-unknown',
    type: XDP,
    asm: 'r0 = 5\n*(u64 *)(r10 - 8) = r0\nr1 = 3\nlock *(u64 *)(r10 - 8) += r1\nr1 = 0\nr1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\nif r1 == 8 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
);

// Found by bench/verifier/fuzz.ts (mutants the machine loaded and Linux did not), pinned here:
// what Linux does not track or prove, the machine must not either.
HAND.push(
  {
    name: 'fuzz/div-of-constants-is-unknown',
    type: XDP,
    asm: 'r1 = 12\nr1 /= 3\nif r1 == 4 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/sdiv32-of-constants-is-unknown',
    type: XDP,
    asm: 'w1 = -13\nw2 = 3\nw1 s/= w2\nif w1 == -4 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/mod-of-constants-is-unknown',
    type: XDP,
    asm: 'r1 = 13\nr1 %= 5\nif r1 == 3 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/shift32-by-register-40-is-unknown',
    type: XDP,
    asm: 'w1 = 1\nr2 = 40\nw1 <<= w2\nif r1 < 5 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/shift64-by-register-is-tracked',
    type: XDP,
    asm: 'r1 = 1\nr2 = 4\nr1 <<= r2\nif r1 == 16 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/ctx-eq-0-explores-both',
    type: XDP,
    asm: 'if r1 == 0 goto +2\nr0 = 0\nexit\nr0 = r5\nexit',
  },
  {
    name: 'fuzz/stack-ptr-ne-0-explores-both',
    type: XDP,
    asm: 'r2 = r10\nif r2 != 0 goto +2\nr0 = r5\nexit\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/map-value-ne-0-decided',
    type: XDP,
    asm: `${HLOOKUP}\nif r0 == 0 goto +5\nif r0 != 0 goto +2\nr0 = r5\nexit\nr0 = 0\nexit\nr0 = 0\nexit`,
    maps: [HASH],
  },
  {
    name: 'fuzz/map-value-ne-0-32bit-decided',
    type: XDP,
    asm: `${HLOOKUP}\nif r0 == 0 goto +5\nif w0 != 0 goto +2\nr0 = r5\nexit\nr0 = 0\nexit\nr0 = 0\nexit`,
    maps: [HASH],
  },
  {
    name: 'fuzz/null-check-with-zero-register-checks-nothing',
    type: XDP,
    asm: `${HLOOKUP}\nr1 = 0\nif r0 == r1 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
    maps: [HASH],
  },
  {
    name: 'fuzz/null-check-with-pointer-as-source-checks-nothing',
    type: XDP,
    asm: `${HLOOKUP}\nr1 = 0\nif r1 == r0 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`,
    maps: [HASH],
  },
  {
    name: 'fuzz/meta-against-end-proves-nothing',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/meta-against-data-plus-4-proves-nothing',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr3 += 4\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/meta-against-data-proves-the-range',
    type: XDP,
    asm: 'r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 0\nexit',
  },
);

// Loads from a frozen read-only map (BPF_F_RDONLY_PROG + BPF_MAP_FREEZE) at a constant offset
// read the value itself, as Linux's bpf_map_direct_read does (frozen .rodata: a config constant
// decides branches). The kernel test maps start zeroed. (A mutant of fix/globals/account had an
// invalid instruction on a branch only that proves dead.)
{
  const FROZEN: CorpusMap = { ...RO, freeze: true };
  const FROZEN4: CorpusMap = { ...ARR, flags: MapFlag.RDONLY_PROG, freeze: true };
  const BODY = 'if r0 == 0 goto +2\nr0 = r5\nexit\nr0 = 0\nexit';
  HAND.push(
    {
      name: 'rodata/frozen-read-is-the-value',
      type: XDP,
      asm: `r2 = map_value[idx:0]+4 ll\nr0 = *(u32 *)(r2 + 0)\n${BODY}`,
      maps: [FROZEN],
    },
    {
      name: 'rodata/frozen-byte-read',
      type: XDP,
      asm: `r2 = map_value[idx:0]+0 ll\nr0 = *(u8 *)(r2 + 15)\n${BODY}`,
      maps: [FROZEN],
    },
    {
      name: 'rodata/frozen-ldsx',
      type: XDP,
      asm: `r2 = map_value[idx:0]+0 ll\nr0 = *(s16 *)(r2 + 2)\n${BODY}`,
      maps: [FROZEN],
    },
    {
      name: 'rodata/not-frozen-read-is-unknown',
      type: XDP,
      asm: `r2 = map_value[idx:0]+4 ll\nr0 = *(u32 *)(r2 + 0)\n${BODY}`,
      maps: [RO],
    },
    {
      name: 'rodata/frozen-writable-read-is-unknown',
      type: XDP,
      asm: `r2 = map_value[idx:0]+4 ll\nr0 = *(u32 *)(r2 + 0)\n${BODY}`,
      maps: [{ ...ARR1, freeze: true }],
    },
    {
      name: 'rodata/frozen-variable-offset-is-unknown',
      type: XDP,
      asm: `call 7\nr0 &= 4\nr2 = map_value[idx:0]+0 ll\nr2 += r0\nr0 = *(u32 *)(r2 + 0)\n${BODY}`,
      maps: [FROZEN],
    },
    {
      name: 'rodata/frozen-lookup-read',
      type: XDP,
      asm: `${LOOKUP}\nif r0 == 0 goto +6\nr0 = *(u64 *)(r0 + 8)\n${BODY}\nr0 = 0\nexit`,
      maps: [FROZEN],
    },
    {
      name: 'rodata/frozen-4-entries-lookup-read',
      type: XDP,
      asm: `${LOOKUP}\nif r0 == 0 goto +6\nr0 = *(u64 *)(r0 + 0)\n${BODY}\nr0 = 0\nexit`,
      maps: [FROZEN4],
    },
  );
}

// bpf_tail_call returns void to the verifier: R0 is unset when the call falls through.
HAND.push(
  {
    name: 'fuzz/tail-call-leaves-r0-unset',
    type: XDP,
    asm: 'r2 = map[idx:0] ll\nr3 = 0\ncall 12\nexit',
    maps: [PROGS],
  },
  {
    name: 'fuzz/tail-call-then-set-r0',
    type: XDP,
    asm: 'r2 = map[idx:0] ll\nr3 = 0\ncall 12\nr0 = 2\nexit',
    maps: [PROGS],
  },
);

// A sign-extended value whose low half is proven small is that small value in 64 bits too
// (Linux's mixed-bounds deduction), and root may write a pointer at a variable stack offset
// (the bytes become misc).
HAND.push(
  {
    name: 'fuzz/movsx-then-32-bit-bound',
    type: XDP,
    asm: 'call 7\nr7 = (s32)r0\nif w7 >= 7 goto +4\nr1 = r10\nr1 += -8\nr1 += r7\nr0 = *(u8 *)(r1 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/movsx-then-32-bit-bound-too-wide',
    type: XDP,
    asm: 'call 7\nr7 = (s32)r0\nif w7 >= 9 goto +4\nr1 = r10\nr1 += -8\nr1 += r7\nr0 = *(u8 *)(r1 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'fuzz/var-offset-stack-write-of-a-pointer',
    type: XDP,
    asm: 'r2 = 0\n*(u64 *)(r10 - 8) = r2\n*(u64 *)(r10 - 16) = r2\n*(u64 *)(r10 - 24) = r2\n*(u64 *)(r10 - 32) = r2\ncall 7\nr0 &= 3\nr0 <<= 3\nr1 = r10\nr1 += -32\nr1 += r0\n*(u64 *)(r1 + 0) = r1\nr0 = *(u64 *)(r1 + 0)\nexit',
  },
);

// Linux decides a 32-bit `ptr != 0` test of a map value pointer (the low half of a valid pointer
// is taken to be nonzero); the machine too, and its engine keeps pointers' low halves nonzero
// (PTR_LO_BASE), so the dead edge's invalid instruction never runs (the soundness test runs this).
HAND.push({
  name: 'fuzz/map-value-32-bit-ne-0-dead-invalid-insn',
  type: XDP,
  asm: `${LOOKUP}\nif r0 == 0 goto +4\nif w0 != 0 goto +2\n.insn 0xbf, 0, 5, -1, 0\nexit\nr0 = 0\nexit`,
  maps: [ARR],
});

// bpf_get_current_task: every program type for a CAP_PERFMON loader (Linux's base helpers), none
// for an unprivileged one (the socket filter twin is in the unprivileged corpus too).
HAND.push(
  { name: 'fuzz/get-current-task', type: XDP, asm: 'call 35\nr0 = 0\nexit' },
  { name: 'fuzz/get-current-task-socket', type: SOCK, asm: 'call 35\nr0 = 0\nexit' },
);
