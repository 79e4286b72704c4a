/**
 * tsbpf: the Linux eBPF trusted-loading system in TypeScript.
 *
 * The root entry re-exports the pure layers. The kernel backend (FFI) lives at `tsbpf/sys/kernel`
 * and is never loaded by importing this module.
 *
 * @module
 */

export * from './hash/index.js';
export * from './isa/index.js';
export * from './policy/index.js';
export * from './util/index.js';
