/**
 * The FFI: libc's `syscall`, `close`, and the socket calls, through koffi. koffi is loaded lazily,
 * on the first call of {@link ffi}, so importing tsbpf (even `tsbpf/sys/kernel`) on a machine
 * without bpf(2) — macOS, a browser bundle — never touches FFI.
 *
 * @module
 */

import { createRequire } from 'node:module';
import { Cmd } from '../../uapi/constants.js';

/** Syscall numbers of the architectures tsbpf runs bpf(2) on. */
const SYSCALLS: Record<string, { bpf: number; addKey: number; keyctl: number }> = {
  x64: { bpf: 321, addKey: 248, keyctl: 250 },
  arm64: { bpf: 280, addKey: 217, keyctl: 219 },
  riscv64: { bpf: 280, addKey: 217, keyctl: 219 },
  loong64: { bpf: 280, addKey: 217, keyctl: 219 },
};

/**
 * One bpf(2) element command with its arguments bound: `() => 0 | -errno`.
 *
 * On x86-64 it is a native stub without parameters, generated once per command when the FFI loads:
 * `endbr64; mov edi, cmd; mov rsi, attr; mov edx, 32; mov eax, SYS_bpf; syscall; ret`, written to an
 * anonymous page that is then made read+execute (never writable and executable at once). koffi
 * calls a function without parameters on its cheapest path: no argument conversion, no libc
 * `syscall` wrapper, and the result is `-errno` itself, so errno is never read. Measured in paired
 * A/B rounds on Node 20, that is 35-55 ns less per map lookup than libc's `syscall` with four
 * integer arguments; what remains of the FFI is koffi's own call (~40 ns over a C syscall).
 *
 * The stubs are checked against libc's `syscall` right after they are made. Where the page cannot be
 * made executable (e.g. an SELinux execmem denial), the check disagrees, or on other architectures,
 * the call is libc's `syscall(SYS_bpf, cmd, attr, 32)`, with errno read on failure. Each isolate
 * (main thread, worker) that loads the FFI maps one page for its stubs, kept until the process ends.
 */
export type ElemCall = () => number;

