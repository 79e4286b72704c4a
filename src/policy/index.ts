/**
 * The IPE policy language for BPF program loads (and IPE's file operations): parse, print,
 * evaluate with audit records, lint, and a set of policies with IPE's version rules. Pure: no
 * `node:*`, imports only `util`.
 *
 * - {@link parsePolicy}: text -> {@link Policy}, rejecting what the kernel's parser rejects with a
 *   {@link PolicySyntaxError} (`line N: reason`, plus the kernel's errno); {@link printPolicy}
 *   prints the canonical text.
 * - {@link evaluate}: (policy, {@link PolicyEvent}) -> {@link Decision}: first matching rule of the
 *   event's operation, else the operation's default, else the global default; every decision
 *   carries an IPE-shaped {@link AuditRecord}; {@link explainDecision} says why in words.
 * - {@link PolicySet}: the policies a machine holds: add, update (higher version only), activate,
 *   delete, install (all or nothing), list, evaluate, and a bounded IPE-style audit log.
 * - {@link lintPolicy}: rules that never decide, contradictions, vocabulary mixes.
 *
 * From the machine's LSM hooks:
 *
 * ```ts
 * const policies = new PolicySet({ sha256 });            // one per machine
 * policies.install(policyText);                          // PolicySyntaxError | PolicyError; never half-applied
 * // security_bpf_prog_load / bpf_prog_load_post_integrity:
 * const d = policies.evaluate(
 *   bpfProgLoadEvent({ verdict, keyringId: attr.keyring_id, fromKernel, hook: 'BPF_PROG_LOAD_POST_INTEGRITY' }),
 *   { pid, comm },
 * );
 * if (!d.permitted) fail with d.errno ('EACCES'); d.audit.text names the rule and its line
 * policies.auditLog();                                   // 1420/1421/1422/1404 entries
 * ```
 *
 * @module
 */

export * from './evaluate.js';
export * from './lint.js';
export * from './manager.js';
export * from './parser.js';
export * from './print.js';
export * from './types.js';
