/**
 * Module BTF: kernel modules describe their types, kfuncs and variables in split BTF on top of
 * vmlinux (`/sys/kernel/btf/<module>`, or the backend's BTF objects flagged `kernel_btf` other
 * than vmlinux). The loader looks ksyms, kfuncs and CO-RE candidates up in vmlinux first, then in
 * each module, and refers to a module's BTF object by fd: in `insn[1].imm` of a ksym ld_imm64,
 * and through the program's fd_array (the call's `off` is the index) for a kfunc.
 *
 * @module
 */

import { type Btf, parseBtf } from '../btf/index.js';
import type { Backend } from '../sys/backend.js';
import { BpfError } from '../sys/errors.js';

/** One module's BTF. */
export interface ModuleBtf {
  /** Module name (`nf_conntrack`). */
  readonly name: string;
  /** Its split BTF, parsed on top of the vmlinux BTF the loader uses. */
  readonly btf: Btf;
  /** The kernel's BTF object id: the loader opens an fd with BPF_BTF_GET_FD_BY_ID when needed. */
  readonly id?: number;
  /** An fd of the module's BTF object, used instead of {@link id} (the caller keeps it open). */
  readonly fd?: number;
}

/**
 * The module BTFs the backend has: every BTF object flagged `kernel_btf` except vmlinux, with its
 * name and id, parsed as split BTF on top of `vmlinux`. Objects that disappear while listing
 * (a module unloaded) are skipped.
 */
export function discoverModuleBtf(backend: Backend, vmlinux: Btf): ModuleBtf[] {
  const out: ModuleBtf[] = [];
  for (let id = backend.btfGetNextId(0); id !== undefined; id = backend.btfGetNextId(id)) {
    let fd: ReturnType<Backend['btfGetFdById']>;
    try {
      fd = backend.btfGetFdById(id);
    } catch (e) {
      if (BpfError.is(e, 'ENOENT')) continue;
      throw e;
    }
    try {
      const name = new Uint8Array(64);
      const head = backend.objGetInfoByFd(fd.fd, { kind: 'btf', name });
      if (!head.kernelBtf || head.name === 'vmlinux') continue;
      const raw = new Uint8Array(head.btfSize);
      backend.objGetInfoByFd(fd.fd, { kind: 'btf', btf: raw });
      out.push({ name: head.name, id, btf: parseBtf(raw, { base: vmlinux, section: `btf:${head.name}` }) });
    } finally {
      fd.close();
    }
  }
  return out;
}