/** The element commands of {@link Ffi.elem}. */
export interface ElemCalls {
  /** `BPF_MAP_LOOKUP_ELEM`. */
  readonly lookup: ElemCall;
  /** `BPF_MAP_UPDATE_ELEM`. */
  readonly update: ElemCall;
  /** `BPF_MAP_DELETE_ELEM`. */
  readonly delete: ElemCall;
  /** `BPF_MAP_GET_NEXT_KEY`. */
  readonly getNextKey: ElemCall;
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM`. */
  readonly lookupAndDelete: ElemCall;
}

/** The command of each {@link ElemCalls} member. */
const ELEM_CMDS: Record<keyof ElemCalls, number> = {
  lookup: Cmd.MAP_LOOKUP_ELEM,
  update: Cmd.MAP_UPDATE_ELEM,
  delete: Cmd.MAP_DELETE_ELEM,
  getNextKey: Cmd.MAP_GET_NEXT_KEY,
  lookupAndDelete: Cmd.MAP_LOOKUP_AND_DELETE_ELEM,
};

/** The native functions tsbpf uses. Addresses are numbers (user addresses are below 2^53). */
export interface Ffi {
  /** `syscall(SYS_bpf, cmd, attr, size)`; `attr` is passed by pointer. */
  bpf(cmd: number, attr: Uint8Array, size: number): number;
  /**
   * The element commands with their arguments bound: each runs bpf(2) on {@link Ffi.elemAttr} and
   * returns 0 or `-errno`. See {@link ElemCall}.
   */
  readonly elem: ElemCalls;
  /**
   * The 32-byte attr every {@link Ffi.elem} call passes to the kernel: one per FFI (per isolate, as
   * the FFI is), its address baked into the calls. Callers fill it right before a call.
   */
  readonly elemAttr: Uint8Array;
  /** How the {@link Ffi.elem} calls reach the kernel (see {@link ElemCall}). */
  readonly elemVia: 'stub' | 'libc';
  /** `syscall(SYS_add_key, type, description, payload, plen, keyring)`. */
  addKey(
    type: string,
    description: string,
    payload: Uint8Array | null,
    plen: number,
    keyring: number,
  ): number;
  /** `syscall(SYS_keyctl, op, a2, a3, a4, a5)`: arguments are integers or addresses. */
  keyctl(op: number, a2: number, a3: number, a4: number, a5: number): number;
  /** `close(fd)`. */
  close(fd: number): number;
  /** `socketpair(domain, type, protocol, sv)`. */
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  /** `setsockopt(fd, level, name, value, len)`. */
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  /** `send(fd, buf, len, flags)`. */
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  /** `recv(fd, buf, len, flags)`. */
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  /** The errno of the last call. */
  errno(): number;
  /** The address of a byte array's first byte (the array's buffer is pinned from then on). */
  address(bytes: Uint8Array): number;
}

let loaded: Ffi | undefined;
let failure: Error | undefined;

/** Why FFI is unavailable (`undefined` if it is, or was never tried). */
export function ffiFailure(): Error | undefined {
  return failure;
}

/**
 * The FFI, loaded on first use. Throws an Error naming the reason (not Linux, unsupported
 * architecture, koffi or libc not loadable).
 */
export function ffi(): Ffi {
  if (loaded !== undefined) return loaded;
  if (failure !== undefined) throw failure;
  try {
    loaded = load();
    return loaded;
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    throw failure;
  }
}

function load(): Ffi {
  if (process.platform !== 'linux') throw new Error(`bpf(2) needs Linux; this is ${process.platform}`);
  const nr = SYSCALLS[process.arch];
  if (nr === undefined) throw new Error(`no syscall numbers for architecture ${process.arch}`);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new Error('big-endian hosts are not supported');
  const require = createRequire(import.meta.url);
  // biome-ignore lint/suspicious/noExplicitAny: koffi's own typings are loose; this module is its only user.
  const koffi: any = require('koffi');
  const libc = koffi.load('libc.so.6');
  const bpf = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const bpfElem = libc.func('int syscall(long nr, int cmd, long attr, int size)');
  const addKey = libc.func(
    'long syscall(long nr, str type, str desc, void *payload, size_t plen, int keyring)',
  );
  const keyctl = libc.func('long syscall(long nr, long op, long a2, long a3, long a4, long a5)');
  const close = libc.func('int close(int fd)');
  const socketpair = libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)');
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');
  const send = libc.func('long send(int fd, void *buf, size_t len, int flags)');
  const recv = libc.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)');
  const errno: () => number = koffi.errno;
  const address: (v: unknown) => bigint = koffi.address;
  const bpfNr = nr.bpf;
  // The element attr owns its ArrayBuffer, so the address baked into the calls stays its address.
  const elemAttr = new Uint8Array(new ArrayBuffer(32));
  const elemAddr = Number(address(elemAttr));
  const viaLibc = (cmd: number): ElemCall => {
    return () => (bpfElem(bpfNr, cmd, elemAddr, 32) === 0 ? 0 : -errno());
  };
  const stubs =
    process.arch === 'x64' ? x64Stubs(koffi, libc, bpfNr, elemAttr, elemAddr, viaLibc) : undefined;
  const make = stubs ?? viaLibc;
  const elem: ElemCalls = {
    lookup: make(ELEM_CMDS.lookup),
    update: make(ELEM_CMDS.update),
    delete: make(ELEM_CMDS.delete),
    getNextKey: make(ELEM_CMDS.getNextKey),
    lookupAndDelete: make(ELEM_CMDS.lookupAndDelete),
  };
  return {
    bpf: (cmd, attr, size) => bpf(bpfNr, cmd, attr, size),
    elem,
    elemAttr,
    elemVia: stubs === undefined ? 'libc' : 'stub',
    addKey: (type, description, payload, plen, keyring) =>
      addKey(nr.addKey, type, description, payload, plen, keyring),
    keyctl: (op, a2, a3, a4, a5) => keyctl(nr.keyctl, op, a2, a3, a4, a5),
    close: (fd) => close(fd),
    socketpair: (domain, type, protocol, sv) => socketpair(domain, type, protocol, sv),
    setsockopt: (fd, level, name, value, len) => setsockopt(fd, level, name, value, len),
    send: (fd, buf, len, flags) => send(fd, buf, len, flags),
    recv: (fd, buf, len, flags) => recv(fd, buf, len, flags),
    errno: () => errno(),
    address: (bytes) => Number(address(bytes)),
  };
}

/** Bytes per x86-64 element stub (31 bytes of code, one `int3` of padding). */
const X64_STUB = 32;

/** The x86-64 stub of {@link ElemCall} for `cmd`. */
function x64StubCode(cmd: number, nr: number, attrAddress: number): Uint8Array {
  const b = new Uint8Array(X64_STUB).fill(0xcc);
  const v = new DataView(b.buffer);
  b.set([0xf3, 0x0f, 0x1e, 0xfa], 0); // endbr64 (a no-op without CET)
  b[4] = 0xbf; // mov edi, imm32
  v.setUint32(5, cmd, true);
  b.set([0x48, 0xbe], 9); // movabs rsi, imm64
  v.setUint32(11, attrAddress >>> 0, true);
  v.setUint32(15, Math.floor(attrAddress / 2 ** 32), true);
  b[19] = 0xba; // mov edx, imm32
  v.setUint32(20, 32, true);
  b[24] = 0xb8; // mov eax, imm32
  v.setUint32(25, nr, true);
  b.set([0x0f, 0x05, 0xc3], 29); // syscall; ret
  return b;
}

/**
 * Writes the x86-64 stubs of every {@link ElemCalls} command to one page, makes it read+execute, and
 * returns the maker of their koffi functions; `undefined` (use libc) if the page cannot be made or
 * made executable, or if a stub disagrees with libc's `syscall` on a call that fails without side
 * effects (a lookup on fd -1).
 */
function x64Stubs(
  // biome-ignore lint/suspicious/noExplicitAny: see load().
  koffi: any,
  // biome-ignore lint/suspicious/noExplicitAny: see load().
  libc: any,
  nr: number,
  attr: Uint8Array,
  attrAddress: number,
  viaLibc: (cmd: number) => ElemCall,
): ((cmd: number) => ElemCall) | undefined {
  const PROT_READ = 1;
  const PROT_WRITE = 2;
  const PROT_EXEC = 4;
  const MAP_PRIVATE = 0x02;
  const MAP_ANONYMOUS = 0x20;
  const PAGE = 4096;
  const cmds = Object.values(ELEM_CMDS);
  let page = 0;
  let munmap: ((addr: number, len: number) => number) | undefined;
  try {
    const mmap = libc.func('long mmap(long addr, size_t len, int prot, int flags, int fd, long off)');
    const mprotect = libc.func('int mprotect(long addr, size_t len, int prot)');
    const copy = libc.func('long memcpy(long dst, void *src, size_t n)');
    munmap = libc.func('int munmap(long addr, size_t len)');
    const proto = koffi.proto('int tsbpf_bpf_elem_stub(void)');
    page = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page === -1 || page === 0) {
      page = 0;
      return undefined;
    }
    const code = new Uint8Array(cmds.length * X64_STUB);
    for (const [i, cmd] of cmds.entries()) code.set(x64StubCode(cmd, nr, attrAddress), i * X64_STUB);
    copy(page, code, code.length);
    if (mprotect(page, PAGE, PROT_READ | PROT_EXEC) !== 0) throw new Error('mprotect');
    const at = page;
    const stub = (cmd: number): ElemCall => {
      const i = cmds.indexOf(cmd);
      if (i < 0) throw new RangeError(`no element stub for bpf command ${cmd}`);
      return koffi.decode(at + i * X64_STUB, proto);
    };
    // Self-check: a lookup on fd -1 fails (EBADF) without side effects; the stub must say the same.
    attr.fill(0);
    new DataView(attr.buffer).setInt32(0, -1, true);
    const want = viaLibc(Cmd.MAP_LOOKUP_ELEM)();
    const got = stub(Cmd.MAP_LOOKUP_ELEM)();
    attr.fill(0);
    if (want < 0 && got === want) return stub;
    throw new Error('element stub disagrees with libc');
  } catch {
    // The page stays mapped only while its stubs are in use (for the life of the FFI).
    if (page !== 0) munmap?.(page, PAGE);
    return undefined;
  }
}
