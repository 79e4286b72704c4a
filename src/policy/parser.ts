/**
 * IPE policy text -> {@link Policy}, accepting and rejecting exactly what the kernel's parser
 * (`security/ipe/policy_parser.c`) does, with the line number of the first problem.
 *
 * The grammar, as the kernel reads it:
 *
 * - the text is cut into lines at every `\n` and `\r`; anything from the first NUL on is ignored;
 * - on each line, everything from the first `#` is a comment; trailing white space is dropped;
 *   lines left empty are skipped;
 * - tokens are separated by spaces and tabs (runs of them count as one);
 * - the first line is the header: exactly `policy_name=NAME policy_version=X.Y.Z`, in that order,
 *   NAME non-empty, X, Y, Z decimal numbers 0..65535 (a leading `+` is accepted);
 * - every later line is `DEFAULT action=A`, `DEFAULT op=O action=A`, or
 *   `op=O [property ...] action=A`; the action is always the last token; DEFAULT lines take no
 *   properties; a global default and each per-operation default may appear once; DEFAULT lines
 *   and rules may come in any order;
 * - keys and values are case-sensitive; a property may repeat, and contradictory properties are
 *   accepted (the rule then never matches: see `lintPolicy`);
 * - the policy needs a global default, or a default for every operation.
 *
 * Errors carry the errno the kernel returns: `EBADMSG` for syntax, `EINVAL` for a version number
 * or a digest that is not a number (`kstrtou16`, `hex2bin`), `ERANGE` for a version number over
 * 65535.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import {
  type Action,
  BPF_KEYRINGS,
  BPF_PROPERTY_KEYS,
  BPF_SIGNATURES,
  type DefaultRule,
  OPERATIONS,
  type Operation,
  type Policy,
  type PolicyVersion,
  type Property,
  type PropertyKey,
  type Rule,
} from './types.js';

/** The errno the kernel's parser returns for a rejected policy. */
export type PolicySyntaxErrno = 'EBADMSG' | 'EINVAL' | 'ERANGE';

/** A malformed policy: `where` is `line N` (1-based), the message `line N: reason`. */
export class PolicySyntaxError extends FormatError {
  /** 1-based line number of the problem. */
  readonly line: number;
  /** What the kernel would return: `EBADMSG`, `EINVAL` or `ERANGE`. */
  readonly errno: PolicySyntaxErrno;

  /**
   * @param line - 1-based line number
   * @param reason - what is wrong on that line
   * @param errno - the kernel's errno for this error
   */
  constructor(line: number, reason: string, errno: PolicySyntaxErrno = 'EBADMSG') {
    super(`line ${line}`, reason);
    this.name = 'PolicySyntaxError';
    this.line = line;
    this.errno = errno;
  }
}

/** Options of {@link parsePolicy}. */
export interface ParseOptions {
  /**
   * Accept `op=BPF_PROG_LOAD` and the `bpf_*` properties (a kernel with the 2026 proposals). With
   * `false`, the parser is today's mainline IPE: they are unknown, and a policy without a global
   * default needs defaults for the seven classic operations only. Default `true`.
   */
  readonly bpf?: boolean;
}

const BOOL_VALUES = ['TRUE', 'FALSE'] as const;
const MAX_TOKEN_SHOWN = 60;

/** Quotes a token for an error message, shortened if long. */
function show(token: string): string {
  const t = token.length > MAX_TOKEN_SHOWN ? `${token.slice(0, MAX_TOKEN_SHOWN)}...` : token;
  return `'${t}'`;
}

/** Splits a line into tokens the way `strsep(" \t")` plus skipping empty tokens does. */
function tokens(line: string): string[] {
  return line.split(/[ \t]/).filter((t) => t.length > 0);
}

/** Removes the comment and trailing white space (`isspace`) of a line. */
function clean(line: string): string {
  const hash = line.indexOf('#');
  const body = hash >= 0 ? line.slice(0, hash) : line;
  return body.replace(/[ \t\n\v\f\r]+$/, '');
}

/** Parses one version component as `kstrtou16(token, 10)` does. */
function versionPart(token: string, line: number): number {
  const digits = token.startsWith('+') ? token.slice(1) : token;
  if (!/^[0-9]+$/.test(digits)) {
    throw new PolicySyntaxError(
      line,
      `policy_version component ${show(token)} is not a decimal number`,
      'EINVAL',
    );
  }
  const significant = digits.replace(/^0+(?=.)/, '');
  if (significant.length > 5 || Number(significant) > 0xffff) {
    throw new PolicySyntaxError(line, `policy_version component ${show(token)} is over 65535`, 'ERANGE');
  }
  return Number(significant);
}

