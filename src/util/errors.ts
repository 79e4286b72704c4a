/**
 * Errors shared by every layer.
 *
 * Malformed input (instructions, assembly, BTF, ELF, keys, policies) is reported as a
 * {@link FormatError} that names where the problem is. Caller mistakes are `TypeError` or
 * `RangeError`. bpf(2) failures are `BpfError` (see `src/sys`).
 *
 * @module
 */

/**
 * Malformed input. `where` names the place in the input: a slot (`slot 3`), a file position
 * (`prog.s:12:5`), a BTF path (`.BTF/types[42]/members[3]`), an ELF section, with the byte offset
 * when there is one.
 */
export class FormatError extends Error {
  /** Where in the input the problem is, e.g. `slot 3`, `prog.s:12:5`, `.BTF/types[42]`. */
  readonly where: string;
  /** What is wrong, without the place. */
  readonly reason: string;
  /** Byte offset of the problem in the input, when known. */
  readonly offset: number | undefined;

  /**
   * @param where - the place in the input
   * @param reason - what is wrong there
   * @param offset - byte offset in the input, when known
   */
  constructor(where: string, reason: string, offset?: number) {
    super(offset === undefined ? `${where}: ${reason}` : `${where} (offset ${offset}): ${reason}`);
    this.name = 'FormatError';
    this.where = where;
    this.reason = reason;
    this.offset = offset;
  }
}
