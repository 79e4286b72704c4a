import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Action,
  bpfKeyringOf,
  bpfProgLoadEvent,
  type DecisionSource,
  evaluate,
  explainDecision,
  HORNET_BPF_VERDICTS,
  IPE_BPF_VERDICTS,
  type PolicyEvent,
  parseEvent,
  parsePolicy,
  translateVerdict,
} from '../../src/policy/index.js';
import { FormatError } from '../../src/util/errors.js';
import {
  HORNET_EXAMPLE,
  HORNET_VERDICTS,
  IPE_DOC_EXAMPLES,
  IPE_FILES,
  KP_EXAMPLE,
  SIGNED_ONLY,
} from './examples.js';

const DOC = IPE_DOC_EXAMPLES;
const RH = 'sha256:cd2c5bae7c6c579edaae4353049d58eb5f2e8be0244bf05345bc8e5ed257baff';

const BPF = 'BPF_PROG_LOAD' as const;
const ev = (e: Omit<PolicyEvent, 'op'> & { op?: PolicyEvent['op'] }): PolicyEvent => ({ op: BPF, ...e });

const ORDER = `policy_name=order policy_version=1.0.0
DEFAULT action=DENY
op=BPF_PROG_LOAD bpf_signature=OK action=DENY
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
op=BPF_PROG_LOAD action=ALLOW
`;
const GLOBAL_ONLY = `policy_name=g policy_version=1.0.0
DEFAULT action=ALLOW
op=BPF_PROG_LOAD bpf_signature=UNSIGNED bpf_kernel=FALSE action=DENY
op=EXECUTE boot_verified=FALSE action=DENY
`;
const PER_OP = `policy_name=p policy_version=1.0.0
DEFAULT action=DENY
DEFAULT op=BPF_PROG_LOAD action=ALLOW
DEFAULT op=EXECUTE action=ALLOW
op=BPF_PROG_LOAD bpf_keyring=PLATFORM action=DENY
op=BPF_PROG_LOAD bpf_keyring=USER bpf_signature=OK action=DENY
`;

