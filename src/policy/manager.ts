/**
 * The policies a machine holds, with IPE's rules for loading, updating, activating and deleting
 * them (`security/ipe/policy.c`, `policy_fs.c`, `Documentation/admin-guide/LSM/ipe.rst`):
 *
 * - a new policy's name must be new (`EEXIST`);
 * - an update keeps the name (`EINVAL` otherwise) and must carry a strictly higher version
 *   (`ESTALE` for an equal or lower one); if the old one was active, the new one is;
 * - activating a policy whose version is lower than the active one's fails (`EINVAL`); an equal
 *   version is accepted;
 * - the active policy cannot be deleted (`EPERM`).
 *
 * Text is parsed before anything changes, so a syntax error (or any refused change) leaves the set
 * exactly as it was: the machine is never left without its policy.
 *
 * The set keeps a bounded audit log shaped like IPE's records: `1420` (AUDIT_IPE_ACCESS) for every
 * DENY, and for every ALLOW when success auditing is on (as IPE's `success_audit`); `1422`
 * (AUDIT_IPE_POLICY_LOAD) for every load or update, failed ones included; `1421`
 * (AUDIT_IPE_CONFIG_CHANGE) for every activation; `1404` (AUDIT_MAC_STATUS) when enforcement
 * changes.
 *
 * @module
 */

import {
  type AuditRecord,
  auditString,
  type Decision,
  type EvaluateOptions,
  evaluate,
  type PolicyEvent,
} from './evaluate.js';
import { type ParseOptions, PolicySyntaxError, parsePolicy } from './parser.js';
import { printPolicy } from './print.js';
import { compareVersions, formatVersion, type Policy, type PolicyVersion } from './types.js';

/** The errno of a refused change, as IPE's securityfs interface returns it. */
export type PolicyErrno = 'EEXIST' | 'ENOENT' | 'EINVAL' | 'ESTALE' | 'EPERM';

/** Linux errno numbers of the errors a policy change can end with (for `errno=` in records). */
export const POLICY_ERRNO_NUMBERS: Readonly<Record<string, number>> = {
  EPERM: 1,
  ENOENT: 2,
  EEXIST: 17,
  EINVAL: 22,
  ERANGE: 34,
  EBADMSG: 74,
  ESTALE: 116,
};

/** A refused change to a {@link PolicySet}. */
export class PolicyError extends Error {
  /** The errno IPE returns for it. */
  readonly code: PolicyErrno;

  /**
   * @param code - the errno
   * @param message - what was refused and why
   */
  constructor(code: PolicyErrno, message: string) {
    super(`${message} (${code})`);
    this.name = 'PolicyError';
    this.code = code;
  }
}

/** One row of {@link PolicySet.list}. */
export interface PolicyInfo {
  /** Policy name. */
  readonly name: string;
  /** Version. */
  readonly version: PolicyVersion;
  /** Whether it is the active policy. */
  readonly active: boolean;
  /** Number of rules. */
  readonly rules: number;
}

/** IPE's audit record types. */
export const AUDIT_TYPES = {
  /** AUDIT_MAC_STATUS: enforcement switched. */
  MAC_STATUS: 1404,
  /** AUDIT_IPE_ACCESS: a decision. */
  IPE_ACCESS: 1420,
  /** AUDIT_IPE_CONFIG_CHANGE: the active policy changed. */
  IPE_CONFIG_CHANGE: 1421,
  /** AUDIT_IPE_POLICY_LOAD: a policy was loaded or updated, or failed to. */
  IPE_POLICY_LOAD: 1422,
} as const;

/** One entry of the audit log. */
export interface AuditEntry {
  /** The record type, one of {@link AUDIT_TYPES}. */
  readonly type: (typeof AUDIT_TYPES)[keyof typeof AUDIT_TYPES];
  /** The record body, as IPE formats it. */
  readonly text: string;
  /** For `1420` records, the decision's record. */
  readonly access?: AuditRecord;
}

/** Options of a {@link PolicySet}. */
export interface PolicySetOptions extends ParseOptions {
  /** IPE's `enforce` switch (default true): when false, DENY decisions are recorded, not enforced. */
  readonly enforcing?: boolean;
  /** IPE's `success_audit` switch (default false): also record ALLOW decisions. */
  readonly successAudit?: boolean;
  /** At most this many audit entries are kept, the oldest dropped first (default 1024). */
  readonly auditLimit?: number;
  /**
   * SHA-256, for `policy_digest=` (the machine passes the hash layer's). Without it the digest is
   * `?`. IPE hashes the policy's PKCS#7 message; policies here are plain text, so the text's UTF-8
   * bytes are hashed.
   */
  readonly sha256?: (data: Uint8Array) => Uint8Array;
  /** `auid=` of configuration records (default 4294967295, unset). */
  readonly auid?: number;
  /** `ses=` of configuration records (default 4294967295, unset). */
  readonly ses?: number;
}