/** Parses `X.Y.Z`. */
function parseVersion(text: string, line: number): PolicyVersion {
  const parts = text.split('.');
  const out: number[] = [];
  for (const part of parts) {
    if (out.length >= 3) {
      throw new PolicySyntaxError(line, `policy_version ${show(text)} has more than three numbers`);
    }
    out.push(versionPart(part, line));
  }
  if (out.length !== 3) {
    throw new PolicySyntaxError(line, `policy_version ${show(text)} needs three numbers X.Y.Z`);
  }
  return { major: out[0]!, minor: out[1]!, rev: out[2]! };
}

/** Parses the header line. */
function parseHeader(text: string, line: number): { name: string; version: PolicyVersion } {
  const toks = tokens(text);
  let name: string | undefined;
  let version: PolicyVersion | undefined;
  const expected = ['policy_name=NAME', 'policy_version=X.Y.Z'];
  for (let idx = 0; idx < toks.length; idx++) {
    const t = toks[idx]!;
    if (idx >= 2) throw new PolicySyntaxError(line, `unexpected ${show(t)} after the policy header`);
    const has = (prefix: string): boolean => t.startsWith(prefix) && t.length > prefix.length;
    const kind = has('policy_name=') ? 0 : has('policy_version=') ? 1 : -1;
    if (kind !== idx) {
      throw new PolicySyntaxError(
        line,
        `policy header: expected ${expected[idx]}, found ${show(t)}${idx === 0 ? ' (the first line must be the header)' : ''}`,
      );
    }
    if (kind === 0) name = t.slice('policy_name='.length);
    else version = parseVersion(t.slice('policy_version='.length), line);
  }
  if (name === undefined) throw new PolicySyntaxError(line, 'policy header: expected policy_name=NAME');
  if (version === undefined) {
    throw new PolicySyntaxError(line, 'policy header: policy_version=X.Y.Z is missing');
  }
  return { name, version };
}

/** Parses `alg:hex` as `ipe_digest_parse` does; returns the canonical form. */
function parseDigest(key: string, value: string, line: number): string {
  const sep = value.indexOf(':');
  if (sep < 0) throw new PolicySyntaxError(line, `${key}: ${show(value)} is not ALG:HEX`);
  const hex = value.slice(sep + 1);
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new PolicySyntaxError(line, `${key}: ${show(hex)} is not an even number of hex digits`, 'EINVAL');
  }
  return `${value.slice(0, sep)}:${hex.toLowerCase()}`;
}

/** Parses one property token. */
function parseProperty(token: string, line: number, bpf: boolean): Property {
  const eq = token.indexOf('=');
  const key = eq < 0 ? token : token.slice(0, eq);
  const value = eq < 0 ? undefined : token.slice(eq + 1);
  const known = (BPF_PROPERTY_KEYS as readonly string[]).includes(key) ? bpf : isPropertyKey(key);
  if (key === 'op') throw new PolicySyntaxError(line, `a rule has one op= (found a second: ${show(token)})`);
  if (key === 'action') {
    throw new PolicySyntaxError(line, `action= must be the last token of the line (found ${show(token)})`);
  }
  if (!known || value === undefined) {
    throw new PolicySyntaxError(line, `unknown property ${show(token)}`);
  }
  const k = key as PropertyKey;
  const allowed: readonly string[] | undefined =
    k === 'bpf_signature'
      ? BPF_SIGNATURES
      : k === 'bpf_keyring'
        ? BPF_KEYRINGS
        : k === 'dmverity_roothash' || k === 'fsverity_digest'
          ? undefined
          : BOOL_VALUES;
  if (allowed === undefined) {
    if (value === '') throw new PolicySyntaxError(line, `${k}: the digest is empty`);
    return { key: k, value: parseDigest(k, value, line) };
  }
  if (!allowed.includes(value)) {
    throw new PolicySyntaxError(line, `${k}: ${show(value)} is not one of ${allowed.join(', ')}`);
  }
  return { key: k, value };
}

function isPropertyKey(key: string): boolean {
  return (
    key === 'boot_verified' ||
    key === 'dmverity_roothash' ||
    key === 'dmverity_signature' ||
    key === 'fsverity_digest' ||
    key === 'fsverity_signature'
  );
}

/** Parses `op=X`, or returns undefined. */
function parseOp(token: string, bpf: boolean): Operation | undefined {
  if (!token.startsWith('op=')) return undefined;
  const name = token.slice(3);
  if (!(OPERATIONS as readonly string[]).includes(name)) return undefined;
  if (name === 'BPF_PROG_LOAD' && !bpf) return undefined;
  return name as Operation;
}

