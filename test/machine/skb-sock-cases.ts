/**
 * Programs and frames that look at the socket `BPF_PROG_TEST_RUN` gives an skb
 * (`__sk_buff->sk`): reads of every `struct bpf_sock` field through the sock_common pointer and
 * through `bpf_sk_fullsock`, narrow reads, and the socket helpers (`bpf_sk_fullsock`,
 * `bpf_tcp_sock`, `bpf_get_listener_sock`, `bpf_get_socket_cookie`, `bpf_get_socket_uid`).
 * Shared by test/machine/skb-sock.test.ts and bench/skb-sock-probe.ts.
 */
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { ProgType as T } from '../../src/uapi/constants.js';

/** r0 when `__sk_buff->sk` is NULL (or a helper gave NULL where the program needs a socket). */
export const NO_SOCK = 0x5eadbeef;

/** The program types whose test runner is `bpf_prog_test_run_skb`. */
export const SKB_TYPES: readonly (readonly [string, number])[] = [
  ['socket_filter', T.SOCKET_FILTER],
  ['sched_cls', T.SCHED_CLS],
  ['sched_act', T.SCHED_ACT],
  ['cgroup_skb', T.CGROUP_SKB],
  ['lwt_in', T.LWT_IN],
  ['lwt_out', T.LWT_OUT],
  ['lwt_xmit', T.LWT_XMIT],
];

const SK = 'r7 = *(u64 *)(r6 + 168)\nif r7 == 0 goto nosk\n';
const NOSK = `nosk:\nr0 = ${NO_SOCK} ll\ngoto out\n`;
const FULL = `${SK}r1 = r7\ncall 95\nif r0 == 0 goto nosk\nr7 = r0\n`;

/** `struct bpf_sock` field offsets (4-byte words). */
const SOCK_WORDS: readonly (readonly [string, number])[] = [
  ['bound_dev_if', 0],
  ['family', 4],
  ['type', 8],
  ['protocol', 12],
  ['mark', 16],
  ['priority', 20],
  ['src_ip4', 24],
  ['src_ip6[0]', 28],
  ['src_ip6[1]', 32],
  ['src_ip6[2]', 36],
  ['src_ip6[3]', 40],
  ['src_port', 44],
  ['dst_port', 48],
  ['dst_ip4', 52],
  ['dst_ip6[0]', 56],
  ['dst_ip6[1]', 60],
  ['dst_ip6[2]', 64],
  ['dst_ip6[3]', 68],
  ['state', 72],
  ['rx_queue_mapping', 76],
];

/** sock_common may not read `type` .. `priority` (8 .. 24). */
const COMMON = (off: number): boolean => off < 8 || off >= 24;

/**
 * Wraps a body (r6 = ctx on entry; it ends with `goto out` and r0 = the answer): the answer is
 * stored in `cb[0]` (read back through ctx_out, as cgroup_skb programs may only return 0 or 1)
 * and the program returns 1.
 */
function wrap(body: string): string {
  return `r6 = r1\n${body}out:\n*(u32 *)(r6 + 48) = r0\nr0 = 1\nexit\n`;
}

const OUT = 'goto out\n';

/**
 * A program that reads `size` bytes at `off` through `__sk_buff->sk` (or through
 * `bpf_sk_fullsock(sk)` when `full`) and answers the low 32 bits of what it read.
 */
export function sockRead(full: boolean, off: number, size: number): string {
  const w = `u${size * 8}`;
  return full
    ? wrap(`${FULL}r0 = *(${w} *)(r0 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\n${OUT}${NOSK}`)
    : wrap(`${SK}r0 = *(${w} *)(r7 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\n${OUT}${NOSK}`);
}

