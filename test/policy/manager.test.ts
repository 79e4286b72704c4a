import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { PolicyError, PolicySet, PolicySyntaxError } from '../../src/policy/index.js';
import { SIGNED_ONLY } from './examples.js';

const pol = (name: string, version: string, action = 'DENY') =>
  `policy_name=${name} policy_version=${version}\nDEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=${action}\n`;

const code = (c: string) => (e: unknown) => e instanceof PolicyError && e.code === c;

const UNSIGNED = { op: 'BPF_PROG_LOAD', bpf_signature: 'UNSIGNED', bpf_kernel: false } as const;

describe('PolicySet', () => {
  it('starts empty and allows everything', () => {
    const s = new PolicySet();
    assert.equal(s.active, undefined);
    assert.deepEqual(s.list(), []);
    assert.equal(s.evaluate(UNSIGNED).source, 'no-policy');
  });

  it('add, activate, list, evaluate', () => {
    const s = new PolicySet();
    s.add(SIGNED_ONLY);
    s.add(pol('other', '0.1.0', 'ALLOW'));
    assert.equal(s.active, undefined);
    s.activate('signed_only');
    assert.deepEqual(s.list(), [
      { name: 'other', version: { major: 0, minor: 1, rev: 0 }, active: false, rules: 0 },
      { name: 'signed_only', version: { major: 1, minor: 0, rev: 0 }, active: true, rules: 4 },
    ]);
    const d = s.evaluate(UNSIGNED, { pid: 7, comm: 'x' });
    assert.equal(d.action, 'DENY');
    assert.equal(d.errno, 'EACCES');
    assert.match(d.audit.text, /pid=7 comm="x"/);
  });

  it('add refuses a duplicate name (EEXIST)', () => {
    const s = new PolicySet();
    s.add(pol('a', '1.0.0'));
    assert.throws(() => s.add(pol('a', '2.0.0')), code('EEXIST'));
  });

  it('update needs the same name and a strictly higher version', () => {
    const s = new PolicySet();
    s.add(pol('a', '1.2.3'));
    s.activate('a');
    assert.throws(() => s.update('a', pol('a', '1.2.3')), code('ESTALE'));
    assert.throws(() => s.update('a', pol('a', '1.2.2')), code('ESTALE'));
    assert.throws(() => s.update('a', pol('a', '0.65535.65535')), code('ESTALE'));
    assert.throws(() => s.update('a', pol('b', '9.0.0')), code('EINVAL'));
    assert.throws(() => s.update('nope', pol('nope', '9.0.0')), code('ENOENT'));
    assert.equal(s.active!.version.rev, 3);
    s.update('a', pol('a', '1.2.4', 'ALLOW'));
    assert.equal(s.active!.version.rev, 4, 'the active policy is replaced in place');
    assert.equal(s.evaluate(UNSIGNED).action, 'ALLOW');
    s.update('a', pol('a', '1.3.0'));
    s.update('a', pol('a', '2.0.0'));
    assert.equal(s.active!.version.major, 2);
  });

  it('a syntax error leaves the set and the active policy unchanged', () => {
    const s = new PolicySet();
    s.install(SIGNED_ONLY);
    const before = s.active;
    const bad = `${SIGNED_ONLY.replace('1.0.0', '2.0.0')}op=BPF_PROG_LOAD bpf_signature=MAYBE action=ALLOW\n`;
    assert.throws(() => s.update('signed_only', bad), PolicySyntaxError);
    assert.throws(() => s.install(bad), PolicySyntaxError);
    assert.throws(() => s.add('garbage'), PolicySyntaxError);
    assert.equal(s.active, before);
    assert.equal(s.list().length, 1);
    assert.equal(s.evaluate(UNSIGNED).action, 'DENY');
  });

  it('activate refuses a policy older than the active one (EINVAL), accepts equal or newer', () => {
    const s = new PolicySet();
    s.add(pol('new', '2.0.0'));
    s.add(pol('old', '1.9.9'));
    s.add(pol('same', '2.0.0', 'ALLOW'));
    s.activate('new');
    assert.throws(() => s.activate('old'), code('EINVAL'));
    assert.equal(s.active!.name, 'new');
    s.activate('same');
    assert.equal(s.active!.name, 'same');
    s.activate('same');
    assert.throws(() => s.activate('missing'), code('ENOENT'));
  });

  it('delete: not the active one (EPERM), not a missing one (ENOENT)', () => {
    const s = new PolicySet();
    s.add(pol('a', '1.0.0'));
    s.add(pol('b', '1.0.0'));
    s.activate('a');
    assert.throws(() => s.delete('a'), code('EPERM'));
    assert.throws(() => s.delete('c'), code('ENOENT'));
    s.delete('b');
    assert.deepEqual(
      s.list().map((x) => x.name),
      ['a'],
    );
  });

  it('install: all or nothing', () => {
    const s = new PolicySet();
    s.install(pol('a', '1.0.0'));
    assert.throws(() => s.install(pol('a', '1.0.0', 'ALLOW')), code('ESTALE'));
    assert.throws(() => s.install(pol('b', '0.9.0', 'ALLOW')), code('EINVAL'));
    assert.deepEqual(
      s.list().map((x) => `${x.name}:${x.active}`),
      ['a:true'],
    );
    s.install(pol('a', '1.0.1', 'ALLOW'));
    assert.equal(s.evaluate(UNSIGNED).action, 'ALLOW');
    s.install(pol('c', '1.0.1'));
    assert.equal(s.active!.name, 'c');
    assert.equal(s.get('a')!.version.rev, 1);
  });

  it('PolicyError messages carry the errno', () => {
    const s = new PolicySet();
    try {
      s.activate('x');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof PolicyError);
      assert.match((e as Error).message, /no policy 'x' \(ENOENT\)/);
    }
  });

  it('parse options apply (bpf: false rejects BPF rules)', () => {
    const s = new PolicySet({ bpf: false });
    assert.throws(() => s.add(SIGNED_ONLY), PolicySyntaxError);
  });
});

