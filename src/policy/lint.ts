/**
 * Warnings about policies the kernel accepts but that do not do what they seem to.
 *
 * - `contradictory`: a rule asks for two different values of one property; it never matches.
 * - `duplicate-property`: a rule repeats a property.
 * - `never-matches-op`: a property that the rule's operation never has (a `bpf_*` property on a
 *   file operation; a digest property on `BPF_PROG_LOAD`), so the rule never matches.
 * - `unreachable`: an earlier rule of the same operation has no property, so it matches first.
 * - `shadowed`: an earlier rule of the same operation asks for a subset of this rule's
 *   properties, so it always matches first (`redundant` when both have the same action).
 * - `never-decides`: for `BPF_PROG_LOAD`, whose events are finite, every event this rule matches
 *   is decided by earlier rules together (checked exhaustively).
 * - `unused-default`: the rules of an operation decide every event, so its default never applies.
 * - `mixed-vocabulary`: `bpf_signature` values from both proposals (`METADATA_VERIFIED` and a
 *   Hornet-only verdict): one machine reports verdicts in one vocabulary only.
 *
 * @module
 */

import { checkRule, type PolicyEvent } from './evaluate.js';
import { ruleText } from './print.js';
import {
  BPF_KEYRINGS,
  BPF_PROPERTY_KEYS,
  BPF_SIGNATURES,
  type BpfKeyring,
  type BpfSignature,
  OPERATIONS,
  type Operation,
  type Policy,
  type Rule,
} from './types.js';

/** The kind of a lint finding. */
export type LintCode =
  | 'contradictory'
  | 'duplicate-property'
  | 'never-matches-op'
  | 'unreachable'
  | 'shadowed'
  | 'redundant'
  | 'never-decides'
  | 'unused-default'
  | 'mixed-vocabulary';

/** One warning. */
export interface LintFinding {
  /** What kind. */
  readonly code: LintCode;
  /** The line it is about. */
  readonly line: number;
  /** Explanation, naming the other line involved when there is one. */
  readonly message: string;
}

const HORNET_ONLY = new Set(['NONE', 'PARTIALSIG', 'UNKNOWNKEY', 'UNEXPECTED', 'FAULT', 'BADSIG']);

/** Whether a rule can match some event at all. */
function neverMatches(rule: Rule): string | undefined {
  const seen = new Map<string, string>();
  for (const p of rule.properties) {
    const prev = seen.get(p.key);
    if (prev !== undefined && prev !== p.value) return `asks for ${p.key}=${prev} and ${p.key}=${p.value}`;
    seen.set(p.key, p.value);
  }
  for (const p of rule.properties) {
    const bpfKey = BPF_PROPERTY_KEYS.includes(p.key);
    if (bpfKey && rule.op !== 'BPF_PROG_LOAD') return `${p.key} is never set for op=${rule.op}`;
    if (
      !bpfKey &&
      rule.op === 'BPF_PROG_LOAD' &&
      (p.key === 'dmverity_roothash' || p.key === 'fsverity_digest' || p.value === 'TRUE')
    ) {
      return `${p.key}=${p.value} never holds for op=BPF_PROG_LOAD (no file)`;
    }
  }
  return undefined;
}

/** Every BPF_PROG_LOAD event a policy can tell apart. */
function bpfEvents(): PolicyEvent[] {
  const out: PolicyEvent[] = [];
  const keyrings: (BpfKeyring | undefined)[] = [undefined, ...BPF_KEYRINGS];
  for (const s of BPF_SIGNATURES as readonly BpfSignature[]) {
    for (const k of keyrings) {
      for (const kernel of [false, true]) {
        out.push({
          op: 'BPF_PROG_LOAD',
          bpf_signature: s,
          bpf_kernel: kernel,
          ...(k === undefined ? {} : { bpf_keyring: k }),
        });
      }
    }
  }
  return out;
}

const propSet = (r: Rule): Set<string> => new Set(r.properties.map((p) => `${p.key}=${p.value}`));

