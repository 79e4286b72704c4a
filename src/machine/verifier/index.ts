/**
 * The machine's static verifier: {@link verify} checks a program the way Linux 6.18's verifier
 * does (structure, then every path by abstract interpretation with state pruning) and answers
 * with the kernel's errno and log lines.
 *
 * ```ts
 * const r = verify(assembleLlvm('r0 = *(u64 *)(r10 - 8)\nexit'), { progType: ProgType.XDP });
 * r.ok;    // false
 * r.error; // 'invalid read from stack off -8+0 size 8'
 * ```
 *
 * @module
 */

export * from './ctx.js';
export * from './funcs.js';
export * from './helpers.js';
export * from './scalar.js';
export * from './sock.js';
export * from './types.js';
export { COMPLEXITY_LIMIT_INSNS, MAX_BPF_STACK, MAX_CALL_FRAMES, verify } from './verifier.js';