/** [policy name, policy, event, action, source, deciding line]. */
const TABLE: [string, string, PolicyEvent, Action, DecisionSource, number][] = [
  // KP Singh's example (global default ALLOW)
  ['kp', KP_EXAMPLE, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'DENY', 'rule', 3],
  ['kp', KP_EXAMPLE, ev({ bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: false }), 'ALLOW', 'rule', 4],
  [
    'kp',
    KP_EXAMPLE,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'ALLOW',
    'global-default',
    2,
  ],
  ['kp', KP_EXAMPLE, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: true }), 'DENY', 'rule', 3],
  ['kp', KP_EXAMPLE, ev({}), 'ALLOW', 'global-default', 2],
  ['kp', KP_EXAMPLE, { op: 'EXECUTE' }, 'ALLOW', 'global-default', 2],
  // Hornet's example (per-op default DENY)
  ['hornet', HORNET_EXAMPLE, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: true }), 'ALLOW', 'rule', 4],
  [
    'hornet',
    HORNET_EXAMPLE,
    ev({ bpf_signature: 'OK', bpf_keyring: 'SECONDARY', bpf_kernel: false }),
    'ALLOW',
    'rule',
    5,
  ],
  [
    'hornet',
    HORNET_EXAMPLE,
    ev({ bpf_signature: 'PARTIALSIG', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'DENY',
    'op-default',
    3,
  ],
  ['hornet', HORNET_EXAMPLE, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'DENY', 'op-default', 3],
  ['hornet', HORNET_EXAMPLE, ev({ bpf_signature: 'BADSIG', bpf_kernel: false }), 'DENY', 'op-default', 3],
  ['hornet', HORNET_EXAMPLE, ev({ bpf_signature: 'BADSIG', bpf_kernel: true }), 'ALLOW', 'rule', 4],
  ['hornet', HORNET_EXAMPLE, { op: 'KMODULE' }, 'ALLOW', 'global-default', 2],
  // signed only
  ['signed', SIGNED_ONLY, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'DENY', 'op-default', 5],
  ['signed', SIGNED_ONLY, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: true }), 'ALLOW', 'rule', 7],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'USER', bpf_kernel: false }),
    'DENY',
    'rule',
    8,
  ],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'ALLOW',
    'rule',
    9,
  ],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'SECONDARY', bpf_kernel: false }),
    'ALLOW',
    'rule',
    9,
  ],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'PLATFORM', bpf_kernel: false }),
    'ALLOW',
    'rule',
    9,
  ],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'OK', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'ALLOW',
    'rule',
    10,
  ],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: false }),
    'DENY',
    'op-default',
    5,
  ],
  ['signed', SIGNED_ONLY, ev({ bpf_signature: 'OK', bpf_kernel: false }), 'DENY', 'op-default', 5],
  [
    'signed',
    SIGNED_ONLY,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'USER', bpf_kernel: true }),
    'ALLOW',
    'rule',
    7,
  ],
  ['signed', SIGNED_ONLY, { op: 'EXECUTE' }, 'ALLOW', 'global-default', 4],
  ['signed', SIGNED_ONLY, { op: 'POLICY', boot_verified: true }, 'ALLOW', 'global-default', 4],
  // Hornet verdict vocabulary (global DENY)
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'OK', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'ALLOW',
    'rule',
    3,
  ],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'OK', bpf_keyring: 'SECONDARY', bpf_kernel: false }),
    'ALLOW',
    'rule',
    4,
  ],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'OK', bpf_keyring: 'PLATFORM', bpf_kernel: false }),
    'DENY',
    'global-default',
    2,
  ],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'PARTIALSIG', bpf_keyring: 'PLATFORM', bpf_kernel: false }),
    'ALLOW',
    'rule',
    5,
  ],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'PARTIALSIG', bpf_keyring: 'BUILTIN', bpf_kernel: false }),
    'DENY',
    'global-default',
    2,
  ],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: true }), 'ALLOW', 'rule', 6],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'NONE', bpf_kernel: true }), 'ALLOW', 'rule', 7],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'NONE', bpf_kernel: false }),
    'DENY',
    'global-default',
    2,
  ],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'UNKNOWNKEY', bpf_kernel: true }), 'DENY', 'rule', 8],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'BADSIG', bpf_kernel: false }), 'DENY', 'rule', 9],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'UNEXPECTED', bpf_kernel: false }), 'DENY', 'rule', 10],
  ['hornet-v', HORNET_VERDICTS, ev({ bpf_signature: 'FAULT', bpf_kernel: false }), 'DENY', 'rule', 11],
  [
    'hornet-v',
    HORNET_VERDICTS,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'BUILTIN' }),
    'DENY',
    'global-default',
    2,
  ],
  // ordering: first match wins
  ['order', ORDER, ev({ bpf_signature: 'OK', bpf_kernel: false }), 'DENY', 'rule', 3],
  ['order', ORDER, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'ALLOW', 'rule', 5],
  ['order', ORDER, ev({}), 'ALLOW', 'rule', 5],
  ['order', ORDER, { op: 'FIRMWARE' }, 'DENY', 'global-default', 2],
  // all properties must match
  ['global', GLOBAL_ONLY, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'DENY', 'rule', 3],
  ['global', GLOBAL_ONLY, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: true }), 'ALLOW', 'global-default', 2],
  ['global', GLOBAL_ONLY, ev({ bpf_signature: 'UNSIGNED' }), 'ALLOW', 'global-default', 2],
  ['global', GLOBAL_ONLY, ev({ bpf_signature: 'OK', bpf_kernel: false }), 'ALLOW', 'global-default', 2],
  ['global', GLOBAL_ONLY, { op: 'EXECUTE' }, 'DENY', 'rule', 4],
  ['global', GLOBAL_ONLY, { op: 'EXECUTE', boot_verified: true }, 'ALLOW', 'global-default', 2],
  ['global', GLOBAL_ONLY, { op: 'KEXEC_IMAGE', boot_verified: false }, 'ALLOW', 'global-default', 2],
  // per-op defaults beat the global one
  ['per-op', PER_OP, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'ALLOW', 'op-default', 3],
  [
    'per-op',
    PER_OP,
    ev({ bpf_signature: 'OK', bpf_keyring: 'PLATFORM', bpf_kernel: false }),
    'DENY',
    'rule',
    5,
  ],
  ['per-op', PER_OP, ev({ bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: false }), 'DENY', 'rule', 6],
  [
    'per-op',
    PER_OP,
    ev({ bpf_signature: 'METADATA_VERIFIED', bpf_keyring: 'USER' }),
    'ALLOW',
    'op-default',
    3,
  ],
  ['per-op', PER_OP, { op: 'EXECUTE' }, 'ALLOW', 'op-default', 4],
  ['per-op', PER_OP, { op: 'X509_CERT' }, 'DENY', 'global-default', 2],
  // file properties (IPE's own semantics)
  ['files', IPE_FILES, { op: 'EXECUTE', boot_verified: true }, 'ALLOW', 'rule', 4],
  ['files', IPE_FILES, { op: 'EXECUTE', dmverity_roothash: 'sha256:ab01CD23' }, 'ALLOW', 'rule', 5],
  ['files', IPE_FILES, { op: 'EXECUTE', dmverity_roothash: 'sha512:ab01cd23' }, 'DENY', 'global-default', 2],
  ['files', IPE_FILES, { op: 'EXECUTE', dmverity_signature: true }, 'ALLOW', 'rule', 6],
  ['files', IPE_FILES, { op: 'EXECUTE', fsverity_digest: 'sha256:00FF' }, 'ALLOW', 'rule', 7],
  ['files', IPE_FILES, { op: 'EXECUTE', fsverity_digest: 'sha256:00fe' }, 'DENY', 'global-default', 2],
  ['files', IPE_FILES, { op: 'EXECUTE', fsverity_signature: true }, 'ALLOW', 'rule', 8],
  ['files', IPE_FILES, { op: 'EXECUTE' }, 'DENY', 'global-default', 2],
  ['files', IPE_FILES, { op: 'FIRMWARE', boot_verified: true }, 'ALLOW', 'rule', 9],
  ['files', IPE_FILES, { op: 'KEXEC_INITRAMFS', boot_verified: false }, 'DENY', 'global-default', 2],
  ['files', IPE_FILES, { op: 'KMODULE', dmverity_signature: true }, 'DENY', 'rule', 15],
  [
    'files',
    IPE_FILES,
    { op: 'KMODULE', dmverity_signature: true, boot_verified: true },
    'ALLOW',
    'op-default',
    3,
  ],
  ['files', IPE_FILES, { op: 'KMODULE' }, 'DENY', 'rule', 14],
  ['files', IPE_FILES, ev({ bpf_signature: 'OK' }), 'DENY', 'global-default', 2],
  // the IPE admin guide's examples
  ['doc', DOC.Allow_All!, { op: 'EXECUTE' }, 'ALLOW', 'global-default', 2],
  ['doc', DOC.Allow_All!, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), 'ALLOW', 'global-default', 2],
  ['doc', DOC.Allow_Initramfs!, { op: 'EXECUTE', boot_verified: true }, 'ALLOW', 'rule', 4],
  ['doc', DOC.Allow_Initramfs!, { op: 'KMODULE', boot_verified: true }, 'DENY', 'global-default', 2],
  [
    'doc',
    DOC.Allow_Signed_DMV_And_Initramfs!,
    { op: 'EXECUTE', dmverity_signature: true },
    'ALLOW',
    'rule',
    5,
  ],
  [
    'doc',
    DOC.Deny_DMV_By_Roothash!,
    { op: 'EXECUTE', dmverity_roothash: RH, dmverity_signature: true },
    'DENY',
    'rule',
    4,
  ],
  [
    'doc',
    DOC.Deny_DMV_By_Roothash!,
    { op: 'EXECUTE', dmverity_roothash: RH.toUpperCase().replace('SHA256', 'sha256'), boot_verified: true },
    'DENY',
    'rule',
    4,
  ],
  [
    'doc',
    DOC.Deny_DMV_By_Roothash!,
    { op: 'EXECUTE', dmverity_roothash: 'sha256:00', dmverity_signature: true },
    'ALLOW',
    'rule',
    7,
  ],
  [
    'doc',
    DOC.Allow_Signed_And_Validated_FSVerity!,
    { op: 'EXECUTE', fsverity_signature: false },
    'DENY',
    'global-default',
    2,
  ],
  [
    'doc',
    DOC.ALLOW_FSV_By_Digest!,
    {
      op: 'EXECUTE',
      fsverity_digest: 'sha256:fd88f2b8824e197f850bf4c5109bea5cf0ee38104f710843bb72da796ba5af9e',
    },
    'ALLOW',
    'rule',
    4,
  ],
];