/** Parses `action=X`, or returns undefined. */
function parseAction(token: string): Action | undefined {
  if (token === 'action=ALLOW') return 'ALLOW';
  if (token === 'action=DENY') return 'DENY';
  return undefined;
}

interface Builder {
  globalDefault: DefaultRule | undefined;
  opDefaults: Partial<Record<Operation, DefaultRule>>;
  rules: Rule[];
}

/** Parses a DEFAULT line or a rule into `b`. */
function parseRuleLine(text: string, line: number, b: Builder, bpf: boolean): void {
  const toks = tokens(text);
  const last = toks[toks.length - 1]!;
  let isDefault = false;
  let op: Operation | undefined;
  const props: Property[] = [];
  for (let i = 0; i < toks.length - 1; i++) {
    const t = toks[i]!;
    if (i === 0 && t === 'DEFAULT') {
      isDefault = true;
    } else if (op === undefined) {
      op = parseOp(t, bpf);
      if (op === undefined) {
        const why = t.startsWith('op=')
          ? `unknown operation ${show(t.slice(3))}`
          : `expected op=OPERATION${i === 0 ? ' or DEFAULT' : ''}, found ${show(t)}`;
        throw new PolicySyntaxError(line, why);
      }
    } else {
      props.push(parseProperty(t, line, bpf));
    }
  }
  const action = parseAction(last);
  if (action === undefined) {
    const why = last.startsWith('action=')
      ? `unknown action ${show(last.slice(7))} (ALLOW or DENY)`
      : `the line must end with action=ALLOW or action=DENY, not ${show(last)}`;
    throw new PolicySyntaxError(line, why);
  }
  if (isDefault) {
    if (props.length > 0) throw new PolicySyntaxError(line, 'a DEFAULT line takes no properties');
    if (op === undefined) {
      if (b.globalDefault !== undefined) {
        throw new PolicySyntaxError(
          line,
          `a second global DEFAULT (the first is on line ${b.globalDefault.line})`,
        );
      }
      b.globalDefault = { action, line };
    } else {
      const prev = b.opDefaults[op];
      if (prev !== undefined) {
        throw new PolicySyntaxError(line, `a second DEFAULT op=${op} (the first is on line ${prev.line})`);
      }
      b.opDefaults[op] = { action, line };
    }
  } else if (op === undefined) {
    throw new PolicySyntaxError(line, 'a rule needs op=OPERATION before action=');
  } else {
    b.rules.push({ op, properties: props, action, line });
  }
}

/**
 * Parses IPE policy text.
 *
 * @param text - the policy
 * @param options - see {@link ParseOptions}
 * @returns the typed policy, with the line number of every rule and default
 * @throws PolicySyntaxError - the first problem, as `line N: reason`, with the kernel's errno
 */
export function parsePolicy(text: string, options: ParseOptions = {}): Policy {
  if (typeof text !== 'string') throw new TypeError('parsePolicy: text must be a string');
  const bpf = options.bpf ?? true;
  if (text.length === 0) throw new PolicySyntaxError(1, 'the policy is empty');
  const nul = text.indexOf('\0');
  const body = nul >= 0 ? text.slice(0, nul) : text;
  const lines = body.split(/\r\n|\r|\n/);
  let header: { name: string; version: PolicyVersion; line: number } | undefined;
  const b: Builder = { globalDefault: undefined, opDefaults: {}, rules: [] };
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const t = clean(lines[i]!);
    if (t.length === 0) continue;
    if (header === undefined) header = { ...parseHeader(t, line), line };
    else parseRuleLine(t, line, b, bpf);
  }
  // Whole-policy errors point at the last line that is not blank.
  let end = lines.length;
  while (end > 1 && lines[end - 1]!.trim() === '') end--;
  end = Math.max(1, end);
  if (header === undefined) {
    throw new PolicySyntaxError(end, 'no policy header (policy_name=NAME policy_version=X.Y.Z)');
  }
  if (b.globalDefault === undefined) {
    const ops = OPERATIONS.filter((o) => bpf || o !== 'BPF_PROG_LOAD');
    const missing = ops.filter((o) => b.opDefaults[o] === undefined);
    if (missing.length > 0) {
      throw new PolicySyntaxError(
        end,
        `no global DEFAULT action=..., and no DEFAULT op=... for ${missing.join(', ')}`,
      );
    }
  }
  return {
    name: header.name,
    version: header.version,
    headerLine: header.line,
    globalDefault: b.globalDefault,
    opDefaults: b.opDefaults,
    rules: b.rules,
  };
}
