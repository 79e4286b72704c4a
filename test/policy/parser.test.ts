import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BPF_KEYRINGS,
  BPF_SIGNATURES,
  OPERATIONS,
  PolicySyntaxError,
  parsePolicy,
  printPolicy,
  stripLines,
} from '../../src/policy/index.js';
import { FormatError } from '../../src/util/errors.js';
import { HORNET_EXAMPLE_AS_POSTED, IPE_DOC_EXAMPLES, SIGNED_ONLY, VALID_EXAMPLES } from './examples.js';

const H = 'policy_name=t policy_version=1.0.0\n';
const HD = `${H}DEFAULT action=ALLOW\n`;

describe('parsePolicy: examples', () => {
  for (const [name, text] of Object.entries(VALID_EXAMPLES)) {
    it(`parses ${name} and round-trips it`, () => {
      const p = parsePolicy(text);
      const printed = printPolicy(p);
      const again = parsePolicy(printed);
      assert.deepEqual(stripLines(again), stripLines(p));
      assert.equal(printPolicy(again), printed);
    });
  }

  it('keeps line numbers, names, versions and defaults (signed-only)', () => {
    const p = parsePolicy(SIGNED_ONLY);
    assert.equal(p.name, 'signed_only');
    assert.deepEqual(p.version, { major: 1, minor: 0, rev: 0 });
    assert.equal(p.headerLine, 2);
    assert.deepEqual(p.globalDefault, { action: 'ALLOW', line: 4 });
    assert.deepEqual(p.opDefaults.BPF_PROG_LOAD, { action: 'DENY', line: 5 });
    assert.deepEqual(
      p.rules.map((r) => r.line),
      [7, 8, 9, 10],
    );
    assert.deepEqual(p.rules[1]!.properties, [
      { key: 'bpf_signature', value: 'METADATA_VERIFIED' },
      { key: 'bpf_keyring', value: 'USER' },
    ]);
  });

  it("the IPE admin guide's examples parse as mainline IPE too (bpf: false)", () => {
    for (const text of Object.values(IPE_DOC_EXAMPLES)) {
      assert.deepEqual(parsePolicy(text, { bpf: false }), parsePolicy(text));
    }
  });

  it("rejects Hornet's posted example at its is_kernel line", () => {
    assert.throws(
      () => parsePolicy(HORNET_EXAMPLE_AS_POSTED),
      (e: unknown) =>
        e instanceof PolicySyntaxError && e.line === 4 && /unknown property 'is_kernel=TRUE'/.test(e.message),
    );
  });
});

describe('parsePolicy: every operation, property and value', () => {
  for (const op of OPERATIONS) {
    it(`op=${op} parses and prints`, () => {
      const p = parsePolicy(`${HD}op=${op} action=DENY\nDEFAULT op=${op} action=ALLOW\n`);
      assert.equal(p.rules[0]!.op, op);
      assert.equal(p.opDefaults[op]!.action, 'ALLOW');
      assert.match(printPolicy(p), new RegExp(`^op=${op} action=DENY$`, 'm'));
    });
  }
  const values: [string, readonly string[]][] = [
    ['bpf_signature', BPF_SIGNATURES],
    ['bpf_keyring', BPF_KEYRINGS],
    ['bpf_kernel', ['TRUE', 'FALSE']],
    ['boot_verified', ['TRUE', 'FALSE']],
    ['dmverity_signature', ['TRUE', 'FALSE']],
    ['fsverity_signature', ['TRUE', 'FALSE']],
  ];
  for (const [key, vals] of values) {
    for (const v of vals) {
      it(`${key}=${v}`, () => {
        const p = parsePolicy(`${HD}op=BPF_PROG_LOAD ${key}=${v} action=ALLOW\n`);
        assert.deepEqual(p.rules[0]!.properties, [{ key, value: v }]);
      });
    }
  }
  it('digests: canonical lower-case hex, any algorithm name, empty digest accepted as the kernel does', () => {
    const p = parsePolicy(
      `${HD}op=EXECUTE dmverity_roothash=sha256:ABcd fsverity_digest=sha512:00 fsverity_digest=:ff dmverity_roothash=sha256: action=ALLOW\n`,
    );
    assert.deepEqual(
      p.rules[0]!.properties.map((x) => x.value),
      ['sha256:abcd', 'sha512:00', ':ff', 'sha256:'],
    );
  });
  it('versions: leading zeros and +, the limits 0 and 65535', () => {
    assert.deepEqual(parsePolicy('policy_name=a policy_version=007.+1.65535\nDEFAULT action=DENY').version, {
      major: 7,
      minor: 1,
      rev: 65535,
    });
    assert.deepEqual(parsePolicy('policy_name=a policy_version=0.0.0\nDEFAULT action=DENY').version, {
      major: 0,
      minor: 0,
      rev: 0,
    });
  });
  it('names may hold = and other printable characters; # ends them', () => {
    assert.equal(parsePolicy('policy_name=a=b:c policy_version=1.0.0\nDEFAULT action=DENY').name, 'a=b:c');
  });
});

