/**
 * Facts about the conformance corpus (`../shared/conformance`) shared by the isa tests and the
 * machine's conformance runner.
 *
 * @module
 */

/**
 * Negative tests that only running or verifying the program can reject: the program assembles
 * and decodes. The machine's conformance runner must reject these.
 */
export const ENGINE_NEGATIVES = new Map([
  ['error.data', '`or %r0, %r10` reads r0 before it is written: a verifier/runtime error'],
  [
    'incorrect_return_value_high_bits.data',
    'valid program whose `-- result` is wrong on purpose: only running it tells',
  ],
  [
    'unused-exit-offset.data',
    'EXIT with off != 0: Linux 6.18 does not check off of EXIT (bench/probe-isa.ts), so it is a valid encoding here; a runner following RFC 9669 strictly rejects it',
  ],
]);
