/**
 * The IPE policy language for BPF program loads (and IPE's file operations): parse, print,
 * evaluate with audit records, lint, and a set of policies with IPE's version rules. Pure.
 *
 * @module
 */

export * from './evaluate.js';
export * from './lint.js';
export * from './manager.js';
export * from './parser.js';
export * from './print.js';
export * from './types.js';
