/**
 * Evaluating an event against a policy, with IPE's semantics, and the audit record of the
 * decision.
 *
 * Only the rules of the event's operation are considered, in order, and the first rule whose
 * properties all match decides; when none matches, the operation's default decides, then the
 * global default (`security/ipe/eval.c`). A rule with no property matches every event of its
 * operation.
 *
 * How a property matches an event (absent fields as the kernel's evaluators treat a missing file,
 * device or signature):
 *
 * | property | matches when |
 * |---|---|
 * | `boot_verified=TRUE` / `FALSE` | `event.boot_verified === true` / not `true` |
 * | `dmverity_signature=TRUE` / `FALSE` | `event.dmverity_signature === true` / not `true` |
 * | `fsverity_signature=TRUE` / `FALSE` | `event.fsverity_signature === true` / not `true` |
 * | `dmverity_roothash=ALG:HEX` | `event.dmverity_roothash` is the same algorithm and bytes |
 * | `fsverity_digest=ALG:HEX` | `event.fsverity_digest` is the same algorithm and bytes |
 * | `bpf_signature=V` | `event.bpf_signature === V` (absent: never) |
 * | `bpf_keyring=K` | `event.bpf_keyring === K` (absent, e.g. unsigned: never) |
 * | `bpf_kernel=TRUE` / `FALSE` | `event.bpf_kernel === true` / `=== false` (absent: never) |
 *
 * ## Calling it from the machine's LSM hooks
 *
 * ```ts
 * const d = policies.evaluate({ op: 'BPF_PROG_LOAD', hook: 'BPF_PROG_LOAD_POST_INTEGRITY',
 *   bpf_signature: 'UNSIGNED', bpf_kernel: false }, { pid, comm });
 * auditLog.push(d.audit);
 * if (!d.permitted) throw new BpfError('EACCES', ...);   // d.errno === 'EACCES'
 * ```
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import { defaultText, ruleText } from './print.js';
import {
  type Action,
  BPF_KEYRINGS,
  BPF_SIGNATURES,
  type BpfKeyring,
  type BpfSignature,
  bpfKeyringOf,
  OPERATIONS,
  type Operation,
  type Policy,
  type PolicyVersion,
  type Property,
  type Rule,
} from './types.js';

/**
 * The LSM hooks IPE evaluates at: the kernel's five, plus the BPF proposals' two
 * (`BPF_PROG_LOAD`: `security_bpf_prog_load`, before verification, where the IPE/BPF signing
 * proposal evaluates; `BPF_PROG_LOAD_POST_INTEGRITY`: once the signature verdict is known, where
 * Hornet's proposal evaluates).
 */
export const IPE_HOOKS = [
  'BPRM_CHECK',
  'MMAP',
  'MPROTECT',
  'KERNEL_READ',
  'KERNEL_LOAD',
  'BPF_PROG_LOAD',
  'BPF_PROG_LOAD_POST_INTEGRITY',
] as const;

/** An IPE hook name as audit records print it. */
export type IpeHook = (typeof IPE_HOOKS)[number];

/** What is known about the operation being decided. Field names are the property keys. */
export interface PolicyEvent {
  /** The operation. */
  readonly op: Operation;
  /** The hook that asks (audit only). Default: by operation, `BPF_PROG_LOAD` for BPF loads. */
  readonly hook?: IpeHook;
  /** BPF: the signature verdict, in either vocabulary. */
  readonly bpf_signature?: BpfSignature;
  /** BPF: the keyring the signature was checked against (absent when unsigned). */
  readonly bpf_keyring?: BpfKeyring;
  /** BPF: the program comes from the kernel itself, not from user space. */
  readonly bpf_kernel?: boolean;
  /** File: it comes from the initramfs / boot-verified superblock. */
  readonly boot_verified?: boolean;
  /** File: root hash `alg:hex` of the dm-verity device it lives on. */
  readonly dmverity_roothash?: string;
  /** File: the dm-verity root hash was signed by a trusted key. */
  readonly dmverity_signature?: boolean;
  /** File: fs-verity digest `alg:hex`. */
  readonly fsverity_digest?: string;
  /** File: it has a valid fs-verity built-in signature. */
  readonly fsverity_signature?: boolean;
}

/** Who asked, for the audit record. */
export interface EvaluateOptions {
  /** IPE's `enforce` switch: when false a DENY is recorded but permitted. Default true. */
  readonly enforcing?: boolean;
  /** Process id for the record (default 0). */
  readonly pid?: number;
  /** Command name for the record (default `?`). */
  readonly comm?: string;
}

