/**
 * {@link Policy} -> canonical IPE policy text, and the one-line text of rules and defaults as IPE's
 * audit records show them.
 *
 * The canonical form: the header; the global default; the per-operation defaults in the kernel's
 * operation order; the rules in order; single spaces; no comments; lower-case digests; a final
 * newline. `parsePolicy(printPolicy(p))` equals `p` except for line numbers
 * (see {@link stripLines}), and printing is a fixed point.
 *
 * @module
 */

import { formatVersion, OPERATIONS, type Operation, type Policy, type Rule } from './types.js';

/** `op=X prop... action=A`, the way IPE's audit record prints a rule. */
export function ruleText(rule: Rule): string {
  const props = rule.properties.map((p) => `${p.key}=${p.value}`);
  return [`op=${rule.op}`, ...props, `action=${rule.action}`].join(' ');
}

/** `DEFAULT action=A` or `DEFAULT op=X action=A`. */
export function defaultText(action: string, op?: Operation): string {
  return op === undefined ? `DEFAULT action=${action}` : `DEFAULT op=${op} action=${action}`;
}

/** `policy_name=N policy_version=X.Y.Z`. */
export function headerText(policy: Pick<Policy, 'name' | 'version'>): string {
  return `policy_name=${policy.name} policy_version=${formatVersion(policy.version)}`;
}

/**
 * Prints the canonical text of a policy.
 *
 * @throws RangeError - a policy built in code that no text can express (a name with a space, a tab,
 * `#`, a NUL or a line break, or a version number outside 0..65535)
 */
export function printPolicy(policy: Policy): string {
  if (policy.name.length === 0 || /[ \t\n\r#\0]/.test(policy.name)) {
    throw new RangeError(`policy name ${JSON.stringify(policy.name)} cannot be written in a policy`);
  }
  for (const n of [policy.version.major, policy.version.minor, policy.version.rev]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
      throw new RangeError(`policy version ${formatVersion(policy.version)} is outside 0..65535`);
    }
  }
  const lines = [headerText(policy)];
  if (policy.globalDefault) lines.push(defaultText(policy.globalDefault.action));
  for (const op of OPERATIONS) {
    const d = policy.opDefaults[op];
    if (d) lines.push(defaultText(d.action, op));
  }
  for (const r of policy.rules) lines.push(ruleText(r));
  return `${lines.join('\n')}\n`;
}

/** The same policy with every line number set to 0, for comparing policies by meaning. */
export function stripLines(policy: Policy): Policy {
  const opDefaults: Partial<Record<Operation, { action: 'ALLOW' | 'DENY'; line: number }>> = {};
  for (const op of OPERATIONS) {
    const d = policy.opDefaults[op];
    if (d) opDefaults[op] = { action: d.action, line: 0 };
  }
  return {
    name: policy.name,
    version: { ...policy.version },
    headerLine: 0,
    globalDefault: policy.globalDefault ? { action: policy.globalDefault.action, line: 0 } : undefined,
    opDefaults,
    rules: policy.rules.map((r) => ({
      op: r.op,
      properties: r.properties.map((p) => ({ key: p.key, value: p.value })),
      action: r.action,
      line: 0,
    })),
  };
}
