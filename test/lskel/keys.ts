/**
 * Test helper: throwaway keys and self-signed certificates made with openssl (each with a
 * subjectKeyIdentifier extension), cached per process in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key kinds the tests use. */
export type KeyKind = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384';

/** Paths and bytes of a key and its certificate. */
export interface TestKey {
  dir: string;
  keyPem: string;
  keyDer: string;
  certPem: string;
  certDer: string;
  key: Uint8Array;
  cert: Uint8Array;
  certDerBytes: Uint8Array;
}

let root: string | undefined;
const cache = new Map<string, TestKey>();

/** Temporary directory of this test process. */
export function tmp(): string {
  root ??= mkdtempSync(join(tmpdir(), 'tsbpf-lskel-'));
  return root;
}

/** A key of `kind` (the same for the whole process unless `name` differs). */
export function testKey(kind: KeyKind, name = 'a'): TestKey {
  const id = `${kind}-${name}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const d = tmp();
  const keyPem = join(d, `${id}.key.pem`);
  const keyDer = join(d, `${id}.key.der`);
  const certPem = join(d, `${id}.crt.pem`);
  const certDer = join(d, `${id}.crt.der`);
  const genArgs =
    kind === 'p256' || kind === 'p384'
      ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${kind === 'p256' ? 'P-256' : 'P-384'}`]
      : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${kind.slice(3)}`];
  execFileSync('openssl', ['genpkey', ...genArgs, '-out', keyPem], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', keyPem, '-outform', 'DER', '-out', keyDer], { stdio: 'ignore' });
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-x509',
      '-key',
      keyPem,
      '-out',
      certPem,
      '-days',
      '30',
      '-subj',
      `/CN=tsbpf test ${id}`,
      '-addext',
      'subjectKeyIdentifier=hash',
      '-addext',
      'keyUsage=digitalSignature',
    ],
    { stdio: 'ignore' },
  );
  execFileSync('openssl', ['x509', '-in', certPem, '-outform', 'DER', '-out', certDer], { stdio: 'ignore' });
  const k: TestKey = {
    dir: d,
    keyPem,
    keyDer,
    certPem,
    certDer,
    key: new Uint8Array(readFileSync(keyPem)),
    cert: new Uint8Array(readFileSync(certPem)),
    certDerBytes: new Uint8Array(readFileSync(certDer)),
  };
  cache.set(id, k);
  return k;
}
