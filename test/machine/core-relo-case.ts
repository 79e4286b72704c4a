/**
 * Shared by the kernel-side CO-RE tests: a socket-filter program with its own prog BTF (one
 * FUNC, func_info) and `core_relos` records, built by hand so the same attr goes to both
 * backends.
 */
import { BPF_CORE_RELO, Btf } from '../../src/btf/index.js';
import type { Backend } from '../../src/sys/backend.js';
import type { Fd, LoadedFd } from '../../src/sys/fd.js';
import { ProgType } from '../../src/uapi/constants.js';

/** One instruction slot. */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return b;
}

/** Concatenates slots. */
export function prog(...slots: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(slots.length * 8);
  slots.forEach((s, i) => {
    out.set(s, i * 8);
  });
  return out;
}

/** `r0 = imm` (64-bit mov). */
export const mov0 = (imm: number) => insn(0xb7, 0, 0, 0, imm);
/** `r0 += imm`. */
export const add0 = (imm: number) => insn(0x07, 0, 0, 0, imm);
/** `exit`. */
export const exit = () => insn(0x95, 0, 0, 0, 0);
/** `if r0 != imm goto +off`. */
export const jne0 = (imm: number, off: number) => insn(0x55, 0, 0, off, imm);
/** `if r0 == imm goto +off`. */
export const jeq0 = (imm: number, off: number) => insn(0x15, 0, 0, off, imm);
/** `goto +off`. */
export const ja = (off: number) => insn(0x05, 0, 0, off, 0);

/** The local (program) BTF: local flavors of kernel types plus the program's FUNC. */
export interface LocalBtf {
  btf: Btf;
  /** `struct __sk_buff___local { u32 mark; u32 nonexistent; }` */
  skb: number;
  /** `enum xdp_action___local { XDP_PASS = 0, XDP_NOPE = 1 }` */
  xdpAction: number;
  /** `struct task_struct___local { pid_t tgid; }` */
  task: number;
  /** `struct bpf_sock___local { __u32 state; }` with state at offset 0 */
  sock: number;
  /** The FUNC for func_info. */
  func: number;
}

/** Builds the local BTF. */
export function localBtf(): LocalBtf {
  const b = new Btf();
  const u32 = b.addInt('unsigned int', 4);
  const int = b.addInt('int', 4, { encoding: 1 });
  const skb = b.addStruct('__sk_buff___local', 8, [
    { name: 'mark', type: u32, bitOffset: 0 },
    { name: 'nonexistent', type: u32, bitOffset: 32 },
  ]);
  const xdpAction = b.addEnum('xdp_action___local', 4, [
    { name: 'XDP_PASS', value: 0 },
    { name: 'XDP_NOPE', value: 1 },
  ]);
  const task = b.addStruct('task_struct___local', 4, [{ name: 'tgid', type: int, bitOffset: 0 }]);
  const sock = b.addStruct('bpf_sock___local', 4, [{ name: 'state', type: u32, bitOffset: 0 }]);
  const ptr = b.addPtr(skb);
  const proto = b.addFuncProto(int, [{ name: 'ctx', type: ptr }]);
  const func = b.addFunc('prog', proto, 'global');
  return { btf: b, skb, xdpAction, task, sock, func };
}

/** A CO-RE record: instruction slot, local type id, access string, kind. */
export interface Relo {
  slot: number;
  typeId: number;
  access: string;
  kind: number;
}

/** What {@link loadWithRelos} loads: instructions, the local BTF and the records. */
export interface CoreCase {
  insns: Uint8Array;
  relos: Relo[];
  /** Record size (default 16). */
  recSize?: number;
  /** Leave func_info out (the kernel then ignores core_relos). */
  noFuncInfo?: boolean;
  /** A nonzero byte past the 16 known bytes of each record (needs recSize > 16). */
  tail?: number;
  /** Log level (default 1). */
  logLevel?: number;
  /** A prog_btf_fd to pass instead of the loaded local BTF. */
  progBtfFd?: number;
}

/** Encodes the `bpf_core_relo` records, adding the access strings to `btf`. */
export function encodeRelos(btf: Btf, relos: readonly Relo[], recSize = 16): Uint8Array {
  const out = new Uint8Array(relos.length * recSize);
  const dv = new DataView(out.buffer);
  relos.forEach((r, i) => {
    const fields = [r.slot * 8, r.typeId, btf.addString(r.access), r.kind];
    for (let f = 0; f < 4 && f * 4 + 4 <= recSize; f++) dv.setUint32(i * recSize + f * 4, fields[f]!, true);
  });
  return out;
}

/** Loads the case on `backend` (log level 1); returns the fd, or the error. */
export function loadWithRelos(backend: Backend, c: CoreCase): { fd?: LoadedFd; error?: unknown } {
  const l = localBtf();
  const relos = encodeRelos(l.btf, c.relos, c.recSize);
  if (c.tail !== undefined) for (let i = 16; i < relos.length; i += c.recSize ?? 16) relos[i] = c.tail;
  let btfFd: Fd | undefined;
  try {
    btfFd = backend.btfLoad({ btf: l.btf.serialize() });
    const fi = new Uint8Array(8);
    new DataView(fi.buffer).setUint32(4, l.func, true);
    try {
      const fd = backend.progLoad({
        progType: ProgType.SOCKET_FILTER,
        insns: c.insns,
        license: 'GPL',
        logLevel: c.logLevel ?? 1,
        progBtfFd: c.progBtfFd ?? btfFd.fd,
        ...(c.noFuncInfo ? {} : { funcInfo: fi, funcInfoRecSize: 8 }),
        coreRelos: relos,
        coreReloRecSize: c.recSize ?? 16,
      });
      return { fd };
    } catch (e) {
      return { error: e };
    }
  } finally {
    btfFd?.close();
  }
}

export { BPF_CORE_RELO };
