/**
 * The machine's LSM hook layer for BPF program loads, with IPE as the module that decides.
 *
 * ## Hooks, where the machine calls them
 *
 * - **`bpf_prog_load`** (`security_bpf_prog_load`): every `BPF_PROG_LOAD`, after the attr checks
 *   and the signature check, before verification (Linux 6.18 verifies the signature before this
 *   hook, so a bad signature fails the load with its own errno and no policy ever sees it). The
 *   event carries what is known then: the signature verdict of the load, the keyring, and
 *   `bpf_kernel` (whether the load comes from a program through `bpf_sys_bpf`).
 * - **`bpf_prog_load_post_integrity`**: once the integrity verdict is known. For unsigned loads,
 *   the inline scheme (verdict `OK`: the loader checks its metadata itself, the kernel never
 *   learns the result) and the load-time scheme (verdict `METADATA_VERIFIED`: the maps are part
 *   of the signed content), the verdict is final at load time, so `bpf_prog_load` fires it at
 *   once, still before verification. For the kfunc scheme the loader is `OK` at load time and
 *   becomes `METADATA_VERIFIED` when `bpf_loader_verify_metadata` succeeds: the kfunc fires the
 *   hook again with the new verdict ({@link MachineLsm.kfuncMetadataVerified}).
 *
 * ## Which hook decides
 *
 * IPE evaluates `op=BPF_PROG_LOAD` at one hook per verdict, so each verdict gives one decision and
 * at most one audit record:
 *
 * - at load time, at `bpf_prog_load_post_integrity` (default: Hornet's IPE patch, the published
 *   integration of that hook) or, with `evaluateAt: 'bpf_prog_load'`, at `bpf_prog_load` (the
 *   IPE/BPF signing proposal's placement). The verdict is the same at both points in the machine;
 *   only the record's `ipe_hook=` differs.
 * - at kfunc time, always at `bpf_prog_load_post_integrity` (the verdict changed). A DENY there
 *   makes the kfunc fail with `-EACCES`, so the loader stops before it creates anything, and the
 *   program's verdict stays `OK`.
 *
 * Every load is decided at load time, whatever its scheme: no program runs without a decision.
 * Hence a policy for kfunc-scheme (and inline-scheme) skeletons must let their loaders in as
 * `bpf_signature=OK`; a policy that admits user-space loads only as `METADATA_VERIFIED` fits the
 * load-time scheme. The kfunc-time decision can still refuse what the load-time one let in (e.g.
 * a `bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY` rule, or a policy replaced in
 * between).
 *
 * A DENY fails the load with `EACCES` ({@link LsmDenial}); the message and the audit record name
 * the rule (line and text). {@link MachineLsm.decisions} keeps every decision, allowed ones
 * included, for tools such as `tsbpf policy test`; the IPE audit log ({@link MachineLsm.auditLog})
 * keeps what IPE records (every DENY; ALLOWs with success auditing on; policy changes).
 *
 * `bpf_kernel`: loads issued while a program runs `bpf_sys_bpf` (a light-skeleton loader creating
 * the real programs) are `TRUE` (the kernel's `uattr.is_kernel`); loads from user space `FALSE`.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import {
  type AuditEntry,
  type BpfKeyring,
  type BpfSignature,
  type Decision,
  formatVersion,
  type IpeHook,
  type Policy,
  type PolicyEvent,
  type PolicyInfo,
  PolicySet,
  type PolicySetOptions,
  translateVerdict,
  type VerdictVocabulary,
} from '../../policy/index.js';
import { Errno } from '../../sys/errors.js';
import type { SignatureVerdict } from '../signature/index.js';
import type { KeyringType } from '../signature/keyrings.js';

/** The LSM hooks of a BPF program load, by their kernel names. */
export type LsmHook = 'bpf_prog_load' | 'bpf_prog_load_post_integrity';

/** Options of a {@link MachineLsm} (and `MachineOptions.lsm`). */
export interface MachineLsmOptions {
  /**
   * Which words the events' `bpf_signature` uses: `'ipe'` (default: `UNSIGNED`, `OK`,
   * `METADATA_VERIFIED`) or `'hornet'` (`UNSIGNED`, `PARTIALSIG`, `OK`).
   */
  vocabulary?: VerdictVocabulary;
  /** The hook IPE decides at for load-time verdicts (default `bpf_prog_load_post_integrity`). */
  evaluateAt?: LsmHook;
  /** IPE's `enforce` switch (default true). */
  enforcing?: boolean;
  /** IPE's `success_audit` switch (default false). */
  successAudit?: boolean;
  /** Entries kept in the audit log and in {@link MachineLsm.decisions} (default 1024 each). */
  auditLimit?: number;
}

