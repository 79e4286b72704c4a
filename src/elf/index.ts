/**
 * ELF64 reading and the BPF object model.
 *
 * @module
 */

export * from './btfinfo.js';
export * from './link.js';
export * from './maptypes.js';
export * from './object.js';
export * from './reader.js';
export * from './sections.js';
