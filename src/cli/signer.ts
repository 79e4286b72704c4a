/**
 * Reads signing keys for light skeletons with `node:crypto` (PEM or DER: PKCS#8, PKCS#1 RSA,
 * SEC1 EC) and turns them into the pure, deterministic signers of `src/lskel/signer.ts`. This
 * is the only place that touches `node:crypto` for signing (lskel is a pure layer).
 *
 * @module
 */

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { bytesToBigint } from '../crypto/rsa.js';
import { certificateKeyId, pemOrDer } from '../lskel/cms.js';
import { ecdsaSigner, rsaSigner, type Signer } from '../lskel/signer.js';
import { FormatError } from '../util/errors.js';

function b64u(s: string | undefined): Uint8Array {
  if (s === undefined) return new Uint8Array(0);
  return new Uint8Array(Buffer.from(s, 'base64url'));
}
function big(s: string | undefined): bigint | undefined {
  return s === undefined ? undefined : bytesToBigint(b64u(s));
}

function readKey(bytes: Uint8Array, where: string): KeyObject {
  const buf = Buffer.from(bytes);
  if (buf.includes('-----BEGIN')) {
    try {
      return createPrivateKey({ key: buf, format: 'pem' });
    } catch (e) {
      throw new FormatError(where, `unreadable PEM private key (${(e as Error).message})`);
    }
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: buf, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new FormatError(where, 'not a PEM or DER private key (PKCS#8, PKCS#1 or SEC1)', 0);
}

/**
 * A deterministic {@link Signer} from a private key file's bytes and the matching certificate
 * (PEM or DER; its subjectKeyIdentifier names the signer). RSA 2048..4096 bits, ECDSA P-256 and
 * P-384. FormatError for unreadable input, RangeError for unsupported key sizes or curves.
 */
export function signerFromFiles(
  keyBytes: Uint8Array,
  certBytes: Uint8Array,
  where: { key?: string; cert?: string } = {},
): Signer {
  const keyId = certificateKeyId(pemOrDer(certBytes, 'CERTIFICATE', where.cert), where.cert);
  const key = readKey(keyBytes, where.key ?? 'key');
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    return rsaSigner(
      {
        n: big(jwk.n) as bigint,
        e: big(jwk.e) as bigint,
        d: big(jwk.d) as bigint,
        p: big(jwk.p),
        q: big(jwk.q),
        dp: big(jwk.dp),
        dq: big(jwk.dq),
        qi: big(jwk.qi),
      },
      keyId,
    );
  }
  if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384')) {
    return ecdsaSigner(jwk.crv, b64u(jwk.d), keyId);
  }
  throw new RangeError(
    `unsupported key type ${jwk.kty}${jwk.crv ? ` (${jwk.crv})` : ''}: RSA, P-256 or P-384`,
  );
}
