/**
 * The instruction layer: opcodes, the instruction model, encoding and decoding (both byte
 * orders), builders, the assemblers and the disassemblers.
 *
 * @module
 */

export * from './asm/index.js';
export * from './builder.js';
export * from './codec.js';
export * from './conformance-data.js';
export * from './insn.js';
export * from './opcodes.js';
