/**
 * RSA PKCS#1 v1.5 with SHA-256 (RFC 8017), over bigint: the arithmetic shared by the
 * light-skeleton signer (`src/lskel`) and the machine's signature check (`src/machine/signature`).
 * Pure and synchronous. Not constant-time: it signs throwaway and build keys and verifies public
 * data, it is not a general-purpose RSA implementation.
 *
 * @module
 */

/** DER DigestInfo prefix of SHA-256 (AlgorithmIdentifier sha256 with NULL parameters, OCTET STRING 32). */
export const SHA256_DIGEST_INFO_PREFIX: Uint8Array = Uint8Array.of(
  0x30,
  0x31,
  0x30,
  0x0d,
  0x06,
  0x09,
  0x60,
  0x86,
  0x48,
  0x01,
  0x65,
  0x03,
  0x04,
  0x02,
  0x01,
  0x05,
  0x00,
  0x04,
  0x20,
);

/** Big-endian bytes to bigint. */
export function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** bigint to big-endian bytes of exactly `len` bytes (RangeError when it does not fit). */
export function bigintToBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError(`value does not fit in ${len} bytes`);
  return out;
}

/** `base^exp mod m` by square-and-multiply. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    e >>= 1n;
    b = (b * b) % m;
  }
  return result;
}

/** Bit length of a non-negative bigint. */
export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** EMSA-PKCS1-v1_5 encoding of SHA-256 `digest` for a `k`-byte modulus (RFC 8017 9.2). */
export function emsaPkcs1Sha256(digest: Uint8Array, k: number): Uint8Array {
  const t = new Uint8Array(SHA256_DIGEST_INFO_PREFIX.length + digest.length);
  t.set(SHA256_DIGEST_INFO_PREFIX);
  t.set(digest, SHA256_DIGEST_INFO_PREFIX.length);
  if (k < t.length + 11) throw new RangeError(`RSA modulus of ${k} bytes is too short for SHA-256`);
  const em = new Uint8Array(k);
  em[1] = 0x01;
  em.fill(0xff, 2, k - t.length - 1);
  em.set(t, k - t.length);
  return em;
}

/**
 * RSA PKCS#1 v1.5 verification of a SHA-256 `digest` (RFC 8017 8.2.2: the signature's
 * representative raised to `e` must equal the expected encoding exactly). Never throws.
 */
export function rsaVerifyPkcs1Sha256(n: bigint, e: bigint, digest: Uint8Array, sig: Uint8Array): boolean {
  const k = Math.ceil(bitLength(n) / 8);
  if (sig.length !== k || digest.length !== 32 || k < SHA256_DIGEST_INFO_PREFIX.length + 32 + 11)
    return false;
  const s = bytesToBigint(sig);
  if (s >= n) return false;
  const em = bigintToBytes(modPow(s, e, n), k);
  const expected = emsaPkcs1Sha256(digest, k);
  let diff = 0;
  for (let i = 0; i < k; i++) diff |= em[i]! ^ expected[i]!;
  return diff === 0;
}