/** What the machine knows about a load when it calls a hook. */
export interface ProgLoadFacts {
  /** The signature verdict at this point. */
  verdict: SignatureVerdict;
  /** `BPF_PROG_TYPE_*`. */
  progType: number;
  /** The program's name (attr `prog_name`). */
  progName: string;
  /** Loading process id. */
  pid: number;
  /** Loading process name. */
  comm: string;
  /** Whether the load comes from a program through `bpf_sys_bpf`; default: {@link MachineLsm.fromKernel}. */
  fromKernel?: boolean;
}

/** One decision taken at a hook. */
export interface LsmDecision {
  /** The hook that decided. */
  hook: LsmHook;
  /** Why the hook fired: a load, or the metadata kfunc. */
  trigger: 'load' | 'kfunc';
  /** The program's name. */
  progName: string;
  /** `BPF_PROG_TYPE_*`. */
  progType: number;
  /** The event given to the policy. */
  event: PolicyEvent;
  /** The policy's decision (its `audit` is the IPE record). */
  decision: Decision;
}

/** A load or kfunc refused by policy. */
export interface LsmDenial {
  /** `EACCES` (13). */
  errno: number;
  /** `'EACCES'`. */
  code: 'EACCES';
  /** `denied by policy NAME VERSION at HOOK: line N: RULE (audit: ...)`. */
  message: string;
  /** The decision. */
  decision: Decision;
}

/** The `bpf_keyring` class of a machine keyring type. */
export function bpfKeyringOfType(type: KeyringType): BpfKeyring {
  if (type === 'builtin') return 'BUILTIN';
  if (type === 'secondary') return 'SECONDARY';
  if (type === 'platform') return 'PLATFORM';
  return 'USER';
}

const IPE_HOOK: Record<LsmHook, IpeHook> = {
  bpf_prog_load: 'BPF_PROG_LOAD',
  bpf_prog_load_post_integrity: 'BPF_PROG_LOAD_POST_INTEGRITY',
};

/** The LSM hooks of one machine and its IPE policies (see the module doc). */
export class MachineLsm {
  /** The machine's IPE policies: add, update (higher version only), activate, delete, list. */
  readonly policies: PolicySet;
  /** Verdict words of the events. */
  readonly vocabulary: VerdictVocabulary;
  /** The hook deciding load-time verdicts. */
  readonly evaluateAt: LsmHook;
  readonly #decisions: LsmDecision[] = [];
  readonly #limit: number;
  #kernelDepth = 0;

  /** @param opts - vocabulary, deciding hook, enforcement and audit switches */
  constructor(opts: MachineLsmOptions = {}) {
    const set: PolicySetOptions = {
      sha256,
      enforcing: opts.enforcing ?? true,
      successAudit: opts.successAudit ?? false,
      ...(opts.auditLimit !== undefined ? { auditLimit: opts.auditLimit } : {}),
    };
    this.policies = new PolicySet(set);
    this.vocabulary = opts.vocabulary ?? 'ipe';
    if (this.vocabulary !== 'ipe' && this.vocabulary !== 'hornet')
      throw new RangeError(`vocabulary must be 'ipe' or 'hornet', not '${String(opts.vocabulary)}'`);
    this.evaluateAt = opts.evaluateAt ?? 'bpf_prog_load_post_integrity';
    if (this.evaluateAt !== 'bpf_prog_load' && this.evaluateAt !== 'bpf_prog_load_post_integrity')
      throw new RangeError(`evaluateAt must be a BPF load hook, not '${String(opts.evaluateAt)}'`);
    this.#limit = opts.auditLimit ?? 1024;
  }

  /**
   * Adds or updates a policy from its text and activates it, all or nothing: a syntax error, a
   * version that is not higher than the same policy's, or one older than the active policy
   * leaves the active policy in place (PolicySyntaxError / PolicyError).
   */
  install(text: string | Policy): Policy {
    return this.policies.install(text);
  }

  /** Activates an added policy (PolicyError `ENOENT`, or `EINVAL` if older than the active one). */
  activate(name: string): Policy {
    return this.policies.activate(name);
  }

  /** Replaces policy `name` by a strictly higher version (PolicyError `ESTALE` otherwise). */
  replace(name: string, text: string | Policy): Policy {
    return this.policies.update(name, text);
  }

  /** The policies held, with the active one marked. */
  list(): PolicyInfo[] {
    return this.policies.list();
  }

  /** The active policy, if any. */
  get active(): Policy | undefined {
    return this.policies.active;
  }

  /** The IPE audit log (1420 access, 1421 activation, 1422 policy load, 1404 enforcement). */
  auditLog(): readonly AuditEntry[] {
    return this.policies.auditLog();
  }

