// Keyrings: an X.509 certificate (made with openssl) as an asymmetric key in a keyring under the
// session keyring; create, search, describe, unlink.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BpfError } from '../../src/sys/errors.js';
import { KernelKeyrings } from '../../src/sys/kernel/index.js';
import { KeySpec } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';

function makeCert(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=tsbpf test signer',
        '-keyout',
        join(dir, 'key.pem'),
        '-outform',
        'DER',
        '-out',
        join(dir, 'cert.der'),
        '-addext',
        'keyUsage=digitalSignature',
        '-addext',
        'subjectKeyIdentifier=hash',
      ],
      { stdio: 'ignore' },
    );
    return new Uint8Array(readFileSync(join(dir, 'cert.der')));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('kernel: keyrings', { skip }, () => {
  test('add an X.509 certificate to a new keyring in the session keyring; search, describe, unlink', () => {
    kernel();
    const kr = new KernelKeyrings();
    const session = kr.getKeyringId(KeySpec.SESSION_KEYRING, true);
    assert.ok(session > 0);
    const ring = kr.createKeyring(`tsbpf-test-${process.pid}`, KeySpec.SESSION_KEYRING);
    try {
      assert.match(kr.describe(ring), new RegExp(`^keyring;\\d+;\\d+;[0-9a-f]+;tsbpf-test-${process.pid}$`));
      assert.equal(kr.search(KeySpec.SESSION_KEYRING, 'keyring', `tsbpf-test-${process.pid}`), ring);
      const cert = makeCert();
      const key = kr.addCertificate(cert, ring);
      const desc = kr.describe(key);
      assert.match(desc, /^asymmetric;\d+;\d+;[0-9a-f]+;tsbpf test signer: [0-9a-f]+$/);
      const name = desc.split(';')[4]!;
      assert.equal(kr.search(ring, 'asymmetric', name), key);
      assert.equal(kr.search(ring, 'asymmetric', 'no such key'), undefined);
      // Garbage is not a certificate.
      assert.throws(
        () => kr.addCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]), ring),
        (e: unknown) => e instanceof BpfError && e.command === 'add_key',
      );
      kr.unlink(key, ring);
      assert.equal(kr.search(ring, 'asymmetric', name), undefined);
      assert.throws(
        () => kr.unlink(key, ring),
        (e: unknown) => e instanceof BpfError && e.command === 'keyctl(KEYCTL_UNLINK)',
      );
    } finally {
      kr.unlink(ring, session);
    }
    assert.equal(kr.search(KeySpec.SESSION_KEYRING, 'keyring', `tsbpf-test-${process.pid}`), undefined);
  });

  test('join a named session keyring in a child process', () => {
    kernel();
    const script = `
      import { KernelKeyrings } from ${JSON.stringify(new URL('../../src/sys/kernel/index.ts', import.meta.url).pathname)};
      const kr = new KernelKeyrings();
      const id = kr.joinSessionKeyring('tsbpf-joined');
      console.log(JSON.stringify({ id, desc: kr.describe(id), session: kr.getKeyringId(-3) }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { id: number; desc: string; session: number };
    assert.equal(r.id, r.session);
    assert.match(r.desc, /;tsbpf-joined$/);
  });
});
