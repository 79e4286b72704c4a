/**
 * Program contexts for test runs: `struct xdp_md` and a `struct __sk_buff` subset, built as ctx
 * regions whose pointer fields load as 64-bit packet pointers (what the kernel's ctx access
 * rewriting gives a program), plus the plain `r1 = mem, r2 = len` convention of the conformance
 * suite.
 *
 * @module
 */

import type { Vm } from './interp.js';
import { Perm, regionPtr } from './memory.js';

/** Size of `struct xdp_md`. */
export const XDP_MD_SIZE = 24;
/** Size of `struct __sk_buff`. */
export const SK_BUFF_SIZE = 192;

const SKB = { len: 0, protocol: 16, data: 76, data_end: 80, data_meta: 140, sk: 168 } as const;

/** A context made for one run: the arguments to pass and the regions behind them. */
export interface RunContext {
  /** r1..r5 for {@link Vm.run}. */
  readonly args: readonly bigint[];
  /** The packet or memory bytes (aliased: the program's writes show here). */
  readonly data: Uint8Array;
  /** The ctx bytes (aliased), when there is a ctx struct. */
  readonly ctx?: Uint8Array;
}

/**
 * `struct xdp_md` over `packet`: `data`, `data_meta` load as the packet pointer, `data_end` as
 * one past its end; `ingress_ifindex`/`rx_queue_index`/`egress_ifindex` come from `ctxIn`
 * (24 bytes, optional). The packet is read-write. Call `vm.memory.reset()` first when reusing a Vm.
 */
export function xdpContext(vm: Vm, packet: Uint8Array, ctxIn?: Uint8Array): RunContext {
  const pkt = vm.memory.addRegion('packet', packet, Perm.RW);
  const ctx = new Uint8Array(XDP_MD_SIZE);
  if (ctxIn) ctx.set(ctxIn.subarray(0, XDP_MD_SIZE));
  const end = pkt + BigInt(packet.length);
  const ctxPtr = vm.memory.addRegion('ctx', ctx, Perm.R, {
    load(offset, size) {
      if (size !== 4) return undefined;
      if (offset === 0 || offset === 8) return pkt;
      if (offset === 4) return end;
      return undefined;
    },
  });
  return { args: [ctxPtr], data: packet, ctx };
}

/**
 * A `struct __sk_buff` subset over `packet` for socket filters and tc programs: `len` is the
 * packet length, `data`/`data_meta` load as the packet pointer and `data_end` as its end,
 * `cb[]`, `mark`, `priority` and `tc_index` are writable; `sk` loads as NULL (no socket); other
 * fields read as stored in `ctxIn` (or zero). LD_ABS/LD_IND read this packet.
 */
export function skbContext(vm: Vm, packet: Uint8Array, ctxIn?: Uint8Array): RunContext {
  const pktId = vm.memory.add('packet', packet, Perm.RW);
  const pkt = regionPtr(pktId, 0);
  vm.packetRegion = pktId;
  const ctx = new Uint8Array(SK_BUFF_SIZE);
  if (ctxIn) ctx.set(ctxIn.subarray(0, SK_BUFF_SIZE));
  const dv = new DataView(ctx.buffer);
  dv.setUint32(SKB.len, packet.length, true);
  const end = pkt + BigInt(packet.length);
  const writable = (o: number): boolean => o === 8 || o === 32 || o === 44 || (o >= 48 && o < 68);
  const ctxPtr = vm.memory.addRegion('ctx', ctx, Perm.RW, {
    load(offset, size) {
      // `sk`: the machine's skb belongs to no socket (the verifier makes programs null-check it).
      if (offset === SKB.sk && size === 8) return 0n;
      if (size !== 4) return undefined;
      if (offset === SKB.data || offset === SKB.data_meta) return pkt;
      if (offset === SKB.data_end) return end;
      return undefined;
    },
    store(offset, size, value) {
      if (size !== 4 || !writable(offset)) return false;
      dv.setUint32(offset, Number(value & 0xffffffffn), true);
      return true;
    },
  });
  return { args: [ctxPtr], data: packet, ctx };
}

/** The conformance-suite convention: r1 = pointer to `mem` (read-write), r2 = its length. */
export function memContext(vm: Vm, mem: Uint8Array): RunContext {
  if (mem.length === 0) return { args: [0n, 0n], data: mem };
  return { args: [vm.memory.addRegion('mem', mem, Perm.RW), BigInt(mem.length)], data: mem };
}