/** What decided. */
export type DecisionSource = 'rule' | 'op-default' | 'global-default' | 'no-policy';

/** One rule checked on the way to a decision. */
export interface RuleCheck {
  /** The rule. */
  readonly rule: Rule;
  /** Whether every property matched. */
  readonly matched: boolean;
  /** The first property that did not match, and the event's value for it (`?` when absent). */
  readonly failed?: { readonly property: Property; readonly got: string };
}

/** The audit record of a decision, shaped like IPE's `AUDIT_IPE_ACCESS` record. */
export interface AuditRecord {
  /** `ipe_op=`. */
  readonly op: Operation;
  /** `ipe_hook=`. */
  readonly hook: IpeHook;
  /** `enforcing=`. */
  readonly enforcing: boolean;
  /** `pid=`. */
  readonly pid: number;
  /** `comm=`. */
  readonly comm: string;
  /** The event's properties as `key=VALUE` (`key=?` when unknown), for the event's kind. */
  readonly properties: readonly string[];
  /** `rule="..."`: the deciding rule or default, in IPE's audit form. */
  readonly rule: string;
  /** Line of the deciding rule or default in the policy text (0 with no policy). */
  readonly line: number;
  /** The policy's action. */
  readonly action: Action;
  /** The active policy, when there is one. */
  readonly policy?: { readonly name: string; readonly version: PolicyVersion };
  /** The whole record as one line. */
  readonly text: string;
}

/** A decision. */
export interface Decision {
  /** The policy's action. */
  readonly action: Action;
  /** Whether the operation may proceed: `ALLOW`, or `DENY` while not enforcing. */
  readonly permitted: boolean;
  /** `EACCES` when not permitted (what the hook returns), else undefined. */
  readonly errno: 'EACCES' | undefined;
  /** What decided. */
  readonly source: DecisionSource;
  /** The deciding rule, when `source` is `rule`. */
  readonly rule: Rule | undefined;
  /** Line of the deciding rule or default (0 with no policy). */
  readonly line: number;
  /** Text of the deciding rule or default, as the audit record prints it. */
  readonly ruleText: string;
  /** Every rule of the event's operation that was checked, in order, up to the deciding one. */
  readonly checked: readonly RuleCheck[];
  /** The audit record. */
  readonly audit: AuditRecord;
}

const FILE_KEYS = [
  'boot_verified',
  'dmverity_roothash',
  'dmverity_signature',
  'fsverity_digest',
  'fsverity_signature',
] as const;
const BPF_KEYS = ['bpf_signature', 'bpf_keyring', 'bpf_kernel'] as const;

/** What the machine knows about a BPF program load, for {@link bpfProgLoadEvent}. */
export interface BpfLoadFacts {
  /** The signature verdict at this hook, in the machine's vocabulary. */
  readonly verdict: BpfSignature;
  /** `keyring_id` of the load attr, when a signature was given (see `bpfKeyringOf`). */
  readonly keyringId?: number;
  /** The load comes from the kernel (e.g. a light-skeleton loader's `bpf_sys_bpf` from a kernel context). */
  readonly fromKernel: boolean;
  /** The hook asking. Default `BPF_PROG_LOAD`. */
  readonly hook?: IpeHook;
}

/**
 * The event of a BPF program load. `bpf_keyring` is set only when the program carries a signature
 * (the verdict is neither `UNSIGNED` nor `NONE`) and a keyring id is known.
 */
export function bpfProgLoadEvent(facts: BpfLoadFacts): PolicyEvent {
  const signed = facts.verdict !== 'UNSIGNED' && facts.verdict !== 'NONE';
  return {
    op: 'BPF_PROG_LOAD',
    hook: facts.hook ?? 'BPF_PROG_LOAD',
    bpf_signature: facts.verdict,
    bpf_kernel: facts.fromKernel,
    ...(signed && facts.keyringId !== undefined ? { bpf_keyring: bpfKeyringOf(facts.keyringId) } : {}),
  };
}

/** The hook an operation is decided at when the event names none. */
export function defaultHook(op: Operation): IpeHook {
  if (op === 'EXECUTE') return 'BPRM_CHECK';
  if (op === 'BPF_PROG_LOAD') return 'BPF_PROG_LOAD';
  return 'KERNEL_READ';
}

