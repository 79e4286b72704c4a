/**
 * ELF64 reading and the BPF object model.
 *
 * @module
 */

export * from './reader.js';
