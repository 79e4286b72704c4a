/**
 * The target BTF of a backend, found through bpf(2) as any loader can: walk
 * `BPF_BTF_GET_NEXT_ID`, open each BTF object (`BPF_BTF_GET_FD_BY_ID`), and take the one whose
 * `bpf_btf_info` says `kernel_btf` with the name `vmlinux`, reading its bytes with
 * `BPF_OBJ_GET_INFO_BY_FD`. On the kernel backend that is the running kernel's vmlinux BTF (the
 * same bytes as /sys/kernel/btf/vmlinux); on the machine, the machine's own BTF. This is what
 * {@link BpfObject.load} uses when the caller gives no `kernelBtf` option.
 *
 * The result is cached per backend object (the walk and the parse of a 5 MB vmlinux cost tens of
 * milliseconds; see docs/BENCHMARKS.md). Walking ids needs CAP_SYS_ADMIN: without it (EPERM), or
 * when no BTF object is vmlinux, the answer is `undefined`.
 *
 * @module
 */

import { type Btf, parseBtf } from '../btf/index.js';
import type { Backend } from '../sys/backend.js';
import { BpfError } from '../sys/errors.js';
import type { BtfInfo } from '../uapi/info.js';

const cache = new WeakMap<Backend, Btf | null>();

/** The kernel BTF's name in `bpf_btf_info`. */
const VMLINUX = 'vmlinux';

/**
 * The raw bytes of the backend's vmlinux BTF object, or undefined (none, or not allowed to look).
 * Other errors (a backend failure) propagate.
 */
export function readBackendVmlinux(backend: Backend): Uint8Array | undefined {
  let id = 0;
  for (;;) {
    let next: number | undefined;
    try {
      next = backend.btfGetNextId(id);
    } catch (e) {
      if (BpfError.is(e, 'EPERM')) return undefined;
      throw e;
    }
    if (next === undefined) return undefined;
    id = next;
    let fd: ReturnType<Backend['btfGetFdById']>;
    try {
      fd = backend.btfGetFdById(id);
    } catch (e) {
      // Freed between the two calls.
      if (BpfError.is(e, 'ENOENT')) continue;
      if (BpfError.is(e, 'EPERM')) return undefined;
      throw e;
    }
    try {
      const name = new Uint8Array(VMLINUX.length + 1);
      let info: BtfInfo;
      try {
        info = backend.objGetInfoByFd(fd.fd, { kind: 'btf', name });
      } catch (e) {
        // A longer name (a module's) does not fit the buffer: not vmlinux.
        if (BpfError.is(e, 'ENOSPC')) continue;
        throw e;
      }
      if (!info.kernelBtf || info.name !== VMLINUX) continue;
      const bytes = new Uint8Array(info.btfSize);
      backend.objGetInfoByFd(fd.fd, { kind: 'btf', btf: bytes });
      return bytes;
    } finally {
      fd.close();
    }
  }
}

/** The backend's vmlinux BTF, parsed, cached per backend; undefined when there is none to read. */
export function backendKernelBtf(backend: Backend): Btf | undefined {
  const hit = cache.get(backend);
  if (hit !== undefined) return hit ?? undefined;
  const bytes = readBackendVmlinux(backend);
  const btf = bytes === undefined ? undefined : parseBtf(bytes);
  cache.set(backend, btf ?? null);
  return btf;
}
