/**
 * Assemblers and disassemblers for the two BPF assembly syntaxes: the conformance suite's
 * (`mov %r0, 1`) and LLVM's C-like one (`r0 = 1`).
 *
 * @module
 */

export * from './api.js';
export * from './common.js';
export * from './conformance.js';
export * from './llvm.js';
export {
  formatImm64,
  formatKfunc,
  formatPseudo,
  formatRaw,
  type PseudoOperand,
  Scanner,
  signed,
} from './scanner.js';