describe('evaluate: decision table', () => {
  it(`has at least 50 cases (${TABLE.length})`, () => assert.ok(TABLE.length >= 50));
  const cache = new Map<string, ReturnType<typeof parsePolicy>>();
  TABLE.forEach(([name, text, event, action, source, line], i) => {
    it(`#${i} ${name}: ${JSON.stringify(event)} -> ${action} by ${source} (line ${line})`, () => {
      let p = cache.get(text);
      if (!p) cache.set(text, (p = parsePolicy(text)));
      const d = evaluate(p, event);
      assert.equal(d.action, action);
      assert.equal(d.source, source);
      assert.equal(d.line, line);
      assert.equal(d.permitted, action === 'ALLOW');
      assert.equal(d.errno, action === 'ALLOW' ? undefined : 'EACCES');
      assert.equal(d.audit.action, action);
      assert.equal(d.audit.line, line);
      assert.ok(d.audit.text.includes(`rule="${d.ruleText}"`));
      if (source === 'rule') assert.equal(d.rule?.line, line);
      // the checked rules are exactly the event's operation's rules up to the decider
      assert.ok(d.checked.every((c) => c.rule.op === event.op));
      assert.ok(d.checked.slice(0, -1).every((c) => !c.matched));
    });
  });
});

describe('evaluate: audit records', () => {
  const p = parsePolicy(SIGNED_ONLY);
  it('a denied unsigned load, as an IPE audit line', () => {
    const d = evaluate(p, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), { pid: 42, comm: 'loader' });
    assert.equal(
      d.audit.text,
      'ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 pid=42 comm="loader" bpf_signature=UNSIGNED bpf_keyring=? bpf_kernel=FALSE rule="DEFAULT op=BPF_PROG_LOAD action=DENY"',
    );
    assert.deepEqual(d.audit.policy, { name: 'signed_only', version: { major: 1, minor: 0, rev: 0 } });
  });
  it('a matched rule, the post-integrity hook, and a comm that needs hex', () => {
    const d = evaluate(
      p,
      ev({
        hook: 'BPF_PROG_LOAD_POST_INTEGRITY',
        bpf_signature: 'METADATA_VERIFIED',
        bpf_keyring: 'BUILTIN',
        bpf_kernel: false,
      }),
      { comm: 'a b' },
    );
    assert.equal(
      d.audit.text,
      'ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD_POST_INTEGRITY enforcing=1 pid=0 comm=612062 bpf_signature=METADATA_VERIFIED bpf_keyring=BUILTIN bpf_kernel=FALSE rule="op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW"',
    );
  });
  it('file operations record the file properties; the global default reads DEFAULT action=', () => {
    const d = evaluate(parsePolicy(IPE_FILES), { op: 'EXECUTE', fsverity_digest: 'sha256:01' });
    assert.equal(
      d.audit.text,
      'ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 pid=0 comm=? boot_verified=? dmverity_roothash=? dmverity_signature=? fsverity_digest=sha256:01 fsverity_signature=? rule="DEFAULT action=DENY"',
    );
  });
  it('permissive: a DENY is recorded with enforcing=0 and permitted', () => {
    const d = evaluate(p, ev({ bpf_signature: 'UNSIGNED', bpf_kernel: false }), { enforcing: false });
    assert.equal(d.action, 'DENY');
    assert.equal(d.permitted, true);
    assert.equal(d.errno, undefined);
    assert.match(d.audit.text, /enforcing=0/);
  });
  it('no policy: allowed, rule="?"', () => {
    const d = evaluate(undefined, ev({ bpf_signature: 'UNSIGNED' }));
    assert.equal(d.action, 'ALLOW');
    assert.equal(d.source, 'no-policy');
    assert.match(d.audit.text, /rule="\?"$/);
  });
  it('explains which rules failed and why', () => {
    const d = evaluate(p, ev({ bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: false }));
    assert.deepEqual(explainDecision(d), [
      'line 7: op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW: no match: bpf_kernel is FALSE, the rule wants TRUE',
      'line 8: op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY: no match: bpf_signature is OK, the rule wants METADATA_VERIFIED',
      'line 9: op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW: no match: bpf_signature is OK, the rule wants METADATA_VERIFIED',
      'line 10: op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=BUILTIN action=ALLOW: no match: bpf_keyring is USER, the rule wants BUILTIN',
      "line 5: DEFAULT op=BPF_PROG_LOAD action=DENY: no rule matched, the operation's default applies",
      'the operation fails with EACCES',
    ]);
  });
  it('rejects an unknown operation as a caller mistake', () => {
    assert.throws(() => evaluate(p, { op: 'NOPE' } as unknown as PolicyEvent), TypeError);
  });
});

