/**
 * The FFI: libc's `syscall`, `close`, and the socket calls, through koffi. koffi is loaded lazily,
 * on the first call of {@link ffi}, so importing tsbpf (even `tsbpf/sys/kernel`) on a machine
 * without bpf(2) — macOS, a browser bundle — never touches FFI.
 *
 * @module
 */

import { createRequire } from 'node:module';

/** Syscall numbers of the architectures tsbpf runs bpf(2) on. */
const SYSCALLS: Record<string, { bpf: number; addKey: number; keyctl: number }> = {
  x64: { bpf: 321, addKey: 248, keyctl: 250 },
  arm64: { bpf: 280, addKey: 217, keyctl: 219 },
  riscv64: { bpf: 280, addKey: 217, keyctl: 219 },
  loong64: { bpf: 280, addKey: 217, keyctl: 219 },
};

/** The native functions tsbpf uses. Addresses are numbers (user addresses are below 2^53). */
export interface Ffi {
  /** `syscall(SYS_bpf, cmd, attr, size)`; `attr` is passed by pointer. */
  bpf(cmd: number, attr: Uint8Array, size: number): number;
  /**
   * `syscall(SYS_bpf, cmd, attrAddress, size)` with the attr's address as a number: all-integer
   * arguments, the cheapest call koffi makes (the element-operation hot path).
   */
  bpfAt(cmd: number, attrAddress: number, size: number): number;
  /** The raw koffi function behind {@link Ffi.bpfAt}: `syscall(nr, a, b, c)` with integers. */
  readonly syscall4: (nr: number, a: number, b: number, c: number) => number;
  /**
   * The element-operation hot path: `syscall(nr, cmd, attrAddress, size)` declared with 32-bit
   * `cmd` and `size` and a 32-bit result, which koffi converts more cheaply than 64-bit ones. Safe
   * for bpf(2): the kernel's syscall wrapper truncates `cmd` (int) and `size` (unsigned int)
   * itself, so their upper register halves do not matter, and element commands return 0 or -1.
   * Only `nr` and the address need all 64 bits, and they are declared `long`.
   */
  readonly bpfElem: (nr: number, cmd: number, attrAddress: number, size: number) => number;
  /** `SYS_bpf` of this architecture. */
  readonly nrBpf: number;
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
  const bpfAt = libc.func('long syscall(long nr, long cmd, long attr, long size)');
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
  return {
    bpf: (cmd, attr, size) => bpf(bpfNr, cmd, attr, size),
    bpfAt: (cmd, attrAddress, size) => bpfAt(bpfNr, cmd, attrAddress, size),
    syscall4: bpfAt,
    bpfElem,
    nrBpf: bpfNr,
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