interface Entry {
  readonly policy: Policy;
  readonly digest: string;
}

/** A set of named policies, at most one active, with IPE's audit log. */
export class PolicySet {
  readonly #policies = new Map<string, Entry>();
  #active: string | undefined;
  readonly #options: PolicySetOptions;
  #enforcing: boolean;
  #successAudit: boolean;
  readonly #log: AuditEntry[] = [];
  readonly #limit: number;

  /** @param options - parsing, enforcement and audit options (see {@link PolicySetOptions}) */
  constructor(options: PolicySetOptions = {}) {
    this.#options = options;
    this.#enforcing = options.enforcing ?? true;
    this.#successAudit = options.successAudit ?? false;
    const limit = options.auditLimit ?? 1024;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`auditLimit ${limit} is not a count`);
    this.#limit = limit;
  }

  /** The active policy, if any. */
  get active(): Policy | undefined {
    return this.#active === undefined ? undefined : this.#policies.get(this.#active)?.policy;
  }

  /** Whether DENY decisions are enforced. */
  get enforcing(): boolean {
    return this.#enforcing;
  }

  /** Switches enforcement (IPE's `enforce` file), recording a `1404` entry when it changes. */
  setEnforcing(on: boolean): void {
    if (on === this.#enforcing) return;
    this.#record(
      AUDIT_TYPES.MAC_STATUS,
      `enforcing=${on ? 1 : 0} old_enforcing=${this.#enforcing ? 1 : 0} auid=${this.#auid()} ses=${this.#ses()} enabled=1 old-enabled=1 lsm=ipe res=1`,
    );
    this.#enforcing = on;
  }

  /** Switches success auditing (IPE's `success_audit` file). */
  setSuccessAudit(on: boolean): void {
    this.#successAudit = on;
  }

  /** The audit log, oldest first. */
  auditLog(): readonly AuditEntry[] {
    return [...this.#log];
  }

  /** Empties the audit log. */
  clearAuditLog(): void {
    this.#log.length = 0;
  }

  /** A policy by name. */
  get(name: string): Policy | undefined {
    return this.#policies.get(name)?.policy;
  }

  /** Every policy, by name, with which one is active. */
  list(): PolicyInfo[] {
    return [...this.#policies.values()]
      .map(({ policy: p }) => ({
        name: p.name,
        version: p.version,
        active: p.name === this.#active,
        rules: p.rules.length,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Adds a new policy (not active).
   *
   * @throws PolicySyntaxError - the text does not parse
   * @throws PolicyError - `EEXIST`: a policy of that name exists
   */
  add(text: string | Policy): Policy {
    return this.#loading(() => {
      const e = this.#parse(text);
      if (this.#policies.has(e.policy.name)) {
        throw new PolicyError('EEXIST', `policy '${e.policy.name}' already exists`);
      }
      this.#policies.set(e.policy.name, e);
      return [e];
    });
  }

  /**
   * Replaces policy `name` with a higher version of it; the new one is active if the old one was.
   *
   * @throws PolicySyntaxError - the text does not parse
   * @throws PolicyError - `ENOENT` (no such policy), `EINVAL` (the new text names another
   * policy), `ESTALE` (the version is not higher)
   */
  update(name: string, text: string | Policy): Policy {
    return this.#loading(() => {
      const old = this.#policies.get(name);
      if (old === undefined) throw new PolicyError('ENOENT', `no policy '${name}'`);
      const e = this.#parse(text);
      if (e.policy.name !== name) {
        throw new PolicyError('EINVAL', `policy '${e.policy.name}' cannot replace '${name}'`);
      }
      this.#checkNewer(e.policy, old.policy);
      this.#policies.set(name, e);
      return [e, this.#active === name ? () => this.#activation(old, e) : undefined];
    });
  }

  /**
   * Makes policy `name` the active one.
   *
   * @throws PolicyError - `ENOENT` (no such policy), `EINVAL` (its version is lower than the
   * active policy's)
   */
  activate(name: string): Policy {
    const e = this.#policies.get(name);
    if (e === undefined) throw new PolicyError('ENOENT', `no policy '${name}'`);
    if (this.#active === name) return e.policy;
    const a = this.#activeEntry();
    if (a !== undefined) this.#checkNotOlder(e.policy, a.policy);
    this.#active = name;
    this.#activation(a, e);
    return e.policy;
  }

  /**
   * Deletes a policy that is not active.
   *
   * @throws PolicyError - `ENOENT` (no such policy), `EPERM` (it is active)
   */
  delete(name: string): void {
    if (!this.#policies.has(name)) throw new PolicyError('ENOENT', `no policy '${name}'`);
    if (this.#active === name) throw new PolicyError('EPERM', `'${name}' is the active policy`);
    this.#policies.delete(name);
  }

  /**
   * Adds or updates a policy and activates it, all or nothing: on any error (syntax, stale
   * version, older than the active policy) nothing changes.
   *
   * @returns the now active policy
   */
  install(text: string | Policy): Policy {
    return this.#loading(() => {
      const e = this.#parse(text);
      const p = e.policy;
      const old = this.#policies.get(p.name);
      if (old !== undefined) this.#checkNewer(p, old.policy);
      const a = this.#activeEntry();
      if (a !== undefined && a.policy.name !== p.name) this.#checkNotOlder(p, a.policy);
      this.#policies.set(p.name, e);
      this.#active = p.name;
      return [e, () => this.#activation(a, e)];
    });
  }

  /**
   * Decides an event under the active policy (everything is allowed while none is active), with
   * the set's enforcement switch, and records the decision as IPE would (every DENY; an ALLOW with
   * success auditing on; nothing while no policy is active).
   */
  evaluate(event: PolicyEvent, options: Omit<EvaluateOptions, 'enforcing'> = {}): Decision {
    const d = evaluate(this.active, event, { ...options, enforcing: this.#enforcing });
    if (d.source !== 'no-policy' && (d.action === 'DENY' || this.#successAudit)) {
      this.#record(AUDIT_TYPES.IPE_ACCESS, d.audit.text, d.audit);
    }
    return d;
  }

  #auid(): number {
    return this.#options.auid ?? 4294967295;
  }

  #ses(): number {
    return this.#options.ses ?? 4294967295;
  }

  #record(type: AuditEntry['type'], text: string, access?: AuditRecord): void {
    if (this.#limit === 0) return;
    if (this.#log.length >= this.#limit) this.#log.shift();
    this.#log.push(access ? { type, text, access } : { type, text });
  }

  #activeEntry(): Entry | undefined {
    return this.#active === undefined ? undefined : this.#policies.get(this.#active);
  }

  #parse(text: string | Policy): Entry {
    const policy = typeof text === 'string' ? parsePolicy(text, this.#options) : text;
    const source = typeof text === 'string' ? text : printPolicy(text);
    const sha = this.#options.sha256;
    let digest = '?';
    if (sha) {
      let hex = '';
      for (const b of sha(new TextEncoder().encode(source)))
        hex += b.toString(16).toUpperCase().padStart(2, '0');
      digest = `sha256:${hex}`;
    }
    return { policy, digest };
  }

  #checkNewer(p: Policy, old: Policy): void {
    if (compareVersions(p.version, old.version) <= 0) {
      throw new PolicyError(
        'ESTALE',
        `version ${formatVersion(p.version)} of '${p.name}' is not higher than ${formatVersion(old.version)}`,
      );
    }
  }

  #checkNotOlder(p: Policy, active: Policy): void {
    if (compareVersions(active.version, p.version) > 0) {
      throw new PolicyError(
        'EINVAL',
        `'${p.name}' ${formatVersion(p.version)} is older than the active '${active.name}' ${formatVersion(active.version)}`,
      );
    }
  }

  /**
   * Runs a load/update, recording a `1422` entry for its success or failure, then the activation
   * record `f` may return (IPE records the load before the activation).
   */
  #loading(f: () => [Entry, (() => void)?]): Policy {
    let e: Entry;
    let then: (() => void) | undefined;
    try {
      [e, then] = f();
    } catch (err) {
      const code =
        err instanceof PolicySyntaxError ? err.errno : err instanceof PolicyError ? err.code : undefined;
      if (code !== undefined) {
        this.#record(
          AUDIT_TYPES.IPE_POLICY_LOAD,
          `policy_name=? policy_version=? policy_digest=? auid=${this.#auid()} ses=${this.#ses()} lsm=ipe res=0 errno=-${POLICY_ERRNO_NUMBERS[code]}`,
        );
      }
      throw err;
    }
    const p = e.policy;
    this.#record(
      AUDIT_TYPES.IPE_POLICY_LOAD,
      `policy_name=${auditString(p.name)} policy_version=${formatVersion(p.version)} policy_digest=${e.digest} auid=${this.#auid()} ses=${this.#ses()} lsm=ipe res=1 errno=0`,
    );
    then?.();
    return p;
  }

  #activation(old: Entry | undefined, now: Entry): void {
    const oldText = old
      ? `old_active_pol_name=${auditString(old.policy.name)} old_active_pol_version=${formatVersion(old.policy.version)} old_policy_digest=${old.digest}`
      : 'old_active_pol_name=? old_active_pol_version=? old_policy_digest=?';
    this.#record(
      AUDIT_TYPES.IPE_CONFIG_CHANGE,
      `${oldText} new_active_pol_name=${auditString(now.policy.name)} new_active_pol_version=${formatVersion(now.policy.version)} new_policy_digest=${now.digest} auid=${this.#auid()} ses=${this.#ses()} lsm=ipe res=1`,
    );
  }
}
