import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lskelFromJson } from '../../src/lskel/format.js';
import { testKey, tmp } from './keys.js';

function tsbpf(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('tsbpf gen skeleton / lskel', () => {
  const k = testKey('p256');
  const other = testKey('rsa2048');
  const out = join(tmp(), 'globals.lskel.json');

  it('gen skeleton --light --sign writes JSON with insns, data, signature, exclProgHash, scheme', () => {
    const r = tsbpf(
      'gen',
      'skeleton',
      'test/fixtures/globals.bpfel.o',
      '--light',
      '--sign',
      '--key',
      k.keyPem,
      '--cert',
      k.certPem,
      '-o',
      out,
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    for (const f of ['insns', 'data', 'signature', 'exclProgHash', 'scheme']) assert.ok(j[f], f);
    assert.equal(j.scheme, 'inline');
    assert.equal(
      lskelFromJson(readFileSync(out, 'utf8')).signature?.length,
      Buffer.from(j.signature, 'base64').length,
    );
    const ts = tsbpf('gen', 'skeleton', 'test/fixtures/globals.bpfel.o', '--light', '--format', 'ts');
    assert.equal(ts.code, 0, ts.err);
    assert.match(ts.out, /export const programs = \{\n {2}account:/);
    assert.equal(tsbpf('gen', 'skeleton', 'test/fixtures/globals.bpfel.o').code, 2);
    assert.equal(tsbpf('gen', 'skeleton', 'test/fixtures/globals.bpfel.o', '--light', '--sign').code, 2);
  });

  it('lskel verify explains what is signed and bound; the wrong certificate fails', () => {
    const ok = tsbpf('lskel', 'verify', out, '--cert', k.certDer);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /signed: the CMS signature covers/);
    assert.match(ok.out, /bound \(inline scheme\)/);
    const bad = tsbpf('lskel', 'verify', out, '--cert', other.certPem);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /FAIL signature: unknown-key/);
  });

  it('lskel run on the machine: verified with --trust, refused without', () => {
    const ok = tsbpf('lskel', 'run', out, '--trust', k.certPem);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /signature: verified\n/);
    assert.match(ok.out, /prog account id \d+ tag [0-9a-f]{16}/);
    const no = tsbpf('lskel', 'run', out);
    assert.equal(no.code, 1);
    assert.match(no.err, /ENOKEY/);
  });

  it('lskel attack: refused or ignored on the machine', () => {
    for (const [kind, want] of [
      ['omit-exclusive', /^refused: .*not exclusive/],
      ['tamper-insns', /^refused: .*EKEYREJECTED/],
      ['wrong-key', /^refused: .*ENOKEY/],
      ['override-max-entries', /^ignored: /],
    ] as const) {
      const r = tsbpf('lskel', 'attack', out, '--kind', kind, '--trust', k.certPem);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, want, kind);
    }
  });
});

describe('tsbpf lskel demo', () => {
  it('signs, loads, runs and shows attacks 1-4 refused', () => {
    const r = tsbpf('lskel', 'demo');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /signature verified/);
    for (const k of ['omit-exclusive', 'tamper-data', 'tamper-insns', 'wrong-key'])
      assert.match(r.out, new RegExp(`${k} +refused: `));
  });
  it('gen skeleton: .kconfig from --kconfig and --kernel-release, --skip leaves a program out', () => {
    const dir = tmp();
    const cfg = join(dir, 'config');
    writeFileSync(cfg, 'CONFIG_HZ=300\n# CONFIG_BPF_JIT_ALWAYS_ON is not set\n');
    const f = join(dir, 'externs.json');
    const args = ['gen', 'skeleton', 'test/fixtures/externs.bpfel.o', '--light', '--kconfig', cfg];
    const r = tsbpf(...args, '--kernel-release', '6.1.7', '--skip', 'on_newtask', '-o', f);
    assert.equal(r.code, 0, r.err);
    const l = lskelFromJson(readFileSync(f, 'utf8'));
    assert.deepEqual(
      l.programs.map((p) => p.name),
      [],
    );
    const kc = l.maps.find((m) => m.name === '.kconfig')!;
    const dv = new DataView(kc.initialValue!.buffer);
    assert.equal(dv.getUint32(0, true), (6 << 16) + (1 << 8) + 7); // LINUX_KERNEL_VERSION
    assert.equal(dv.getInt32(4, true), 300); // CONFIG_HZ
    assert.equal(kc.initialValue![8], 0); // CONFIG_BPF_JIT_ALWAYS_ON=n
    const run = tsbpf('lskel', 'run', f, '--backend', 'machine');
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /map +\.kconfig/);
  });
});
