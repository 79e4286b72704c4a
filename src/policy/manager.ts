/**
 * The policies a machine holds, with IPE's rules for loading, updating, activating and deleting
 * them (`security/ipe/policy.c`, `policy_fs.c`):
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
 * @module
 */

import { type Decision, type EvaluateOptions, evaluate, type PolicyEvent } from './evaluate.js';
import { type ParseOptions, parsePolicy } from './parser.js';
import { compareVersions, formatVersion, type Policy, type PolicyVersion } from './types.js';

/** The errno of a refused change, as IPE's securityfs interface returns it. */
export type PolicyErrno = 'EEXIST' | 'ENOENT' | 'EINVAL' | 'ESTALE' | 'EPERM';

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

/** A set of named policies, at most one active. */
export class PolicySet {
  readonly #policies = new Map<string, Policy>();
  #active: string | undefined;
  readonly #parseOptions: ParseOptions;

  /** @param parseOptions - how policy text is parsed (see {@link ParseOptions}) */
  constructor(parseOptions: ParseOptions = {}) {
    this.#parseOptions = parseOptions;
  }

  /** The active policy, if any. */
  get active(): Policy | undefined {
    return this.#active === undefined ? undefined : this.#policies.get(this.#active);
  }

  /** A policy by name. */
  get(name: string): Policy | undefined {
    return this.#policies.get(name);
  }

  /** Every policy, by name, with which one is active. */
  list(): PolicyInfo[] {
    return [...this.#policies.values()]
      .map((p) => ({
        name: p.name,
        version: p.version,
        active: p.name === this.#active,
        rules: p.rules.length,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #parse(text: string | Policy): Policy {
    return typeof text === 'string' ? parsePolicy(text, this.#parseOptions) : text;
  }

  /**
   * Adds a new policy (not active).
   *
   * @throws PolicySyntaxError - the text does not parse
   * @throws PolicyError - `EEXIST`: a policy of that name exists
   */
  add(text: string | Policy): Policy {
    const p = this.#parse(text);
    if (this.#policies.has(p.name)) throw new PolicyError('EEXIST', `policy '${p.name}' already exists`);
    this.#policies.set(p.name, p);
    return p;
  }

  /**
   * Replaces policy `name` with a higher version of it; the new one is active if the old one was.
   *
   * @throws PolicySyntaxError - the text does not parse
   * @throws PolicyError - `ENOENT` (no such policy), `EINVAL` (the new text names another
   * policy), `ESTALE` (the version is not higher)
   */
  update(name: string, text: string | Policy): Policy {
    const old = this.#policies.get(name);
    if (old === undefined) throw new PolicyError('ENOENT', `no policy '${name}'`);
    const p = this.#parse(text);
    if (p.name !== name) throw new PolicyError('EINVAL', `policy '${p.name}' cannot replace '${name}'`);
    if (compareVersions(p.version, old.version) <= 0) {
      throw new PolicyError(
        'ESTALE',
        `version ${formatVersion(p.version)} of '${name}' is not higher than ${formatVersion(old.version)}`,
      );
    }
    this.#policies.set(name, p);
    return p;
  }

  /**
   * Makes policy `name` the active one.
   *
   * @throws PolicyError - `ENOENT` (no such policy), `EINVAL` (its version is lower than the
   * active policy's)
   */
  activate(name: string): Policy {
    const p = this.#policies.get(name);
    if (p === undefined) throw new PolicyError('ENOENT', `no policy '${name}'`);
    const a = this.active;
    if (a !== undefined && a !== p && compareVersions(a.version, p.version) > 0) {
      throw new PolicyError(
        'EINVAL',
        `'${name}' ${formatVersion(p.version)} is older than the active '${a.name}' ${formatVersion(a.version)}`,
      );
    }
    this.#active = name;
    return p;
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
    const p = this.#parse(text);
    const old = this.#policies.get(p.name);
    if (old !== undefined && compareVersions(p.version, old.version) <= 0) {
      throw new PolicyError(
        'ESTALE',
        `version ${formatVersion(p.version)} of '${p.name}' is not higher than ${formatVersion(old.version)}`,
      );
    }
    const a = this.active;
    if (a !== undefined && a.name !== p.name && compareVersions(a.version, p.version) > 0) {
      throw new PolicyError(
        'EINVAL',
        `'${p.name}' ${formatVersion(p.version)} is older than the active '${a.name}' ${formatVersion(a.version)}`,
      );
    }
    this.#policies.set(p.name, p);
    this.#active = p.name;
    return p;
  }

  /** Decides an event under the active policy (everything is allowed while none is active). */
  evaluate(event: PolicyEvent, options: EvaluateOptions = {}): Decision {
    return evaluate(this.active, event, options);
  }
}
