/**
 * A tiny raw bpf(2) caller for tests only: lets a test (or a developer at a prompt) observe what
 * the running kernel answers for an operation, independent of src/sys/kernel. Never used by
 * src/. Linux x86-64 only (syscall number 321).
 */
import koffi from 'koffi';

const SYS_BPF = 321;
const ATTR_SIZE = 256;

let sys: ((nr: number, cmd: number, attr: Uint8Array, size: number) => number) | undefined;

function syscall(): (nr: number, cmd: number, attr: Uint8Array, size: number) => number {
  if (sys === undefined) {
    const lib = koffi.load('libc.so.6');
    sys = lib.func('long syscall(long nr, long cmd, void *attr, long size)') as unknown as typeof sys;
  }
  return sys!;
}

/** Result of one raw call: the return value, or -errno. */
export type Raw = number;

/** Address of a buffer, for pointer fields of an attr. */
export function addr(b: Uint8Array): bigint {
  return koffi.address(b) as bigint;
}

/** Calls bpf(cmd, attr) with a 256-byte attr filled by `fill`; returns the result or -errno. */
export function bpf(cmd: number, fill: (dv: DataView, attr: Uint8Array) => void): Raw {
  const attr = new Uint8Array(ATTR_SIZE);
  fill(new DataView(attr.buffer), attr);
  const r = syscall()(SYS_BPF, cmd, attr, ATTR_SIZE);
  if (r < 0) return -koffi.errno();
  return r;
}

/** Like {@link bpf} but also returns the attr after the call (for out fields). */
export function bpfAttr(cmd: number, fill: (dv: DataView, attr: Uint8Array) => void): [Raw, DataView] {
  const attr = new Uint8Array(ATTR_SIZE);
  const dv = new DataView(attr.buffer);
  fill(dv, attr);
  const r = syscall()(SYS_BPF, cmd, attr, ATTR_SIZE);
  return [r < 0 ? -koffi.errno() : r, dv];
}

/** close(2). */
export function closeFd(fd: number): void {
  const lib = koffi.load('libc.so.6');
  const close = lib.func('int close(int fd)') as unknown as (fd: number) => number;
  close(fd);
}