describe('parseEvent', () => {
  it('accepts booleans in both spellings and canonicalises digests', () => {
    assert.deepEqual(
      parseEvent({ op: 'BPF_PROG_LOAD', bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: 'FALSE' }),
      { op: 'BPF_PROG_LOAD', bpf_signature: 'OK', bpf_keyring: 'USER', bpf_kernel: false },
    );
    assert.deepEqual(parseEvent({ op: 'EXECUTE', fsverity_digest: 'sha256:AB', boot_verified: true }), {
      op: 'EXECUTE',
      fsverity_digest: 'sha256:ab',
      boot_verified: true,
    });
  });
  const bad: [unknown, string][] = [
    [null, 'event'],
    [[], 'event'],
    [{}, 'event.op'],
    [{ op: 'bpf_prog_load' }, 'event.op'],
    [{ op: 'BPF_PROG_LOAD', bpf_signature: 'GOOD' }, 'event.bpf_signature'],
    [{ op: 'BPF_PROG_LOAD', bpf_keyring: 3 }, 'event.bpf_keyring'],
    [{ op: 'BPF_PROG_LOAD', bpf_kernel: 1 }, 'event.bpf_kernel'],
    [{ op: 'BPF_PROG_LOAD', hook: 'LOAD' }, 'event.hook'],
    [{ op: 'EXECUTE', fsverity_digest: 'abc' }, 'event.fsverity_digest'],
    [{ op: 'EXECUTE', path: '/x' }, 'event.path'],
  ];
  for (const [v, where] of bad) {
    it(`rejects ${JSON.stringify(v)} at ${where}`, () => {
      assert.throws(
        () => parseEvent(v),
        (e: unknown) => e instanceof FormatError && e.where === where,
      );
    });
  }
});

