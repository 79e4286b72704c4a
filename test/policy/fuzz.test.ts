import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BPF_KEYRINGS,
  BPF_SIGNATURES,
  evaluate,
  lintPolicy,
  OPERATIONS,
  type Policy,
  PolicySyntaxError,
  parsePolicy,
  printPolicy,
  stripLines,
} from '../../src/policy/index.js';
import { VALID_EXAMPLES } from './examples.js';

/** Words a policy is made of, and near misses. */
const WORDS = [
  'policy_name=x',
  'policy_version=1.0.0',
  'policy_version=1.0',
  'policy_version=70000.0.0',
  'DEFAULT',
  'default',
  'action=ALLOW',
  'action=DENY',
  'action=',
  ...OPERATIONS.map((o) => `op=${o}`),
  'op=',
  ...BPF_SIGNATURES.map((v) => `bpf_signature=${v}`),
  ...BPF_KEYRINGS.map((v) => `bpf_keyring=${v}`),
  'bpf_kernel=TRUE',
  'bpf_kernel=FALSE',
  'boot_verified=TRUE',
  'dmverity_roothash=sha256:00',
  'fsverity_digest=sha256:0',
  'fsverity_signature=FALSE',
  'is_kernel=TRUE',
  'policy_name=a\u00a0b',
  'policy_name=\u2028',
  'fsverity_digest=a\vb:00',
  '\u00a0',
  '\v',
  '#',
  '=',
  '',
];

const line = fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 6 });
const sep = fc.constantFrom(' ', '\t', '  ');
const lines = fc.array(fc.tuple(line, sep), { maxLength: 12 }).map((ls) => ls.map(([w, s]) => w.join(s)));
const eol = fc.constantFrom('\n', '\r\n', '\r');

/** Parses, and checks the only outcomes are a policy or a PolicySyntaxError with a sane line. */
function parseOrSyntaxError(text: string): Policy | undefined {
  try {
    return parsePolicy(text);
  } catch (e) {
    assert.ok(e instanceof PolicySyntaxError, `unexpected ${String(e)}`);
    const total = text.split(/\r\n|\r|\n/).length;
    assert.ok(e.line >= 1 && e.line <= Math.max(1, total), `line ${e.line} of ${total}`);
    assert.ok(e.message.startsWith(`line ${e.line}: `));
    return undefined;
  }
}

function checkParsed(p: Policy): void {
  const printed = printPolicy(p);
  const again = parsePolicy(printed);
  assert.deepEqual(stripLines(again), stripLines(p));
  lintPolicy(p);
  evaluate(p, { op: 'BPF_PROG_LOAD', bpf_signature: 'OK', bpf_kernel: false });
}

describe('policy fuzz', () => {
  it('random lines of policy words: a policy (that round-trips) or a PolicySyntaxError', () => {
    fc.assert(
      fc.property(lines, eol, fc.boolean(), (ls, nl, withHeader) => {
        const text = (
          withHeader ? ['policy_name=f policy_version=1.2.3', 'DEFAULT action=DENY', ...ls] : ls
        ).join(nl);
        const p = parseOrSyntaxError(text);
        if (p) checkParsed(p);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated example policies: a policy or a PolicySyntaxError', () => {
    const examples = Object.values(VALID_EXAMPLES);
    const mutation = fc.record({
      which: fc.nat(examples.length - 1),
      at: fc.nat(),
      del: fc.nat(8),
      insert: fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom(...WORDS, '\n', '#', ' ', '\0', '.', '='),
      ),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        let text = examples[ms[0]!.which]!;
        for (const m of ms) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.del);
        }
        const p = parseOrSyntaxError(text);
        if (p) checkParsed(p);
      }),
      { numRuns: 400 },
    );
  });

  it('arbitrary unicode text never throws anything but PolicySyntaxError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        parseOrSyntaxError(text);
      }),
      { numRuns: 300 },
    );
  });
});
