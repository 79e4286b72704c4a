import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseObject } from '../../src/elf/object.js';
import {
  generateLightSkeleton,
  lskelToJson,
  signLightSkeleton,
  throwawayIdentity,
} from '../../src/lskel/index.js';
import { SIGNED_ONLY_POLICY } from '../../src/machine/lsm/demo.js';
import { tsbpf } from './run-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbpf-policy-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

const spec = parseObject(new Uint8Array(readFileSync('test/fixtures/globals.bpfel.o')));
const id = throwawayIdentity('tsbpf policy test cli', new Uint8Array([3]));
const signedSkel = file(
  'signed.json',
  lskelToJson(signLightSkeleton(generateLightSkeleton(spec, { name: 'globals', signed: true }), id.signer)),
);
const unsignedSkel = file('unsigned.json', lskelToJson(generateLightSkeleton(spec, { name: 'globals' })));
const loadTimeSkel = file(
  'loadtime.json',
  lskelToJson(
    signLightSkeleton(
      generateLightSkeleton(spec, { name: 'globals', signed: true, scheme: 'load-time' }),
      id.signer,
    ),
  ),
);
const kfuncSkel = file(
  'kfunc.json',
  lskelToJson(
    signLightSkeleton(
      generateLightSkeleton(spec, { name: 'globals', signed: true, scheme: 'kfunc' }),
      id.signer,
    ),
  ),
);
const cert = file('signer.der', id.certificate);
const policy = file('signed_only.pol', SIGNED_ONLY_POLICY);
const progs = spec.programs.length;

describe('tsbpf policy test POLICY --lskel FILE [--trust CERT]', () => {
  it('a signed skeleton with its signer trusted: every load allowed, exit 0', () => {
    const r = tsbpf('policy', 'test', policy, '--lskel', signedSkel, '--trust', cert);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /^policy signed_only 1\.0\.0; skeleton signed \(inline scheme\)/);
    assert.match(
      lines[1]!,
      /^ALLOW __loader\.prog +user +bpf_signature=OK bpf_keyring=USER at bpf_prog_load_post_integrity: line 6: op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW$/,
    );
    const kernelLines = lines.filter((l) =>
      / kernel bpf_signature=UNSIGNED .*line 4: op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW$/.test(l),
    );
    assert.equal(kernelLines.length, progs);
    assert.match(lines.at(-1)!, new RegExp(`^loaded: ${progs} program\\(s\\)`));
  });

  it('an unsigned skeleton: the loader is denied by line 3, exit 1', () => {
    const r = tsbpf('policy', 'test', policy, '--lskel', unsignedSkel);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /^DENY {2}__loader\.prog +user +bpf_signature=UNSIGNED bpf_keyring=\? at bpf_prog_load_post_integrity: line 3: DEFAULT op=BPF_PROG_LOAD action=DENY$/m,
    );
    assert.match(r.out, /not loaded: BPF_PROG_LOAD: EACCES/);
    assert.match(r.out, /1 load\(s\) denied/);
  });

  it('a signed skeleton whose signer is not trusted: no decision, the signature check refuses it, exit 1', () => {
    const r = tsbpf('policy', 'test', policy, '--lskel', signedSkel);
    assert.equal(r.code, 1);
    assert.match(r.out, /not loaded: BPF_PROG_LOAD: (ENOKEY|EKEYREJECTED)/);
    assert.doesNotMatch(r.out, /^(ALLOW|DENY) /m);
  });

  it('--json; the load-time scheme is METADATA_VERIFIED; Hornet words with --vocabulary hornet', () => {
    const r = tsbpf('policy', 'test', policy, '--lskel', loadTimeSkel, '--trust', cert, '--json');
    assert.equal(r.code, 0, r.out);
    const j = JSON.parse(r.out);
    assert.equal(j.loaded, true);
    assert.equal(j.decisions[0].bpf_signature, 'METADATA_VERIFIED');
    assert.equal(j.decisions[0].line, 5);
    assert.equal(j.decisions.length, 1 + progs);
    const hornet = file(
      'hornet.pol',
      'policy_name=hornet policy_version=1.0.0\nDEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW\n',
    );
    const h = tsbpf(
      'policy',
      'test',
      hornet,
      '--lskel',
      signedSkel,
      '--trust',
      cert,
      '--vocabulary',
      'hornet',
      '--json',
    );
    assert.equal(h.code, 1, 'an instructions-only signature is PARTIALSIG in Hornet words');
    assert.equal(JSON.parse(h.out).decisions[0].bpf_signature, 'PARTIALSIG');
  });

  it('kfunc scheme: the load decision, then the kfunc decision with METADATA_VERIFIED', () => {
    const r = tsbpf('policy', 'test', policy, '--lskel', kfuncSkel, '--trust', cert);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /signed \(kfunc scheme\)/);
    assert.match(lines[1]!, /^ALLOW __loader\.prog +user +bpf_signature=OK .*line 6/);
    assert.match(
      lines[2]!,
      /^ALLOW __loader\.prog +user +bpf_signature=METADATA_VERIFIED bpf_keyring=USER at bpf_prog_load_post_integrity \(kfunc\): line 5/,
    );
  });

  it('the real CLI: exit codes 0 / 1, and a malformed policy is exit 1 with its line', () => {
    const run = (...a: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...a], { encoding: 'utf8' });
    assert.equal(run('policy', 'test', policy, '--lskel', signedSkel, '--trust', cert).status, 0);
    assert.equal(run('policy', 'test', policy, '--lskel', unsignedSkel).status, 1);
    const bad = run(
      'policy',
      'test',
      file('bad.pol', 'policy_name=x policy_version=1.0.0\nDEFAULT action=MAYBE\n'),
      '--lskel',
      signedSkel,
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /line 2/);
  });
});