/** The event's value for a property key, as policy text (`?` when absent). */
export function eventValue(event: PolicyEvent, key: Property['key']): string {
  const v = event[key];
  if (v === undefined) return '?';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (key === 'dmverity_roothash' || key === 'fsverity_digest') return canonicalDigest(v);
  return v;
}

function canonicalDigest(v: string): string {
  const sep = v.indexOf(':');
  return sep < 0 ? v : `${v.slice(0, sep)}:${v.slice(sep + 1).toLowerCase()}`;
}

/** Whether one property matches the event (see the table in the module comment). */
export function propertyMatches(p: Property, event: PolicyEvent): boolean {
  switch (p.key) {
    case 'boot_verified':
    case 'dmverity_signature':
    case 'fsverity_signature':
      return p.value === 'TRUE' ? event[p.key] === true : event[p.key] !== true;
    case 'dmverity_roothash':
    case 'fsverity_digest': {
      const v = event[p.key];
      return v !== undefined && canonicalDigest(v) === p.value;
    }
    case 'bpf_kernel':
      return event.bpf_kernel !== undefined && event.bpf_kernel === (p.value === 'TRUE');
    case 'bpf_signature':
      return event.bpf_signature === p.value;
    case 'bpf_keyring':
      return event.bpf_keyring === p.value;
  }
}

/** Checks one rule against the event (the rule's op is not compared). */
export function checkRule(rule: Rule, event: PolicyEvent): RuleCheck {
  for (const p of rule.properties) {
    if (!propertyMatches(p, event)) {
      return { rule, matched: false, failed: { property: p, got: eventValue(event, p.key) } };
    }
  }
  return { rule, matched: true };
}

/**
 * A string as `audit_log_untrustedstring` prints it: in double quotes, or as upper-case hex of its
 * UTF-8 bytes when it holds a quote, a space, a control or a non-ASCII character.
 */
export function auditString(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let safe = true;
  for (const b of bytes) if (b === 0x22 || b < 0x21 || b > 0x7e) safe = false;
  if (safe) return `"${s}"`;
  let hex = '';
  for (const b of bytes) hex += b.toString(16).toUpperCase().padStart(2, '0');
  return hex;
}

/** Builds the audit record of a decision. */
function auditRecord(
  event: PolicyEvent,
  policy: Policy | undefined,
  action: Action,
  rule: string,
  line: number,
  options: EvaluateOptions,
): AuditRecord {
  const hook = event.hook ?? defaultHook(event.op);
  const enforcing = options.enforcing ?? true;
  const pid = options.pid ?? 0;
  const comm = options.comm ?? '?';
  const keys = event.op === 'BPF_PROG_LOAD' ? BPF_KEYS : FILE_KEYS;
  const properties = keys.map((k) => `${k}=${eventValue(event, k)}`);
  const text = [
    `ipe_op=${event.op}`,
    `ipe_hook=${hook}`,
    `enforcing=${enforcing ? 1 : 0}`,
    `pid=${pid}`,
    `comm=${comm === '?' ? '?' : auditString(comm)}`,
    ...properties,
    `rule="${rule}"`,
  ].join(' ');
  return {
    op: event.op,
    hook,
    enforcing,
    pid,
    comm,
    properties,
    rule,
    line,
    action,
    ...(policy ? { policy: { name: policy.name, version: policy.version } } : {}),
    text,
  };
}

/**
 * Decides an event under a policy (or with no policy: everything is allowed, as IPE does before
 * a policy is activated).
 *
 * @param policy - the active policy, or undefined
 * @param event - what is being done
 * @param options - enforcement and who asks, for the audit record
 */
