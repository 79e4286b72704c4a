/**
 * The machine enforcing IPE policies on light-skeleton loads: a signed skeleton loads under a
 * signed-only policy, unsigned programs and skeletons are refused with EACCES and an audit record
 * naming the rule, and the attack lab gets nowhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseObject } from '../../src/elf/object.js';
import { encode } from '../../src/isa/codec.js';
import {
  ATTACKS,
  generateLightSkeleton,
  type LightSkeleton,
  LoaderError,
  loadAndRun,
  runAttack,
  signLightSkeleton,
  throwawayIdentity,
} from '../../src/lskel/index.js';
import { demoSignedOnlyPolicy, SIGNED_ONLY_POLICY } from '../../src/machine/lsm/demo.js';
import { Machine, type MachineOptions } from '../../src/machine/machine.js';
import { MachineKeyrings } from '../../src/machine/signature/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { KeySpec, ProgType } from '../../src/uapi/constants.js';

const spec = parseObject(new Uint8Array(readFileSync('test/fixtures/globals.bpfel.o')));
const signer = throwawayIdentity('tsbpf policy test signer', new Uint8Array([7]));
const stranger = throwawayIdentity('someone else', new Uint8Array([8]));

const inline = signLightSkeleton(
  generateLightSkeleton(spec, { name: 'globals', signed: true }),
  signer.signer,
);
const unsigned = generateLightSkeleton(spec, { name: 'globals', signed: false });
const kfunc = signLightSkeleton(
  generateLightSkeleton(spec, { name: 'globals', signed: true, scheme: 'kfunc' }),
  signer.signer,
);
const loadTime = signLightSkeleton(
  generateLightSkeleton(spec, { name: 'globals', signed: true, scheme: 'load-time' }),
  signer.signer,
);

/** User space loads only METADATA_VERIFIED programs (the load-time scheme); the kernel anything. */
const METADATA_ONLY = `policy_name=metadata_only policy_version=1.0.0
DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY
op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW
`;

function machine(policy: string, opts: MachineOptions = {}): Machine {
  const kr = new MachineKeyrings();
  kr.addCertificate(signer.certificate, KeySpec.SESSION_KEYRING);
  const m = new Machine({ keyrings: kr, ...opts });
  m.lsm.install(policy);
  return m;
}

function accessRecords(m: Machine) {
  return m.auditLog().filter((a) => a.type === 1420);
}