describe('parsePolicy: layout, ordering and defaults', () => {
  it('tabs, runs of blanks, CR, CRLF, comments, blank lines, trailing white space', () => {
    const p = parsePolicy(
      '# c\r\n\r\n \tpolicy_name=x\t\tpolicy_version=1.2.3  # c\r  DEFAULT   action=DENY\t\v\f\nop=EXECUTE\tboot_verified=TRUE action=ALLOW#x',
    );
    assert.equal(p.headerLine, 3);
    assert.equal(p.globalDefault!.line, 4);
    assert.equal(p.rules[0]!.line, 5);
  });
  it('DEFAULT lines may follow rules, and rules of different operations interleave', () => {
    const p = parsePolicy(
      `${H}op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW\nop=EXECUTE action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nDEFAULT action=ALLOW\n`,
    );
    assert.deepEqual(
      p.rules.map((r) => r.op),
      ['BPF_PROG_LOAD', 'EXECUTE'],
    );
    assert.equal(p.opDefaults.BPF_PROG_LOAD!.line, 4);
    assert.equal(p.globalDefault!.line, 5);
  });
  it('no global default is fine when every operation has one', () => {
    const defaults = OPERATIONS.map((o) => `DEFAULT op=${o} action=DENY`).join('\n');
    const p = parsePolicy(`${H}${defaults}\n`);
    assert.equal(p.globalDefault, undefined);
    assert.equal(Object.keys(p.opDefaults).length, OPERATIONS.length);
  });
  it('with bpf: false, BPF_PROG_LOAD needs no default but is unknown', () => {
    const seven = OPERATIONS.filter((o) => o !== 'BPF_PROG_LOAD')
      .map((o) => `DEFAULT op=${o} action=DENY`)
      .join('\n');
    assert.equal(parsePolicy(`${H}${seven}\n`, { bpf: false }).globalDefault, undefined);
    assert.throws(() => parsePolicy(`${H}${seven}\n`), /no DEFAULT op=\.\.\. for BPF_PROG_LOAD/);
    assert.throws(
      () => parsePolicy(`${HD}op=BPF_PROG_LOAD action=DENY\n`, { bpf: false }),
      (e: unknown) => e instanceof PolicySyntaxError && e.line === 3 && /unknown operation/.test(e.message),
    );
    assert.throws(
      () => parsePolicy(`${HD}op=EXECUTE bpf_kernel=TRUE action=DENY\n`, { bpf: false }),
      /line 3: unknown property/,
    );
  });
  it('repeated and contradictory properties are accepted, as the kernel accepts them', () => {
    const p = parsePolicy(
      `${HD}op=BPF_PROG_LOAD bpf_kernel=TRUE bpf_kernel=TRUE bpf_kernel=FALSE action=DENY\n`,
    );
    assert.equal(p.rules[0]!.properties.length, 3);
  });
  it('text after a NUL is ignored, as the kernel copies the policy as a C string', () => {
    const p = parsePolicy(`${HD}\0op=BOGUS garbage`);
    assert.equal(p.rules.length, 0);
  });
});

