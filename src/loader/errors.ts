/**
 * Errors of the loader. {@link LoaderError} names where a problem is: the program, the
 * instruction (slot in the linked program), the symbol or the map. {@link ProgramLoadError} is a
 * failed `BPF_PROG_LOAD` with the verifier log and the source line of the failing instruction.
 *
 * @module
 */

import { VerifierError } from '../sys/errors.js';

/** Where a loader problem is. */
export interface LoaderPlace {
  /** Program name. */
  program?: string;
  /** Instruction slot in the linked program. */
  insn?: number;
  /** The symbol (map, extern, function, type) involved. */
  symbol?: string;
  /** The map involved. */
  map?: string;
}

function placeText(p: LoaderPlace): string {
  const parts: string[] = [];
  if (p.program !== undefined) parts.push(`program '${p.program}'`);
  if (p.insn !== undefined) parts.push(`insn ${p.insn}`);
  if (p.map !== undefined && p.program === undefined) parts.push(`map '${p.map}'`);
  return parts.join(' ');
}

/** A problem the loader found in an object, its options or the target (not a syscall failure). */
export class LoaderError extends Error {
  /** Program name, when the problem is in a program. */
  readonly program: string | undefined;
  /** Instruction slot in the linked program. */
  readonly insn: number | undefined;
  /** Symbol involved. */
  readonly symbol: string | undefined;
  /** Map involved. */
  readonly map: string | undefined;

  /**
   * @param place - where
   * @param reason - what is wrong
   * @param cause - the underlying error (e.g. the BpfError of a failed syscall)
   */
  constructor(place: LoaderPlace, reason: string, cause?: unknown) {
    const where = placeText(place);
    super(where ? `${where}: ${reason}` : reason, cause === undefined ? undefined : { cause });
    this.name = 'LoaderError';
    this.program = place.program;
    this.insn = place.insn;
    this.symbol = place.symbol;
    this.map = place.map;
  }
}

/** A source position from `.BTF.ext` line_info. */
export interface SourceLine {
  /** File name. */
  file: string;
  /** Line number. */
  line: number;
  /** Column. */
  column: number;
  /** The line's text. */
  text: string;
}

/**
 * A program the kernel (or machine) refused: the {@link VerifierError} with the program name, the
 * instruction the log ends at and, when the object has line_info, its source line. The message
 * starts with `program 'x' insn N (file:line: text)`.
 */
export class ProgramLoadError extends VerifierError {
  /** Program name. */
  readonly program: string;
  /** Last instruction the log mentions, if any. */
  readonly insn: number | undefined;
  /** Source line of {@link insn}, from line_info. */
  readonly source: SourceLine | undefined;
  /** What the loader knows about the failing instruction, e.g. an unresolved CO-RE relocation. */
  readonly hint: string | undefined;

  /**
   * @param program - program name
   * @param cause - the backend's error
   * @param insn - the instruction
   * @param source - its source line
   * @param hint - what the loader knows about that instruction (e.g. an unresolved CO-RE relocation)
   */
  constructor(
    program: string,
    cause: VerifierError,
    insn: number | undefined,
    source: SourceLine | undefined,
    hint?: string,
  ) {
    super(cause.command, cause.errno, cause.log, cause.truncated);
    this.name = 'ProgramLoadError';
    this.program = program;
    this.insn = insn;
    this.source = source;
    let where = `program '${program}'`;
    if (insn !== undefined) where += ` insn ${insn}`;
    if (source !== undefined) where += ` (${source.file}:${source.line}: ${source.text.trim()})`;
    this.hint = hint;
    this.message = `${where}: ${hint !== undefined ? `${hint}: ` : ''}${this.message}`;
  }
}

/**
 * The backend cannot do what the object needs (e.g. struct_ops maps on the machine). Names the
 * map or program and the feature; the backend's error, if any, is the cause.
 */
export class UnsupportedError extends LoaderError {
  /** The missing feature, e.g. `'struct_ops'`. */
  readonly feature: string;

  /**
   * @param place - the map or program that needs the feature
   * @param feature - the feature
   * @param reason - what is missing
   * @param cause - the backend's error
   */
  constructor(place: LoaderPlace, feature: string, reason: string, cause?: unknown) {
    super(place, reason, cause);
    this.name = 'UnsupportedError';
    this.feature = feature;
  }
}