export function evaluate(
  policy: Policy | undefined,
  event: PolicyEvent,
  options: EvaluateOptions = {},
): Decision {
  if (!(OPERATIONS as readonly string[]).includes(event.op)) {
    throw new TypeError(`evaluate: unknown operation '${String(event.op)}'`);
  }
  const enforcing = options.enforcing ?? true;
  const finish = (
    action: Action,
    source: DecisionSource,
    rule: Rule | undefined,
    line: number,
    text: string,
    checked: RuleCheck[],
  ): Decision => {
    const permitted = action === 'ALLOW' || !enforcing;
    return {
      action,
      permitted,
      errno: permitted ? undefined : 'EACCES',
      source,
      rule,
      line,
      ruleText: text,
      checked,
      audit: auditRecord(event, policy, action, text, line, options),
    };
  };
  if (policy === undefined) return finish('ALLOW', 'no-policy', undefined, 0, '?', []);
  const checked: RuleCheck[] = [];
  for (const rule of policy.rules) {
    if (rule.op !== event.op) continue;
    const c = checkRule(rule, event);
    checked.push(c);
    if (c.matched) return finish(rule.action, 'rule', rule, rule.line, ruleText(rule), checked);
  }
  const od = policy.opDefaults[event.op];
  if (od)
    return finish(od.action, 'op-default', undefined, od.line, defaultText(od.action, event.op), checked);
  const gd = policy.globalDefault;
  if (gd) return finish(gd.action, 'global-default', undefined, gd.line, defaultText(gd.action), checked);
  // parsePolicy never returns such a policy; one built in code gets the kernel's fallback (allow).
  return finish('ALLOW', 'global-default', undefined, 0, 'DEFAULT action=ALLOW', checked);
}

/**
 * Explains a decision in words: what decided, and why each earlier rule did not.
 *
 * @returns lines of text, without trailing newlines
 */
export function explainDecision(d: Decision): string[] {
  const out: string[] = [];
  for (const c of d.checked) {
    if (c.matched) continue;
    const f = c.failed!;
    out.push(
      `line ${c.rule.line}: ${ruleText(c.rule)}: no match: ${f.property.key} is ${f.got}, the rule wants ${f.property.value}`,
    );
  }
  if (d.source === 'rule') {
    const props = d.rule!.properties;
    out.push(
      `line ${d.line}: ${d.ruleText}: matches${props.length === 0 ? ' every event of its operation' : `: ${props.map((p) => `${p.key}=${p.value}`).join(', ')}`}`,
    );
  } else if (d.source === 'op-default') {
    out.push(`line ${d.line}: ${d.ruleText}: no rule matched, the operation's default applies`);
  } else if (d.source === 'global-default') {
    out.push(
      `line ${d.line}: ${d.ruleText}: no rule matched and the operation has no default, the global default applies`,
    );
  } else {
    out.push('no active policy: everything is allowed');
  }
  if (!d.permitted || d.action === 'DENY') {
    out.push(d.permitted ? 'not enforcing: the DENY is recorded only' : 'the operation fails with EACCES');
  }
  return out;
}

const EVENT_KEYS = new Set(['op', 'hook', ...BPF_KEYS, ...FILE_KEYS]);

/**
 * Validates an event given as JSON data (e.g. `--event '{"op":"BPF_PROG_LOAD",...}'`). Booleans
 * may be `true`/`false` or `"TRUE"`/`"FALSE"`.
 *
 * @throws FormatError - naming the field, e.g. `event.bpf_signature`
 */
export function parseEvent(value: unknown): PolicyEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError('event', 'must be a JSON object');
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!EVENT_KEYS.has(k)) throw new FormatError(`event.${k}`, 'unknown field');
  }
  const oneOf = (k: string, allowed: readonly string[]): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !allowed.includes(v)) {
      throw new FormatError(`event.${k}`, `must be one of ${allowed.join(', ')}`);
    }
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (v === true || v === 'TRUE') return true;
    if (v === false || v === 'FALSE') return false;
    throw new FormatError(`event.${k}`, 'must be true, false, "TRUE" or "FALSE"');
  };
  const digest = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[^:]*:([0-9a-fA-F]{2})*$/.test(v)) {
      throw new FormatError(`event.${k}`, 'must be "ALG:HEX"');
    }
    return canonicalDigest(v);
  };
  if (o.op === undefined) throw new FormatError('event.op', 'is required');
  const op = oneOf('op', OPERATIONS) as Operation;
  const ev: Record<string, unknown> = { op };
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) ev[k] = v;
  };
  set('hook', oneOf('hook', IPE_HOOKS));
  set('bpf_signature', oneOf('bpf_signature', BPF_SIGNATURES));
  set('bpf_keyring', oneOf('bpf_keyring', BPF_KEYRINGS));
  set('bpf_kernel', bool('bpf_kernel'));
  set('boot_verified', bool('boot_verified'));
  set('dmverity_roothash', digest('dmverity_roothash'));
  set('dmverity_signature', bool('dmverity_signature'));
  set('fsverity_digest', digest('fsverity_digest'));
  set('fsverity_signature', bool('fsverity_signature'));
  return ev as unknown as PolicyEvent;
}
