/**
 * Signers for light-skeleton loaders: the small interface the CMS builder needs, and pure
 * implementations over raw key material (RSA PKCS#1 v1.5 with bigint arithmetic, ECDSA P-256 /
 * P-384 with RFC 6979 deterministic nonces through `@noble/curves`). Both are deterministic: the
 * same key and data always give the same signature bytes.
 *
 * Reading keys from PEM/DER files is done outside this pure layer (see `src/cli/signer.ts`),
 * which hands the key's numbers to {@link rsaSigner} / {@link ecdsaSigner}.
 *
 * @module
 */

import { p256, p384 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bigintToBytes, bitLength, bytesToBigint, emsaPkcs1Sha256, modPow } from '../crypto/rsa.js';

/** Signature algorithms a {@link Signer} can produce (the digest is always SHA-256). */
export type SignatureAlgorithm = 'rsa-pkcs1-sha256' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha256';

/** What the CMS builder needs from a key. */
export interface Signer {
  /** The signature algorithm. */
  readonly algorithm: SignatureAlgorithm;
  /** Subject key identifier of the signer's certificate (names the signer in the CMS). */
  readonly keyId: Uint8Array;
  /**
   * Signs SHA-256(`data`): RSA gives the raw PKCS#1 v1.5 signature (modulus length), ECDSA the
   * DER `ECDSA-Sig-Value`.
   */
  sign(data: Uint8Array): Uint8Array;
}

/** RSA private key numbers (big-endian magnitudes as bigint); `p`..`qi` enable the CRT. */
export interface RsaPrivateKey {
  n: bigint;
  e: bigint;
  d: bigint;
  p?: bigint;
  q?: bigint;
  dp?: bigint;
  dq?: bigint;
  qi?: bigint;
}

/**
 * An RSA PKCS#1 v1.5 / SHA-256 signer over raw key numbers. Moduli of 2048 to 4096 bits (what
 * the kernel's asymmetric keys accept for BPF signing); RangeError otherwise.
 */
export function rsaSigner(key: RsaPrivateKey, keyId: Uint8Array): Signer {
  const bits = bitLength(key.n);
  if (bits < 2048 || bits > 4096) throw new RangeError(`RSA key of ${bits} bits: 2048..4096 supported`);
  const k = Math.ceil(bits / 8);
  const crt =
    key.p !== undefined &&
    key.q !== undefined &&
    key.dp !== undefined &&
    key.dq !== undefined &&
    key.qi !== undefined;
  return {
    algorithm: 'rsa-pkcs1-sha256',
    keyId: keyId.slice(),
    sign(data: Uint8Array): Uint8Array {
      const m = bytesToBigint(emsaPkcs1Sha256(sha256(data), k));
      let s: bigint;
      if (crt) {
        const p = key.p as bigint;
        const q = key.q as bigint;
        const m1 = modPow(m, key.dp as bigint, p);
        const m2 = modPow(m, key.dq as bigint, q);
        const h = ((((m1 - m2) % p) + p) * (key.qi as bigint)) % p;
        s = m2 + h * q;
      } else {
        s = modPow(m, key.d, key.n);
      }
      // A wrong CRT component would leak the key through a faulty signature: check it.
      if (modPow(s, key.e, key.n) !== m) throw new RangeError('RSA key components are inconsistent');
      return bigintToBytes(s, k);
    },
  };
}

/** ECDSA curves supported for signing. */
export type EcdsaCurve = 'P-256' | 'P-384';

/**
 * An ECDSA / SHA-256 signer with RFC 6979 deterministic nonces. `d` is the private scalar,
 * big-endian (32 bytes for P-256, 48 for P-384; shorter values are left-padded).
 */
export function ecdsaSigner(curve: EcdsaCurve, d: Uint8Array, keyId: Uint8Array): Signer {
  const c = curve === 'P-256' ? p256 : p384;
  const len = curve === 'P-256' ? 32 : 48;
  if (d.length > len) throw new RangeError(`${curve} private scalar is ${d.length} bytes, at most ${len}`);
  const sk = new Uint8Array(len);
  sk.set(d, len - d.length);
  return {
    algorithm: curve === 'P-256' ? 'ecdsa-p256-sha256' : 'ecdsa-p384-sha256',
    keyId: keyId.slice(),
    sign(data: Uint8Array): Uint8Array {
      return c.sign(sha256(data), sk, { prehash: false, format: 'der' });
    },
  };
}
