/**
 * Runs BPF conformance-suite tests (`.data` files, see src/isa/conformance-data.ts) on the
 * machine's interpreter: r1 points at the test's memory (read-write), r2 holds its length.
 *
 * The suite's runner defines helper 5 for `call 5` / `callx` tests; the machine implements it as
 * the identity on r1 (the tests only need the call to return). A test passes when its program
 * runs and r0 equals `-- result`, or, for `-- error` tests, when assembly, preparation (which
 * rejects reads of uninitialized registers, as the kernel's verifier does) or execution fails.
 *
 * @module
 */

import { assembleConformance } from '../../isa/asm/conformance.js';
import { decode } from '../../isa/codec.js';
import type { ConformanceTest } from '../../isa/conformance-data.js';
import type { Insn } from '../../isa/insn.js';
import { type HelperFn, Vm } from './interp.js';
import { Perm } from './memory.js';
import { prepareProgram } from './program.js';

/** Outcome of one conformance test. */
export interface ConformanceOutcome {
  /** Test name (file name). */
  readonly name: string;
  /** `pass` or `fail`. */
  readonly status: 'pass' | 'fail';
  /** Expected r0 (`undefined` for `-- error` tests). */
  readonly expected: bigint | undefined;
  /** Actual r0, when the program ran to its exit. */
  readonly actual: bigint | undefined;
  /** Why the program did not run (assembly, preparation or run-time error), if it did not. */
  readonly error?: string;
}

/** The conformance suite's helper functions (helper 5: returns r1). */
export function conformanceHelpers(): Map<number, HelperFn> {
  return new Map<number, HelperFn>([[5, (vm) => vm.ret(vm.arg(1))]]);
}

/** The program of a test: its `-- raw` slots or its assembled `-- asm` text. */
export function conformanceProgram(test: ConformanceTest): Insn[] {
  if (test.raw) return decode(test.raw, { validate: false });
  return assembleConformance(test.asm ?? '', { file: test.file, lineBase: test.asmLine ?? 0 });
}

/**
 * Runs one test on a fresh address space of `vm` (default: a new Vm with the suite's helpers).
 * Never throws for a test's own failure; the outcome says what happened.
 */
export function runConformanceTest(
  test: ConformanceTest,
  name: string = test.file,
  vm?: Vm,
): ConformanceOutcome {
  const expected = test.error !== undefined ? undefined : test.result;
  const failed = (msg: string): ConformanceOutcome => ({
    name,
    status: test.error !== undefined ? 'pass' : 'fail',
    expected,
    actual: undefined,
    error: msg,
  });
  let insns: Insn[];
  try {
    insns = conformanceProgram(test);
  } catch (e) {
    return failed(`assemble: ${(e as Error).message}`);
  }
  let image: ReturnType<typeof prepareProgram>;
  try {
    image = prepareProgram(insns, { entryArgs: 2, allowCallx: true });
  } catch (e) {
    return failed(`load: ${(e as Error).message}`);
  }
  const machine = vm ?? new Vm({}, { helpers: conformanceHelpers() });
  if (vm) vm.helpers = conformanceHelpers();
  machine.reset();
  const mem = test.mem ? test.mem.slice() : new Uint8Array(0);
  const args = test.mem ? [machine.memory.addRegion('mem', mem, Perm.RW), BigInt(mem.length)] : [0n, 0n];
  let actual: bigint;
  try {
    actual = machine.run(image, args).r0;
  } catch (e) {
    return failed(`run: ${(e as Error).message}`);
  }
  if (test.error !== undefined)
    return {
      name,
      status: 'fail',
      expected,
      actual,
      error: 'the test expects an error, but the program ran',
    };
  const ok = expected !== undefined && actual === expected;
  return ok
    ? { name, status: 'pass', expected, actual }
    : {
        name,
        status: 'fail',
        expected,
        actual,
        error: expected === undefined ? 'the test has no -- result' : 'r0 differs from -- result',
      };
}