/** Lints a parsed policy. Findings come sorted by line. */
export function lintPolicy(policy: Policy): LintFinding[] {
  const out: LintFinding[] = [];
  const dead = new Set<Rule>();
  for (const r of policy.rules) {
    const seen = new Set<string>();
    for (const p of r.properties) {
      const kv = `${p.key}=${p.value}`;
      if (seen.has(kv)) {
        out.push({ code: 'duplicate-property', line: r.line, message: `${kv} is repeated` });
      }
      seen.add(kv);
    }
    const why = neverMatches(r);
    if (why !== undefined) {
      dead.add(r);
      const code = why.startsWith('asks for') ? 'contradictory' : 'never-matches-op';
      out.push({ code, line: r.line, message: `${ruleText(r)} never matches: ${why}` });
    }
  }
  for (const op of OPERATIONS) {
    const rules = policy.rules.filter((r) => r.op === op);
    for (let j = 0; j < rules.length; j++) {
      const later = rules[j]!;
      if (dead.has(later)) continue;
      const laterSet = propSet(later);
      for (let i = 0; i < j; i++) {
        const earlier = rules[i]!;
        if (dead.has(earlier)) continue;
        const earlierSet = propSet(earlier);
        if (earlierSet.size === 0) {
          out.push({
            code: 'unreachable',
            line: later.line,
            message: `unreachable: line ${earlier.line} (${ruleText(earlier)}) matches every ${op} event first`,
          });
          dead.add(later);
          break;
        }
        if ([...earlierSet].every((kv) => laterSet.has(kv))) {
          const same = earlier.action === later.action;
          out.push({
            code: same ? 'redundant' : 'shadowed',
            line: later.line,
            message: `${same ? 'redundant' : 'shadowed'}: line ${earlier.line} (${ruleText(earlier)}) matches every event this rule matches${same ? ', with the same action' : ''}`,
          });
          dead.add(later);
          break;
        }
      }
    }
  }
  // BPF_PROG_LOAD: exhaustive check over every distinguishable event.
  const bpfRules = policy.rules.filter((r) => r.op === 'BPF_PROG_LOAD');
  if (bpfRules.length > 0) {
    const decides = new Set<Rule>();
    let defaultUsed = false;
    for (const ev of bpfEvents()) {
      const first = bpfRules.find((r) => checkRule(r, ev).matched);
      if (first) decides.add(first);
      else defaultUsed = true;
    }
    for (const r of bpfRules) {
      if (dead.has(r) || decides.has(r)) continue;
      out.push({
        code: 'never-decides',
        line: r.line,
        message: `never decides: every BPF_PROG_LOAD event it matches is decided by earlier rules`,
      });
    }
    if (!defaultUsed) reportUnusedDefault(policy, 'BPF_PROG_LOAD', out);
  }
  for (const op of OPERATIONS) {
    if (op === 'BPF_PROG_LOAD') continue;
    if (policy.rules.some((r) => r.op === op && r.properties.length === 0))
      reportUnusedDefault(policy, op, out);
  }
  const sigs = policy.rules.flatMap((r) => r.properties.filter((p) => p.key === 'bpf_signature'));
  const ipeOnly = sigs.find((p) => p.value === 'METADATA_VERIFIED');
  const hornetOnly = sigs.find((p) => HORNET_ONLY.has(p.value));
  if (ipeOnly && hornetOnly) {
    const line = policy.rules.find((r) => r.properties.includes(hornetOnly))!.line;
    out.push({
      code: 'mixed-vocabulary',
      line,
      message: `bpf_signature=${hornetOnly.value} (Hornet) and bpf_signature=METADATA_VERIFIED (IPE/BPF signing) in one policy: a machine reports one vocabulary, so some of these rules never match`,
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

function reportUnusedDefault(policy: Policy, op: Operation, out: LintFinding[]): void {
  const d = policy.opDefaults[op];
  if (d === undefined) return;
  out.push({
    code: 'unused-default',
    line: d.line,
    message: `DEFAULT op=${op} never applies: the rules decide every ${op} event`,
  });
}
