import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signerFromFiles } from '../../src/cli/signer.js';
import { certificateKeyId, signCms } from '../../src/lskel/cms.js';
import { FormatError } from '../../src/util/errors.js';
import { type KeyKind, testKey, tmp } from './keys.js';

function opensslVerify(
  sig: Uint8Array,
  content: Uint8Array,
  certPem: string,
  tag: string,
): { ok: boolean; err: string } {
  const d = tmp();
  const s = join(d, `${tag}.sig`);
  const c = join(d, `${tag}.insns`);
  writeFileSync(s, sig);
  writeFileSync(c, content);
  const r = spawnSync('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    s,
    '-content',
    c,
    '-certfile',
    certPem,
    '-noverify',
    '-out',
    '/dev/null',
  ]);
  return { ok: r.status === 0, err: r.stderr.toString() };
}

const content = new Uint8Array(64 * 8).map((_, i) => (i * 37 + 11) & 0xff);

describe('CMS signatures of loaders', () => {
  const kinds: KeyKind[] = ['rsa2048', 'rsa4096', 'p256', 'p384'];
  for (const kind of kinds) {
    it(`${kind}: openssl cms -verify accepts it, bytes are deterministic, PEM and DER keys agree`, () => {
      const k = testKey(kind);
      const a = signCms(content, signerFromFiles(k.key, k.cert));
      const b = signCms(content, signerFromFiles(new Uint8Array(readFileSync(k.keyDer)), k.certDerBytes));
      assert.deepEqual(a, b);
      const v = opensslVerify(a, content, k.certPem, kind);
      assert.ok(v.ok, v.err);
      const bad = content.slice();
      bad[100] ^= 1;
      assert.equal(opensslVerify(a, bad, k.certPem, `${kind}-bad`).ok, false);
    });
  }

  it('rsa: byte-identical to openssl cms -sign -noattr -nocerts -keyid -md sha256', () => {
    const k = testKey('rsa2048');
    const d = tmp();
    const c = join(d, 'ident.insns');
    const o = join(d, 'ident.sig');
    writeFileSync(c, content);
    execFileSync('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-noattr',
      '-nocerts',
      '-keyid',
      '-md',
      'sha256',
      '-nosmimecap',
      '-outform',
      'DER',
      '-in',
      c,
      '-out',
      o,
      '-signer',
      k.certPem,
      '-inkey',
      k.keyPem,
    ]);
    const ours = signCms(content, signerFromFiles(k.key, k.cert));
    assert.deepEqual(ours, new Uint8Array(readFileSync(o)));
  });

  it('the wrong key for a certificate is detected by openssl', () => {
    const k = testKey('p256');
    const other = testKey('p256', 'b');
    const sig = signCms(content, signerFromFiles(other.key, k.cert));
    assert.equal(opensslVerify(sig, content, k.certPem, 'wrongkey').ok, false);
  });

  it('certificates without subjectKeyIdentifier, garbage keys: FormatError', () => {
    assert.throws(() => certificateKeyId(new Uint8Array([1, 2, 3])), FormatError);
    const k = testKey('p256');
    assert.throws(() => signerFromFiles(new Uint8Array([0x30, 0x03, 1, 2, 3]), k.cert), FormatError);
  });
});

describe('throwaway identities (pure key + self-signed certificate)', () => {
  it('openssl accepts the certificate and verifies CMS signatures made with it; seeds reproduce', async () => {
    const { throwawayIdentity } = await import('../../src/lskel/throwaway.js');
    const when = new Date('2026-01-01T00:00:00Z');
    const id = throwawayIdentity('tsbpf test throwaway', new Uint8Array([9]), when);
    assert.deepEqual(
      throwawayIdentity('tsbpf test throwaway', new Uint8Array([9]), when).certificate,
      id.certificate,
    );
    const d = tmp();
    const der = join(d, 'tw.der');
    const pem = join(d, 'tw.pem');
    writeFileSync(der, id.certificate);
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', pem]);
    const sig = signCms(content, id.signer);
    const v = opensslVerify(sig, content, pem, 'throwaway');
    assert.ok(v.ok, v.err);
    assert.deepEqual(certificateKeyId(id.certificate), id.signer.keyId);
  });
});
