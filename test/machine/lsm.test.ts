import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '../../src/isa/codec.js';
import { signCms, throwawayIdentity } from '../../src/lskel/index.js';
import { MachineLsm } from '../../src/machine/lsm/index.js';
import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import { MachineKeyrings } from '../../src/machine/signature/index.js';
import { PolicyError, PolicySyntaxError } from '../../src/policy/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { KeySpec, ProgType } from '../../src/uapi/constants.js';

/** r0 = 0; exit */
const RET0 = encode([
  { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
  { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
]);

const SIGNED_ONLY = `policy_name=signed_only policy_version=1.0.0
DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY
# loads by a signed loader through bpf_sys_bpf
op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
`;

function load(m: Machine, name = 'p', extra: { signature?: Uint8Array; keyringId?: number } = {}) {
  return m.progLoad({
    progType: ProgType.SOCKET_FILTER,
    insns: RET0,
    license: 'GPL',
    progName: name,
    ...extra,
  });
}

function eacces(f: () => unknown): BpfError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BpfError, String(e));
    assert.equal(e.code, 'EACCES');
    return e;
  }
  assert.fail('expected EACCES');
}

const id = throwawayIdentity('tsbpf lsm test', new Uint8Array([1, 2, 3]));

/** A signature over RET0 by the throwaway key (detached CMS, as signed loaders carry). */
function signedRet0(): Uint8Array {
  return signCms(RET0, id.signer);
}

function trusting(opts: MachineOptions = {}): Machine {
  const kr = new MachineKeyrings();
  kr.addCertificate(id.certificate, KeySpec.SESSION_KEYRING);
  return new Machine({ keyrings: kr, ...opts });
}