describe('verdict vocabularies', () => {
  it('translate both ways', () => {
    assert.equal(translateVerdict('OK', 'hornet', 'ipe'), 'METADATA_VERIFIED');
    assert.equal(translateVerdict('PARTIALSIG', 'hornet', 'ipe'), 'OK');
    assert.equal(translateVerdict('UNSIGNED', 'hornet', 'ipe'), 'UNSIGNED');
    for (const v of ['NONE', 'UNKNOWNKEY', 'BADSIG', 'UNEXPECTED', 'FAULT'] as const) {
      assert.equal(translateVerdict(v, 'hornet', 'ipe'), undefined);
    }
    for (const v of IPE_BPF_VERDICTS) {
      const h = translateVerdict(v, 'ipe', 'hornet')!;
      assert.equal(translateVerdict(h, 'hornet', 'ipe'), v);
    }
    for (const v of HORNET_BPF_VERDICTS) assert.equal(translateVerdict(v, 'hornet', 'hornet'), v);
    assert.throws(() => translateVerdict('METADATA_VERIFIED', 'hornet', 'ipe'), RangeError);
    assert.throws(() => translateVerdict('BADSIG', 'ipe', 'hornet'), RangeError);
  });
});

describe('bpfKeyringOf', () => {
  it('maps keyring_id 0/1/2 to the system keyrings, anything else to USER', () => {
    assert.deepEqual([0, 1, 2, 3, 0x1234, -3].map(bpfKeyringOf), [
      'BUILTIN',
      'SECONDARY',
      'PLATFORM',
      'USER',
      'USER',
      'USER',
    ]);
    assert.throws(() => bpfKeyringOf(1.5), RangeError);
  });
});

describe('bpfProgLoadEvent', () => {
  it('builds BPF load events; a keyring only for signed programs', () => {
    assert.deepEqual(bpfProgLoadEvent({ verdict: 'UNSIGNED', keyringId: 0, fromKernel: false }), {
      op: 'BPF_PROG_LOAD',
      hook: 'BPF_PROG_LOAD',
      bpf_signature: 'UNSIGNED',
      bpf_kernel: false,
    });
    assert.deepEqual(
      bpfProgLoadEvent({
        verdict: 'METADATA_VERIFIED',
        keyringId: 0x2a,
        fromKernel: false,
        hook: 'BPF_PROG_LOAD_POST_INTEGRITY',
      }),
      {
        op: 'BPF_PROG_LOAD',
        hook: 'BPF_PROG_LOAD_POST_INTEGRITY',
        bpf_signature: 'METADATA_VERIFIED',
        bpf_kernel: false,
        bpf_keyring: 'USER',
      },
    );
    const d = evaluate(
      parsePolicy(SIGNED_ONLY),
      bpfProgLoadEvent({ verdict: 'OK', keyringId: 0, fromKernel: false }),
    );
    assert.equal(d.action, 'ALLOW');
    assert.equal(d.line, 10);
  });
});
