/**
 * One entry point for both syntaxes: {@link assemble}, {@link disassemble}, {@link detectSyntax}.
 *
 * @module
 */

import type { Insn } from '../insn.js';
import type { AssembleOptions, DisassembleOptions, Syntax } from './common.js';
import { assembleConformance, disassembleConformance } from './conformance.js';
import { assembleLlvm, disassembleLlvm } from './llvm.js';

/** Options of {@link assemble}. */
export interface AnySyntaxAssembleOptions extends AssembleOptions {
  /** The syntax; default {@link detectSyntax}. */
  syntax?: Syntax;
}

/** Assembles `text` in the given syntax (default: detected). */
export function assemble(text: string, options: AnySyntaxAssembleOptions = {}): Insn[] {
  const syntax = options.syntax ?? detectSyntax(text);
  return syntax === 'llvm' ? assembleLlvm(text, options) : assembleConformance(text, options);
}

/** Disassembles `insns` in the given syntax (default `llvm`). */
export function disassemble(
  insns: readonly Insn[],
  options: DisassembleOptions & { syntax?: Syntax } = {},
): string {
  return (options.syntax ?? 'llvm') === 'llvm'
    ? disassembleLlvm(insns, options)
    : disassembleConformance(insns, options);
}

/**
 * Guesses the syntax of assembly text from its first telling line: `%r` registers or `[` memory
 * operands mean the conformance syntax; ` = `, `*(`, `if `, `goto`, `lock *` or `rN`/`wN` at the
 * start mean LLVM. Lines that fit both (`exit`, `call 1`, labels, comments) are skipped. Default:
 * conformance.
 */
export function detectSyntax(text: string): Syntax {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    const h = line.indexOf('#');
    if (h >= 0) line = line.slice(0, h);
    const c = line.indexOf('//');
    if (c >= 0) line = line.slice(0, c);
    line = line.replace(/^\s*[A-Za-z_.$][\w.$]*:/, '').trim();
    if (line === '') continue;
    if (line.includes('%r') || line.includes('[%')) return 'conformance';
    if (
      /^(if\s|goto|gotol|may_goto|callx|lock\s*\*|\*\s*\(|store_release|[rw]\d+\s*[-+*/|&^%<>s]*=)/.test(line)
    )
      return 'llvm';
  }
  return 'conformance';
}