/** Named programs (LLVM syntax); each leaves a u32 answer in `cb[0]`. */
export const PROGRAMS: Readonly<Record<string, string>> = (() => {
  const p: Record<string, string> = {};
  const add = (name: string, body: string): void => {
    p[name] = wrap(body);
  };
  add('sk != NULL', `${SK}r0 = 1\n${OUT}${NOSK}`);
  for (const [name, off] of SOCK_WORDS) {
    if (COMMON(off)) add(`sk->${name}`, `${SK}r0 = *(u32 *)(r7 + ${off})\n${OUT}${NOSK}`);
    add(`fullsock->${name}`, `${FULL}r0 = *(u32 *)(r0 + ${off})\n${OUT}${NOSK}`);
  }
  // Narrow reads: the kernel loads the field and (for addresses and ports) picks the bytes.
  for (const [off, size] of [
    [4, 1],
    [5, 1],
    [4, 2],
    [24, 1],
    [25, 1],
    [26, 2],
    [27, 1],
    [40, 2],
    [42, 1],
    [44, 1],
    [44, 2],
    [48, 2],
    [49, 1],
    [50, 2],
    [52, 2],
    [55, 1],
    [70, 2],
    [72, 1],
    [72, 2],
    [76, 1],
    [76, 2],
  ] as const) {
    const w = size === 1 ? 'u8' : 'u16';
    add(`sk->(${w} *)${off}`, `${SK}r0 = *(${w} *)(r7 + ${off})\n${OUT}${NOSK}`);
  }
  for (const [off, size] of [
    [76, 4],
    [76, 2],
    [76, 1],
  ] as const) {
    const w = `u${size * 8}`;
    add(`sk->(${w} *)${off} >> 32`, `${SK}r0 = *(${w} *)(r7 + ${off})\nr0 >>= 32\n${OUT}${NOSK}`);
  }
  add('fullsock->(u8 *)8', `${FULL}r0 = *(u8 *)(r0 + 8)\n${OUT}${NOSK}`);
  add('fullsock->(u16 *)12', `${FULL}r0 = *(u16 *)(r0 + 12)\n${OUT}${NOSK}`);
  add('fullsock->(u8 *)16', `${FULL}r0 = *(u8 *)(r0 + 16)\n${OUT}${NOSK}`);
  add(
    'fullsock == sk',
    `${SK}r1 = r7\ncall 95\nr1 = 1\nif r0 == r7 goto same\nr1 = 2\nsame:\nr0 = r1\n${OUT}${NOSK}`,
  );
  add('tcp_sock(sk) != NULL', `${SK}r1 = r7\ncall 96\nif r0 == 0 goto out\nr0 = 1\n${OUT}${NOSK}`);
  add('tcp_sock(fullsock) != NULL', `${FULL}r1 = r0\ncall 96\nif r0 == 0 goto out\nr0 = 1\n${OUT}${NOSK}`);
  add('get_listener_sock(sk) != NULL', `${SK}r1 = r7\ncall 98\nif r0 == 0 goto out\nr0 = 1\n${OUT}${NOSK}`);
  // The cookie is a kernel-wide counter: compare its properties, not its value.
  add(
    'cookie != 0, stable in a run',
    `r1 = r6\ncall 46\nr7 = r0\nr1 = r6\ncall 46\nr1 = r0\nr0 = 0\nif r1 != r7 goto out\nif r1 == 0 goto out\nr0 = 1\n${OUT}`,
  );
  add('cookie >> 32', `r1 = r6\ncall 46\nr0 >>= 32\n${OUT}`);
  add('uid', `r1 = r6\ncall 47\n${OUT}`);
  return p;
})();

/** An Ethernet frame of `len` bytes with the ethertype `proto` and a recognisable pattern. */
function frame(len: number, proto: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 13 + 7) & 0xff;
  f[0] = 0x02; // a unicast destination MAC
  f[12] = proto >> 8;
  f[13] = proto & 0xff;
  return f;
}

/** IPv4, IPv6 and other frames (addresses in the header differ from byte to byte). */
export const FRAMES: readonly (readonly [string, Uint8Array])[] = (() => {
  const v4 = frame(64, 0x0800);
  v4[14] = 0x45;
  v4[23] = 6; // TCP
  v4.set([192, 0, 2, 1], 26);
  v4.set([198, 51, 100, 7], 30);
  const v6 = frame(96, 0x86dd);
  v6[14] = 0x60;
  v6[20] = 17; // UDP
  for (let i = 0; i < 16; i++) {
    v6[22 + i] = 0x20 + i;
    v6[38 + i] = 0xa0 + i;
  }
  return [
    ['ipv4', v4],
    ['ipv6', v6],
    ['arp', frame(60, 0x0806)],
    ['other', frame(14, 0x88b5)],
  ];
})();

/** `load EINVAL`, `run ENOTSUPP`, or the program's answer (`cb[0]` after the run) in decimal. */
export function runCase(b: Backend, progType: number, text: string, data: Uint8Array, repeat = 0): string {
  let fd: ReturnType<Backend['progLoad']>;
  try {
    fd = b.progLoad({ progType, insns: encode(assembleLlvm(text)), license: 'GPL' });
  } catch (e) {
    if (e instanceof BpfError) return `load ${e.code}`;
    throw e;
  }
  try {
    // The skb's mark and priority are not the socket's.
    const ctxIn = new Uint8Array(192);
    ctxIn[8] = 0x11;
    ctxIn[32] = 0x22;
    const ctxOut = new Uint8Array(192);
    b.progTestRun({ progFd: fd.fd, dataIn: data.slice(), ctxIn, ctxOut, repeat });
    return String(new DataView(ctxOut.buffer).getUint32(48, true));
  } catch (e) {
    if (e instanceof BpfError) return `run ${e.code}`;
    throw e;
  } finally {
    fd.close();
  }
}