describe('PolicySet audit log', () => {
  const sha256 = (d: Uint8Array) => new Uint8Array(createHash('sha256').update(d).digest());
  const hex = (t: string) => createHash('sha256').update(t).digest('hex').toUpperCase();

  it('records loads, activations, denials (allows only with success auditing) and enforcement changes', () => {
    const s = new PolicySet({ sha256, auid: 0, ses: 3 });
    const a = pol('a', '1.0.0');
    s.add(a);
    assert.throws(() => s.add('policy_name=b policy_version=1.0\nDEFAULT action=DENY'), PolicySyntaxError);
    s.activate('a');
    s.evaluate(UNSIGNED, { pid: 9, comm: 'l' });
    s.evaluate({ op: 'EXECUTE' });
    s.setSuccessAudit(true);
    s.evaluate({ op: 'EXECUTE' });
    s.setEnforcing(false);
    const d = s.evaluate(UNSIGNED);
    assert.equal(d.permitted, true);
    const b = pol('a', '1.0.1', 'ALLOW');
    s.update('a', b);
    assert.deepEqual(
      s.auditLog().map((e) => `${e.type} ${e.text}`),
      [
        `1422 policy_name="a" policy_version=1.0.0 policy_digest=sha256:${hex(a)} auid=0 ses=3 lsm=ipe res=1 errno=0`,
        '1422 policy_name=? policy_version=? policy_digest=? auid=0 ses=3 lsm=ipe res=0 errno=-74',
        `1421 old_active_pol_name=? old_active_pol_version=? old_policy_digest=? new_active_pol_name="a" new_active_pol_version=1.0.0 new_policy_digest=sha256:${hex(a)} auid=0 ses=3 lsm=ipe res=1`,
        '1420 ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 pid=9 comm="l" bpf_signature=UNSIGNED bpf_keyring=? bpf_kernel=FALSE rule="DEFAULT op=BPF_PROG_LOAD action=DENY"',
        '1420 ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 pid=0 comm=? boot_verified=? dmverity_roothash=? dmverity_signature=? fsverity_digest=? fsverity_signature=? rule="DEFAULT action=ALLOW"',
        '1404 enforcing=0 old_enforcing=1 auid=0 ses=3 enabled=1 old-enabled=1 lsm=ipe res=1',
        '1420 ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=0 pid=0 comm=? bpf_signature=UNSIGNED bpf_keyring=? bpf_kernel=FALSE rule="DEFAULT op=BPF_PROG_LOAD action=DENY"',
        `1422 policy_name="a" policy_version=1.0.1 policy_digest=sha256:${hex(b)} auid=0 ses=3 lsm=ipe res=1 errno=0`,
        `1421 old_active_pol_name="a" old_active_pol_version=1.0.0 old_policy_digest=sha256:${hex(a)} new_active_pol_name="a" new_active_pol_version=1.0.1 new_policy_digest=sha256:${hex(b)} auid=0 ses=3 lsm=ipe res=1`,
      ],
    );
    assert.equal(s.auditLog()[3]!.access?.line, 3);
  });

  it('failed updates are recorded with their errno; no record while no policy is active', () => {
    const s = new PolicySet();
    s.evaluate(UNSIGNED);
    assert.equal(s.auditLog().length, 0);
    s.add(pol('a', '1.0.0'));
    assert.throws(() => s.update('a', pol('a', '1.0.0')), code('ESTALE'));
    assert.throws(() => s.add(pol('a', '2.0.0')), code('EEXIST'));
    assert.throws(
      () => s.add('policy_name=a policy_version=1.99999.0\nDEFAULT action=DENY'),
      PolicySyntaxError,
    );
    assert.deepEqual(
      s.auditLog().map((e) => e.text.replace(/.* res=/, 'res=')),
      ['res=1 errno=0', 'res=0 errno=-116', 'res=0 errno=-17', 'res=0 errno=-34'],
    );
    assert.match(s.auditLog()[0]!.text, /policy_digest=\? /);
  });

  it('keeps at most auditLimit entries, dropping the oldest', () => {
    const s = new PolicySet({ auditLimit: 3 });
    s.install(pol('a', '1.0.0'));
    for (let i = 0; i < 10; i++) s.evaluate(UNSIGNED, { pid: i });
    const log = s.auditLog();
    assert.equal(log.length, 3);
    assert.deepEqual(
      log.map((e) => e.access?.pid),
      [7, 8, 9],
    );
    s.clearAuditLog();
    assert.equal(s.auditLog().length, 0);
    assert.equal(new PolicySet({ auditLimit: 0 }).auditLog().length, 0);
    assert.throws(() => new PolicySet({ auditLimit: -1 }), RangeError);
  });
});