describe('machine LSM: bpf_prog_load / bpf_prog_load_post_integrity with IPE', () => {
  it('no policy: every load is allowed and nothing is recorded', () => {
    const m = new Machine();
    load(m).close();
    assert.equal(m.lsm.active, undefined);
    assert.deepEqual(m.auditLog(), []);
    assert.equal(m.lsm.decisions().length, 1);
    assert.equal(m.lsm.decisions()[0]!.decision.source, 'no-policy');
  });

  it('signed-only: an unsigned user-space load fails with EACCES naming the rule and its line', () => {
    const m = new Machine({ comm: 'loader' });
    m.lsm.install(SIGNED_ONLY);
    const before = m.objectCounts.progs;
    const e = eacces(() => load(m, 'evil'));
    assert.equal(e.command, 'BPF_PROG_LOAD');
    assert.match(
      e.message,
      /policy 'signed_only' 1\.0\.0 at bpf_prog_load_post_integrity: line 3: DEFAULT op=BPF_PROG_LOAD action=DENY/,
    );
    assert.equal(m.objectCounts.progs, before, 'no program was created');
    const access = m.auditLog().filter((a) => a.type === 1420);
    assert.equal(access.length, 1);
    const rec = access[0]!.access!;
    assert.equal(rec.line, 3);
    assert.equal(rec.rule, 'DEFAULT op=BPF_PROG_LOAD action=DENY');
    assert.equal(rec.action, 'DENY');
    assert.equal(rec.hook, 'BPF_PROG_LOAD_POST_INTEGRITY');
    assert.equal(rec.comm, 'loader');
    assert.deepEqual(rec.properties, ['bpf_signature=UNSIGNED', 'bpf_keyring=?', 'bpf_kernel=FALSE']);
    assert.match(
      access[0]!.text,
      /ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD_POST_INTEGRITY enforcing=1 pid=\d+ comm="loader" bpf_signature=UNSIGNED bpf_keyring=\? bpf_kernel=FALSE rule="DEFAULT op=BPF_PROG_LOAD action=DENY"/,
    );
  });

  it('signed-only: a signed load is allowed by its rule (OK, keyring USER for the session keyring)', () => {
    const m = trusting();
    m.lsm.install(SIGNED_ONLY);
    const fd = load(m, 'signed', { signature: signedRet0(), keyringId: KeySpec.SESSION_KEYRING });
    fd.close();
    const d = m.lsm.decisions().at(-1)!;
    assert.equal(d.decision.action, 'ALLOW');
    assert.equal(d.decision.line, 7);
    assert.equal(d.event.bpf_signature, 'OK');
    assert.equal(d.event.bpf_keyring, 'USER');
    assert.equal(d.event.bpf_kernel, false);
    assert.equal(m.auditLog().filter((a) => a.type === 1420).length, 0, 'ALLOWs are not recorded by default');
  });

  it('a bad signature fails with its own errno before any policy sees it', () => {
    const m = new Machine(); // empty session keyring
    m.lsm.install(SIGNED_ONLY);
    assert.throws(
      () => load(m, 's', { signature: signedRet0(), keyringId: KeySpec.SESSION_KEYRING }),
      (e: unknown) => e instanceof BpfError && e.code !== 'EACCES',
    );
    assert.equal(m.lsm.decisions().length, 0);
  });

  it('bpf_kernel=TRUE inside inKernel (bpf_sys_bpf), FALSE from user space', () => {
    const m = new Machine();
    m.lsm.install(SIGNED_ONLY);
    m.lsm.inKernel(() => load(m, 'k')).close();
    assert.equal(m.lsm.decisions().at(-1)!.event.bpf_kernel, true);
    assert.equal(m.lsm.decisions().at(-1)!.decision.line, 5);
    assert.equal(m.lsm.fromKernel, false);
    eacces(() => load(m, 'u'));
  });

  it('replacement by a higher version only; a malformed policy leaves the old one active', () => {
    const m = new Machine();
    m.lsm.install(SIGNED_ONLY);
    eacces(() => load(m));
    // Malformed: unknown property on line 3. The signed-only policy stays active and enforced.
    assert.throws(
      () =>
        m.lsm.install(
          'policy_name=signed_only policy_version=2.0.0\nDEFAULT action=ALLOW\nop=BPF_PROG_LOAD bpf_color=RED action=ALLOW\n',
        ),
      (e: unknown) => e instanceof PolicySyntaxError && /line 3/.test(e.message),
    );
    assert.equal(m.lsm.active?.name, 'signed_only');
    eacces(() => load(m));
    // Same version: ESTALE; lower: ESTALE. Still enforced.
    const allowAll = (v: string) => `policy_name=signed_only policy_version=${v}\nDEFAULT action=ALLOW\n`;
    for (const v of ['1.0.0', '0.9.9']) {
      assert.throws(
        () => m.lsm.replace('signed_only', allowAll(v)),
        (e: unknown) => e instanceof PolicyError && e.code === 'ESTALE',
      );
      assert.throws(
        () => m.lsm.install(allowAll(v)),
        (e: unknown) => e instanceof PolicyError && e.code === 'ESTALE',
      );
    }
    eacces(() => load(m));
    // Higher: replaces, stays active, and the load goes through.
    m.lsm.replace('signed_only', allowAll('1.0.1'));
    assert.deepEqual(
      m.lsm.list().map((p) => [p.name, `${p.version.major}.${p.version.minor}.${p.version.rev}`, p.active]),
      [['signed_only', '1.0.1', true]],
    );
    load(m).close();
    // An older policy of another name cannot be activated over it.
    m.lsm.policies.add(
      'old_policy policy_version=0.0.1'.replace('old_policy', 'policy_name=old_policy') +
        '\nDEFAULT action=DENY\n',
    );
    assert.throws(
      () => m.lsm.activate('old_policy'),
      (e: unknown) => e instanceof PolicyError && e.code === 'EINVAL',
    );
    assert.equal(m.lsm.active?.name, 'signed_only');
    const types = m.auditLog().map((a) => a.type);
    assert.ok(types.includes(1422) && types.includes(1421) && types.includes(1420));
  });

  it('enforce=0: a DENY is recorded and the load proceeds', () => {
    const m = new Machine({ lsm: { enforcing: false } });
    m.lsm.install(SIGNED_ONLY);
    load(m).close();
    const a = m.auditLog().filter((x) => x.type === 1420);
    assert.equal(a.length, 1);
    assert.match(a[0]!.text, /enforcing=0/);
  });

  it("Hornet's vocabulary: an instructions-only signature is PARTIALSIG", () => {
    const m = trusting({ lsm: { vocabulary: 'hornet' } });
    m.lsm.install(
      'policy_name=hornet policy_version=1.0.0\nDEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD bpf_signature=PARTIALSIG action=ALLOW\n',
    );
    load(m, 's', { signature: signedRet0(), keyringId: KeySpec.SESSION_KEYRING }).close();
    assert.equal(m.lsm.decisions().at(-1)!.event.bpf_signature, 'PARTIALSIG');
    eacces(() => load(m));
  });

  it("evaluateAt 'bpf_prog_load': IPE decides at security_bpf_prog_load", () => {
    const m = new Machine({ lsm: { evaluateAt: 'bpf_prog_load' } });
    m.lsm.install(SIGNED_ONLY);
    const e = eacces(() => load(m));
    assert.match(e.message, /at bpf_prog_load: line 3/);
    assert.equal(m.auditLog().at(-1)!.access!.hook, 'BPF_PROG_LOAD');
    assert.equal(m.lsm.decisions().length, 1, 'one decision per verdict');
  });

  it('the kfunc fires post-integrity: METADATA_VERIFIED on ALLOW, -EACCES and no upgrade on DENY', () => {
    const m = trusting();
    m.lsm.install(SIGNED_ONLY);
    const fd = load(m, 'loader', { signature: signedRet0(), keyringId: KeySpec.SESSION_KEYRING });
    const prog = m.progById(m.objGetInfoByFd(fd.fd, { kind: 'prog' }).id)!;
    assert.equal(prog.signature.state, 'OK');
    assert.equal(m.lsm.kfuncMetadataVerified(prog, { pid: 1, comm: 'x' }), 0);
    assert.equal(prog.signature.state, 'METADATA_VERIFIED');
    const d = m.lsm.decisions().at(-1)!;
    assert.equal(d.trigger, 'kfunc');
    assert.equal(d.hook, 'bpf_prog_load_post_integrity');
    assert.equal(d.decision.line, 6);

    // A policy that refuses metadata verified against a user keyring: the kfunc fails.
    m.lsm.install(
      `${SIGNED_ONLY.replace('1.0.0', '1.1.0')}`.replace(
        'op=BPF_PROG_LOAD bpf_kernel=TRUE',
        'op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY\nop=BPF_PROG_LOAD bpf_kernel=TRUE',
      ),
    );
    const fd2 = load(m, 'loader2', { signature: signedRet0(), keyringId: KeySpec.SESSION_KEYRING });
    const prog2 = m.progById(m.objGetInfoByFd(fd2.fd, { kind: 'prog' }).id)!;
    assert.equal(m.lsm.kfuncMetadataVerified(prog2, { pid: 1, comm: 'x' }), -13);
    assert.equal(prog2.signature.state, 'OK');
    assert.match(
      m.auditLog().at(-1)!.text,
      /ipe_hook=BPF_PROG_LOAD_POST_INTEGRITY .*bpf_signature=METADATA_VERIFIED bpf_keyring=USER .*rule="op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY"/,
    );
    fd.close();
    fd2.close();
  });

  it('rejects unknown options', () => {
    assert.throws(() => new MachineLsm({ vocabulary: 'x' as 'ipe' }), RangeError);
    assert.throws(() => new MachineLsm({ evaluateAt: 'mmap' as 'bpf_prog_load' }), RangeError);
  });
});