  /** Every decision taken at a hook (allowed ones included), oldest first. */
  decisions(): readonly LsmDecision[] {
    return [...this.#decisions];
  }

  /** Empties {@link decisions}. */
  clearDecisions(): void {
    this.#decisions.length = 0;
  }

  /** Whether a program is running `bpf_sys_bpf` right now (loads are kernel-originated). */
  get fromKernel(): boolean {
    return this.#kernelDepth > 0;
  }

  /** Runs `f` as the kernel: loads inside it have `bpf_kernel=TRUE` (the machine wraps `bpf_sys_bpf`). */
  inKernel<T>(f: () => T): T {
    this.#kernelDepth++;
    try {
      return f();
    } finally {
      this.#kernelDepth--;
    }
  }

  /**
   * `security_bpf_prog_load`: called by `BPF_PROG_LOAD` before verification. Fires
   * `bpf_prog_load_post_integrity` with the load-time verdict. Returns the denial, if any.
   */
  bpfProgLoad(facts: ProgLoadFacts): LsmDenial | undefined {
    if (this.evaluateAt === 'bpf_prog_load') {
      const d = this.#decide('bpf_prog_load', 'load', facts);
      if (d !== undefined) return d;
    }
    return this.bpfProgLoadPostIntegrity(facts, 'load');
  }

  /**
   * `bpf_prog_load_post_integrity`: the integrity verdict is known. Decides when this hook is the
   * deciding one for `trigger` (always for `kfunc`). Returns the denial, if any.
   */
  bpfProgLoadPostIntegrity(facts: ProgLoadFacts, trigger: 'load' | 'kfunc'): LsmDenial | undefined {
    if (trigger === 'load' && this.evaluateAt !== 'bpf_prog_load_post_integrity') return undefined;
    return this.#decide('bpf_prog_load_post_integrity', trigger, facts);
  }

  /**
   * What `bpf_loader_verify_metadata` calls once it has checked the metadata map against the
   * signed hash: fires `bpf_prog_load_post_integrity` for the running loader `prog` with
   * `METADATA_VERIFIED` (an unsigned program stays `UNSIGNED`: the kfunc proves nothing about
   * unsigned code). On ALLOW the program's verdict is upgraded and 0 returned; on DENY the
   * verdict is left as it was and `-EACCES` returned, for the kfunc to return to the loader.
   *
   * @param prog - the running loader (its `signature` is read and, when allowed, updated)
   * @param who - the process running it
   */
  kfuncMetadataVerified(
    prog: { signature: SignatureVerdict; readonly type: number; readonly meta: { readonly name: string } },
    who: { pid: number; comm: string },
  ): number {
    const before = prog.signature;
    const verdict: SignatureVerdict =
      before.state === 'UNSIGNED' ? before : { ...before, state: 'METADATA_VERIFIED' };
    const denial = this.bpfProgLoadPostIntegrity(
      { verdict, progType: prog.type, progName: prog.meta.name, pid: who.pid, comm: who.comm },
      'kfunc',
    );
    if (denial !== undefined) return -denial.errno;
    prog.signature = verdict;
    return 0;
  }

  /** The policy event of a load at `hook`. */
  event(hook: LsmHook, facts: ProgLoadFacts): PolicyEvent {
    const v = facts.verdict;
    let sig: BpfSignature = v.state;
    if (this.vocabulary === 'hornet') sig = translateVerdict(v.state, 'ipe', 'hornet') as BpfSignature;
    return {
      op: 'BPF_PROG_LOAD',
      hook: IPE_HOOK[hook],
      bpf_signature: sig,
      bpf_kernel: facts.fromKernel ?? this.fromKernel,
      ...(v.state === 'UNSIGNED' ? {} : { bpf_keyring: bpfKeyringOfType(v.keyring) }),
    };
  }

  #decide(hook: LsmHook, trigger: 'load' | 'kfunc', facts: ProgLoadFacts): LsmDenial | undefined {
    const event = this.event(hook, facts);
    const decision = this.policies.evaluate(event, { pid: facts.pid, comm: facts.comm });
    if (this.#limit > 0) {
      if (this.#decisions.length >= this.#limit) this.#decisions.shift();
      this.#decisions.push({
        hook,
        trigger,
        progName: facts.progName,
        progType: facts.progType,
        event,
        decision,
      });
    }
    if (decision.permitted) return undefined;
    const p = decision.audit.policy;
    const who = p ? `policy '${p.name}' ${formatVersion(p.version)}` : 'policy';
    return {
      errno: Errno.EACCES,
      code: 'EACCES',
      message: `denied by ${who} at ${hook}: line ${decision.line}: ${decision.ruleText} (audit: ${decision.audit.text})`,
      decision,
    };
  }
}
