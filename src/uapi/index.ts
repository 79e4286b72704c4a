/**
 * The bpf(2) ABI of Linux 6.18: constants, byte layouts of `union bpf_attr` and the info structs,
 * typed attrs with their codec (encode for the kernel backend, decode for the machine's
 * `bpf_sys_bpf`). Pure: no `node:*`, no FFI.
 *
 * @module
 */

export * from './attrs.js';
export * from './codec.js';
export * from './constants.js';
export * from './info.js';
export * from './layout.js';
export * from './memory.js';
