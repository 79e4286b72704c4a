import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { it } from 'node:test';
import { bytesToBigint, emsaPkcs1Sha256, modPow, rsaVerifyPkcs1Sha256 } from '../../src/crypto/index.js';

const b64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

it('verifies node:crypto RSA PKCS#1 v1.5 / SHA-256 signatures, and nothing else', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = bytesToBigint(b64u(jwk.n!));
  const e = bytesToBigint(b64u(jwk.e!));
  const data = new TextEncoder().encode('loader instructions');
  const digest = new Uint8Array(createHash('sha256').update(data).digest());
  const sig = new Uint8Array(sign('sha256', data, privateKey));
  assert.equal(rsaVerifyPkcs1Sha256(n, e, digest, sig), true);
  const flipped = sig.slice();
  flipped[100]! ^= 1;
  assert.equal(rsaVerifyPkcs1Sha256(n, e, digest, flipped), false);
  const otherDigest = digest.slice();
  otherDigest[0]! ^= 1;
  assert.equal(rsaVerifyPkcs1Sha256(n, e, otherDigest, sig), false);
  assert.equal(rsaVerifyPkcs1Sha256(n, e, digest, sig.subarray(1)), false);
  // The signature is the encoding raised to d: raising it to e gives the encoding back.
  assert.deepEqual(modPow(bytesToBigint(sig), e, n), bytesToBigint(emsaPkcs1Sha256(digest, 256)));
});