/** [what, text, line, errno]. */
const MALFORMED: [string, string, number, string][] = [
  ['empty text', '', 1, 'EBADMSG'],
  ['only comments', '# a\n#b\n\n', 2, 'EBADMSG'],
  ['no header: a DEFAULT first', 'DEFAULT action=ALLOW\n', 1, 'EBADMSG'],
  ['header fields swapped', 'policy_version=1.0.0 policy_name=a\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['header without version', 'policy_name=a\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['header with extra token', 'policy_name=a policy_version=1.0.0 x=y\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['empty policy name', 'policy_name= policy_version=1.0.0\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['upper-case header key', 'POLICY_NAME=a policy_version=1.0.0\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['version with two numbers', 'policy_name=a policy_version=1.0\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['version with four numbers', 'policy_name=a policy_version=1.0.0.0\nDEFAULT action=DENY', 1, 'EBADMSG'],
  [
    'version component over 65535',
    'policy_name=a policy_version=1.65536.0\nDEFAULT action=DENY',
    1,
    'ERANGE',
  ],
  [
    'huge version component',
    'policy_name=a policy_version=99999999999999999999.0.0\nDEFAULT action=DENY',
    1,
    'ERANGE',
  ],
  ['negative version', 'policy_name=a policy_version=-1.0.0\nDEFAULT action=DENY', 1, 'EINVAL'],
  ['hex version', 'policy_name=a policy_version=0x1.0.0\nDEFAULT action=DENY', 1, 'EINVAL'],
  ['empty version component', 'policy_name=a policy_version=1..0\nDEFAULT action=DENY', 1, 'EINVAL'],
  ['empty version', 'policy_name=a policy_version=\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['no default at all', `${H}op=EXECUTE action=ALLOW\n\n`, 2, 'EBADMSG'],
  ['two global defaults', `${HD}\nDEFAULT action=DENY\n`, 4, 'EBADMSG'],
  [
    'two defaults for one op',
    `${HD}DEFAULT op=EXECUTE action=DENY\nDEFAULT op=EXECUTE action=ALLOW\n`,
    4,
    'EBADMSG',
  ],
  ['DEFAULT with a property', `${HD}DEFAULT op=EXECUTE boot_verified=TRUE action=DENY\n`, 3, 'EBADMSG'],
  ['DEFAULT property without op', `${HD}DEFAULT boot_verified=TRUE action=DENY\n`, 3, 'EBADMSG'],
  ['DEFAULT alone', `${HD}DEFAULT\n`, 3, 'EBADMSG'],
  ['DEFAULT DEFAULT', `${HD}DEFAULT DEFAULT action=DENY\n`, 3, 'EBADMSG'],
  ['lower-case default', `${H}default action=DENY\n`, 2, 'EBADMSG'],
  ['rule without op', `${HD}bpf_kernel=TRUE action=ALLOW\n`, 3, 'EBADMSG'],
  ['action alone', `${HD}action=ALLOW\n`, 3, 'EBADMSG'],
  ['rule without action', `${HD}op=EXECUTE boot_verified=TRUE\n`, 3, 'EBADMSG'],
  ['action not last', `${HD}op=EXECUTE action=ALLOW boot_verified=TRUE\n`, 3, 'EBADMSG'],
  ['two actions', `${HD}op=EXECUTE action=ALLOW action=DENY\n`, 3, 'EBADMSG'],
  ['unknown action', `${HD}op=EXECUTE action=AUDIT\n`, 3, 'EBADMSG'],
  ['lower-case action', `${HD}op=EXECUTE action=allow\n`, 3, 'EBADMSG'],
  ['unknown operation', `${HD}op=EXEC action=ALLOW\n`, 3, 'EBADMSG'],
  ['lower-case operation', `${HD}op=bpf_prog_load action=ALLOW\n`, 3, 'EBADMSG'],
  ['two ops', `${HD}op=EXECUTE op=KMODULE action=ALLOW\n`, 3, 'EBADMSG'],
  ['unknown property', `${HD}op=BPF_PROG_LOAD is_kernel=TRUE action=ALLOW\n`, 3, 'EBADMSG'],
  ['unknown bpf_signature', `${HD}op=BPF_PROG_LOAD bpf_signature=VERIFIED action=ALLOW\n`, 3, 'EBADMSG'],
  ['lower-case bpf_signature', `${HD}op=BPF_PROG_LOAD bpf_signature=ok action=ALLOW\n`, 3, 'EBADMSG'],
  ['unknown keyring', `${HD}op=BPF_PROG_LOAD bpf_keyring=SESSION action=ALLOW\n`, 3, 'EBADMSG'],
  ['bpf_kernel=1', `${HD}op=BPF_PROG_LOAD bpf_kernel=1 action=ALLOW\n`, 3, 'EBADMSG'],
  ['boot_verified=true', `${HD}op=EXECUTE boot_verified=true action=ALLOW\n`, 3, 'EBADMSG'],
  ['property without =', `${HD}op=EXECUTE boot_verified action=ALLOW\n`, 3, 'EBADMSG'],
  ['property with spaces around =', `${HD}op=EXECUTE boot_verified = TRUE action=ALLOW\n`, 3, 'EBADMSG'],
  ['digest without algorithm separator', `${HD}op=EXECUTE fsverity_digest=abcd action=ALLOW\n`, 3, 'EBADMSG'],
  ['digest with odd hex', `${HD}op=EXECUTE fsverity_digest=sha256:abc action=ALLOW\n`, 3, 'EINVAL'],
  ['digest with non-hex', `${HD}op=EXECUTE dmverity_roothash=sha256:zz action=ALLOW\n`, 3, 'EINVAL'],
  ['empty digest value', `${HD}op=EXECUTE dmverity_roothash= action=ALLOW\n`, 3, 'EBADMSG'],
  [
    'error far down, after comments',
    `${HD}# one\n\n# two\nop=EXECUTE action=ALLOW\nop=KMODULE nope=1 action=DENY\n`,
    7,
    'EBADMSG',
  ],
  ['header split by a comment', 'policy_name=a # policy_version=1.0.0\nDEFAULT action=DENY', 1, 'EBADMSG'],
  ['CR counts as a line break', `${H}DEFAULT action=DENY\rop=X action=ALLOW\n`, 3, 'EBADMSG'],
];

describe('parsePolicy: malformed policies', () => {
  it(`has at least 30 cases (${MALFORMED.length})`, () => assert.ok(MALFORMED.length >= 30));
  for (const [what, text, line, errno] of MALFORMED) {
    it(`${what}: line ${line}, ${errno}`, () => {
      assert.throws(
        () => parsePolicy(text),
        (e: unknown) => {
          assert.ok(e instanceof PolicySyntaxError, `not a PolicySyntaxError: ${String(e)}`);
          assert.ok(e instanceof FormatError);
          assert.equal(e.line, line, e.message);
          assert.equal(e.errno, errno, e.message);
          assert.equal(e.where, `line ${line}`);
          assert.ok(e.message.startsWith(`line ${line}: `), e.message);
          return true;
        },
      );
    });
  }
});

describe('printPolicy', () => {
  it('prints the canonical form', () => {
    const p = parsePolicy(
      `${H}op=EXECUTE   fsverity_digest=SHA256:AB action=ALLOW # x\nDEFAULT op=BPF_PROG_LOAD action=DENY\nDEFAULT op=EXECUTE action=ALLOW\nDEFAULT action=ALLOW\n`,
    );
    assert.equal(
      printPolicy(p),
      [
        'policy_name=t policy_version=1.0.0',
        'DEFAULT action=ALLOW',
        'DEFAULT op=EXECUTE action=ALLOW',
        'DEFAULT op=BPF_PROG_LOAD action=DENY',
        'op=EXECUTE fsverity_digest=SHA256:ab action=ALLOW',
        '',
      ].join('\n'),
    );
  });
  it('a canonical text parses to a policy whose lines match the printed text', () => {
    const text = printPolicy(parsePolicy(SIGNED_ONLY));
    const p = parsePolicy(text);
    assert.deepEqual(parsePolicy(printPolicy(p)), p);
  });
  it('refuses names no policy text can hold', () => {
    const p = parsePolicy(SIGNED_ONLY);
    assert.throws(() => printPolicy({ ...p, name: 'a b' }), RangeError);
    assert.throws(() => printPolicy({ ...p, name: '' }), RangeError);
    assert.throws(() => printPolicy({ ...p, version: { major: 70000, minor: 0, rev: 0 } }), RangeError);
  });
});

describe('parsePolicy: characters that are not delimiters', () => {
  it('names and digests keep NBSP, vertical tab, U+2028 in the middle, and print back', () => {
    for (const odd of ['\u00a0', '\v', '\f', '\u2028', 'é']) {
      const text = `policy_name=a${odd}b policy_version=1.0.0\nDEFAULT action=DENY\nop=EXECUTE fsverity_digest=x${odd}y:00 action=ALLOW\n`;
      const p = parsePolicy(text);
      assert.equal(p.name, `a${odd}b`);
      assert.equal(p.rules[0]!.properties[0]!.value, `x${odd}y:00`);
      assert.deepEqual(stripLines(parsePolicy(printPolicy(p))), stripLines(p));
    }
    assert.equal(parsePolicy('policy_name=\u2028 policy_version=1.0.0\nDEFAULT action=DENY').name, '\u2028');
  });
});
