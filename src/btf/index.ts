/**
 * BTF (BPF Type Format): the type model, a parser for raw and split BTF in either byte order, a
 * builder and serializer that round-trip byte-exactly, queries (by id, by name and kind, sizes,
 * alignment, member offsets), `.BTF.ext` (func_info, line_info, CO-RE relocations), and a C
 * header dump like `bpftool btf dump ... format c`.
 *
 * Pure: no `node:*` imports.
 *
 * @module
 */

export * from './btf.js';
export * from './cdump.js';
export * from './core.js';
export * from './ext.js';
export * from './kinds.js';
export * from './raw.js';
export * from './strings.js';
export * from './types.js';