describe('the machine enforcing a signed-only policy on light skeletons', () => {
  it('the signed skeleton loads: its loader as OK from user space, its programs as kernel loads', () => {
    const m = machine(SIGNED_ONLY_POLICY);
    const c = loadAndRun(m, inline);
    try {
      assert.ok(c.programs.size > 0);
      const r = m.progTestRun({ progFd: [...c.programs.values()][0]!.fd, dataIn: new Uint8Array(64) });
      assert.equal(typeof r.retval, 'number');
    } finally {
      c.close();
    }
    const ds = m.lsm.decisions();
    assert.equal(ds.length, 1 + inline.programs.length);
    assert.deepEqual(
      [ds[0]!.progName, ds[0]!.event.bpf_signature, ds[0]!.event.bpf_kernel, ds[0]!.decision.action],
      ['__loader.prog', 'OK', false, 'ALLOW'],
    );
    for (const d of ds.slice(1)) {
      assert.equal(d.event.bpf_kernel, true);
      assert.equal(d.event.bpf_signature, 'UNSIGNED');
      assert.equal(d.decision.action, 'ALLOW');
      assert.match(d.decision.ruleText, /bpf_kernel=TRUE/);
    }
    assert.equal(accessRecords(m).length, 0);
  });

  it('an unsigned program is refused with EACCES and an audit record naming the rule', () => {
    const m = machine(SIGNED_ONLY_POLICY);
    const insns = encode([
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
    assert.throws(
      () => m.progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL', progName: 'unsigned' }),
      (e: unknown) =>
        e instanceof BpfError &&
        e.code === 'EACCES' &&
        /line 3: DEFAULT op=BPF_PROG_LOAD action=DENY/.test(e.message),
    );
    const [rec] = accessRecords(m);
    assert.equal(rec?.access?.line, 3);
    assert.match(
      rec!.text,
      /bpf_signature=UNSIGNED bpf_keyring=\? bpf_kernel=FALSE rule="DEFAULT op=BPF_PROG_LOAD action=DENY"/,
    );
  });

  it('an unsigned skeleton (or a signed one with its signature stripped) is refused: the loader never runs', () => {
    const m = machine(SIGNED_ONLY_POLICY);
    const before = m.objectCounts;
    for (const l of [unsigned, { ...inline, signed: false, signature: undefined }]) {
      assert.throws(
        () => loadAndRun(m, l),
        (e: unknown) => e instanceof BpfError && e.code === 'EACCES',
      );
    }
    assert.deepEqual(m.objectCounts, before, 'nothing was left behind');
    assert.equal(accessRecords(m).length, 2);
    // Without a policy the same skeleton loads: the refusal is the policy's.
    const free = new Machine();
    loadAndRun(free, unsigned).close();
  });

  it('the attack lab is refused (or its change ignored) under the policy', () => {
    const m = machine(SIGNED_ONLY_POLICY);
    const other = signLightSkeleton(inline, stranger.signer);
    const outcomes = ATTACKS.map((k) => runAttack(m, inline, k, {}, other));
    for (const o of outcomes) assert.notEqual(o.outcome, 'succeeded', `${o.kind}: ${o.why}`);
    const byKind = Object.fromEntries(outcomes.map((o) => [o.kind, o]));
    assert.match(byKind['tamper-insns']!.why, /EKEYREJECTED/);
    assert.match(byKind['wrong-key']!.why, /ENOKEY|EKEYREJECTED/);
    // Another (unsigned) program trying to use the exclusive metadata map: the policy refuses it first.
    assert.match(byKind['share-metadata-map']!.why, /EACCES: denied by policy 'signed_only'/);
    assert.equal(byKind['override-max-entries']!.outcome, 'ignored');
    // The stripped-signature variant of each attack is refused by the policy.
    const stripped = { ...inline, signed: false, signature: undefined } as LightSkeleton;
    assert.throws(() => loadAndRun(m, stripped, { hostile: { tamperData: 8 } }), /EACCES/);
  });

  it('a METADATA_VERIFIED-only policy: the load-time skeleton loads, the inline one (OK) is refused', () => {
    const profile = { loadTimeSignatures: true, strictExclusiveFdArray: true };
    const m = machine(METADATA_ONLY, { profile });
    const c = loadAndRun(m, loadTime);
    c.close();
    assert.equal(m.lsm.decisions()[0]!.event.bpf_signature, 'METADATA_VERIFIED');
    assert.throws(
      () => loadAndRun(m, inline),
      (e: unknown) => e instanceof BpfError && e.code === 'EACCES' && /line 3/.test(e.message),
    );
  });

  it('kfunc scheme: the loader is OK at load, the kfunc fires post-integrity with METADATA_VERIFIED', () => {
    const m = machine(SIGNED_ONLY_POLICY, { profile: { kfuncMetadata: true } });
    const c = loadAndRun(m, kfunc);
    c.close();
    const ds = m.lsm.decisions();
    assert.deepEqual(
      ds.slice(0, 2).map((d) => [d.trigger, d.hook, d.event.bpf_signature, d.decision.line]),
      [
        ['load', 'bpf_prog_load_post_integrity', 'OK', 6],
        ['kfunc', 'bpf_prog_load_post_integrity', 'METADATA_VERIFIED', 5],
      ],
    );
    assert.ok(ds.slice(2).every((d) => d.event.bpf_kernel === true && d.decision.action === 'ALLOW'));
    assert.equal(ds.length, 2 + kfunc.programs.length);
  });

  it('kfunc scheme: a DENY at the kfunc makes it return -EACCES; the loader stops and creates nothing', () => {
    const policy = SIGNED_ONLY_POLICY.replace('1.0.0', '1.2.0').replace(
      'op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW',
      'op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY\nop=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW',
    );
    const m = machine(policy, { profile: { kfuncMetadata: true } });
    const before = m.objectCounts;
    assert.throws(
      () => loadAndRun(m, kfunc),
      (e: unknown) => e instanceof LoaderError && e.errno === 13,
    );
    assert.deepEqual(m.objectCounts, before, 'nothing was left behind');
    const ds = m.lsm.decisions();
    assert.equal(ds.length, 2, 'no program load was attempted after the refusal');
    assert.equal(ds[1]!.trigger, 'kfunc');
    const rec = accessRecords(m).at(-1)!;
    assert.equal(rec.access?.line, 4);
    assert.match(
      rec.text,
      /ipe_hook=BPF_PROG_LOAD_POST_INTEGRITY .*bpf_signature=METADATA_VERIFIED bpf_keyring=USER bpf_kernel=FALSE rule="op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY"/,
    );
  });

  it('a policy denying kernel loads stops the loader inside: its program loads fail, the loader reports it', () => {
    const m = machine(
      `${SIGNED_ONLY_POLICY.replace('1.0.0', '2.0.0')}`.replace(
        'bpf_kernel=TRUE action=ALLOW',
        'bpf_kernel=TRUE action=DENY',
      ),
    );
    const before = m.objectCounts;
    assert.throws(
      () => loadAndRun(m, inline),
      (e: unknown) => e instanceof LoaderError && e.reason === 'failed' && e.errno === 13,
    );
    assert.deepEqual(m.objectCounts, before, 'the loader cleaned up');
    const rec = accessRecords(m).at(-1)!;
    assert.match(rec.text, /bpf_kernel=TRUE rule="op=BPF_PROG_LOAD bpf_kernel=TRUE action=DENY"/);
  });

  it('replacing the policy on a live machine changes the next decision; a malformed one changes nothing', () => {
    const m = machine(SIGNED_ONLY_POLICY);
    assert.throws(() => loadAndRun(m, unsigned), /EACCES/);
    assert.throws(
      () => m.lsm.install('policy_name=signed_only policy_version=3.0.0\nDEFAULT action=ALOW\n'),
      /line 2/,
    );
    assert.throws(() => loadAndRun(m, unsigned), /EACCES/);
    m.lsm.install('policy_name=signed_only policy_version=1.1.0\nDEFAULT action=ALLOW\n');
    loadAndRun(m, unsigned).close();
  });

  it('demoSignedOnlyPolicy: an unsigned load denied, with its audit record', () => {
    const d = demoSignedOnlyPolicy();
    assert.equal(d.error.code, 'EACCES');
    assert.equal(d.audit.line, 3);
    assert.match(
      d.audit.text,
      /ipe_op=BPF_PROG_LOAD .*bpf_signature=UNSIGNED .*rule="DEFAULT op=BPF_PROG_LOAD action=DENY"/,
    );
    assert.ok(d.lines.length >= 3);
    assert.ok(d.lines.some((l) => l.includes('EACCES')));
  });
});
