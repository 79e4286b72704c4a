/**
 * The loader: a BPF ELF object (an `ObjectSpec` from `src/elf`) turned into live maps and
 * programs through any `Backend` (the kernel or the machine), as libbpf's
 * `bpf_object__open`/`bpf_object__load` does: BTF fix-ups and sanitizing, global data, map-in-map
 * and prog_array slots, pinning by name, relocation (maps, global data, subprograms, kconfig,
 * ksyms, kfuncs, CO-RE), program loading with func/line info and source-level verifier errors,
 * exclusive maps bound to one program's hash, resizable global data and struct_ops maps.
 *
 * Pure: no `node:*` imports; files (objects, vmlinux BTF, kernel config) are read by the caller.
 *
 * @module
 */

export * from './btfraw.js';
export * from './collection.js';
export * from './core.js';
export * from './errors.js';
export * from './features.js';
export * from './format.js';
export * from './kconfig.js';
export * from './modules.js';
export * from './object.js';
export * from './structops.js';
