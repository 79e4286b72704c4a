/**
 * Verification of CMS (PKCS#7) signatures over loader instructions, as the kernel's
 * `verify_pkcs7_signature` does for BPF_PROG_LOAD: the signer is found among the keyring's
 * certificates by subject key identifier (or issuer and serial number), the digest is SHA-256,
 * and without signed attributes the signature covers the content's digest directly (with signed
 * attributes: their DER, whose messageDigest must match). RSA PKCS#1 v1.5 by bigint modpow,
 * ECDSA P-256/P-384 through `@noble/curves`. Pure.
 *
 * @module
 */

import { p256, p384 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ContentInfo, id_signedData, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { rsaVerifyPkcs1Sha256 } from '../../crypto/rsa.js';
import { Errno } from '../../sys/errors.js';
import { FormatError } from '../../util/errors.js';
import type { ParsedCertificate } from './x509.js';

const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/** The parts of a SignedData the machine checks. */
export interface ParsedSignature {
  /** Subject key identifier naming the signer (undefined when named by issuer and serial). */
  keyId?: Uint8Array;
  /** Serial number of the signer's certificate, when named by issuer and serial. */
  serial?: Uint8Array;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  signature: Uint8Array;
  /** DER of the signed attributes (SET OF, re-tagged), when present. */
  signedAttrs?: Uint8Array;
  /** messageDigest signed attribute, when present. */
  messageDigest?: Uint8Array;
  /** Whether the content is carried inside (the kernel needs detached data here). */
  attached: boolean;
  /** Whether certificates are embedded (ignored: trust comes from the keyring only). */
  certificates: number;
}

/** Parses a DER ContentInfo holding SignedData with exactly one signer. FormatError otherwise. */
export function parseSignature(der: Uint8Array, where = 'signature'): ParsedSignature {
  let sd: SignedData;
  try {
    const ci = AsnConvert.parse(der.slice().buffer, ContentInfo);
    if (ci.contentType !== id_signedData) throw new Error(`content type ${ci.contentType}, not signedData`);
    sd = AsnConvert.parse(ci.content, SignedData);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(where, `not a CMS SignedData (${(e as Error).message})`, 0);
  }
  if (sd.signerInfos.length !== 1)
    throw new FormatError(`${where}/signerInfos`, `${sd.signerInfos.length} signers, expected exactly 1`);
  const si = sd.signerInfos[0]!;
  let signedAttrs: Uint8Array | undefined;
  let messageDigest: Uint8Array | undefined;
  if (si.signedAttrs !== undefined && si.signedAttrs.length > 0) {
    const raw = si.signedAttrsRaw ? new Uint8Array(si.signedAttrsRaw) : undefined;
    if (raw === undefined)
      throw new FormatError(`${where}/signedAttrs`, 'signed attributes without their DER');
    signedAttrs = raw.slice();
    signedAttrs[0] = 0x31; // [0] IMPLICIT -> SET OF, as signed
    for (const a of si.signedAttrs) {
      if (a.attrType === OID_MESSAGE_DIGEST && a.attrValues.length === 1) {
        const v = new Uint8Array(a.attrValues[0]!);
        if (v[0] === 0x04) messageDigest = v.subarray(2, 2 + (v[1] as number));
      }
    }
  }
  const sid = si.sid;
  return {
    keyId: sid.subjectKeyIdentifier ? new Uint8Array(sid.subjectKeyIdentifier.buffer) : undefined,
    serial: sid.issuerAndSerialNumber ? new Uint8Array(sid.issuerAndSerialNumber.serialNumber) : undefined,
    digestAlgorithm: si.digestAlgorithm.algorithm,
    signatureAlgorithm: si.signatureAlgorithm.algorithm,
    signature: new Uint8Array(si.signature.buffer),
    signedAttrs,
    messageDigest,
    attached: sd.encapContentInfo.eContent !== undefined,
    certificates: sd.certificates?.length ?? 0,
  };
}

/** Outcome of a signature check. */
export type SignatureCheck =
  | { ok: true; certificate: ParsedCertificate }
  | {
      ok: false;
      /** `malformed` (EBADMSG), `unknown-key` (ENOKEY), `bad-signature` (EKEYREJECTED), `unsupported` (EOPNOTSUPP). */
      reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'unsupported';
      errno: number;
      message: string;
    };

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks `signatureDer` over `content` against `certificates` (the keyring's). Never throws:
 * malformed input is a `malformed` verdict.
 */
export function verifySignature(
  content: Uint8Array,
  signatureDer: Uint8Array,
  certificates: readonly ParsedCertificate[],
): SignatureCheck {
  let sig: ParsedSignature;
  try {
    sig = parseSignature(signatureDer);
  } catch (e) {
    return { ok: false, reason: 'malformed', errno: Errno.EBADMSG, message: (e as Error).message };
  }
  if (sig.attached)
    return {
      ok: false,
      reason: 'malformed',
      errno: Errno.EBADMSG,
      message: 'signature carries its content (detached expected)',
    };
  if (sig.digestAlgorithm !== OID_SHA256)
    return {
      ok: false,
      reason: 'unsupported',
      errno: Errno.EOPNOTSUPP,
      message: `digest ${sig.digestAlgorithm} (SHA-256 expected)`,
    };
  const cert = certificates.find((c) =>
    sig.keyId !== undefined ? c.keyId.length > 0 && bytesEqual(c.keyId, sig.keyId) : false,
  );
  if (cert === undefined) {
    let hex = '';
    for (const x of sig.keyId ?? []) hex += x.toString(16).padStart(2, '0');
    return {
      ok: false,
      reason: 'unknown-key',
      errno: Errno.ENOKEY,
      message: sig.keyId ? `no certificate with key id ${hex} in the keyring` : 'signer not named by key id',
    };
  }
  const contentDigest = sha256(content);
  let digest = contentDigest;
  if (sig.signedAttrs !== undefined) {
    if (sig.messageDigest === undefined || !bytesEqual(sig.messageDigest, contentDigest))
      return {
        ok: false,
        reason: 'bad-signature',
        errno: Errno.EKEYREJECTED,
        message: 'messageDigest does not match the content',
      };
    digest = sha256(sig.signedAttrs);
  }
  const pk = cert.publicKey;
  let good: boolean;
  if (pk.kind === 'rsa') {
    if (sig.signatureAlgorithm !== OID_RSA && sig.signatureAlgorithm !== OID_RSA_SHA256)
      return {
        ok: false,
        reason: 'bad-signature',
        errno: Errno.EKEYREJECTED,
        message: 'signature algorithm does not fit an RSA key',
      };
    good = rsaVerifyPkcs1Sha256(pk.n, pk.e, digest, sig.signature);
  } else {
    if (sig.signatureAlgorithm !== OID_ECDSA_SHA256)
      return {
        ok: false,
        reason: 'bad-signature',
        errno: Errno.EKEYREJECTED,
        message: 'signature algorithm does not fit an EC key',
      };
    const c = pk.curve === 'P-256' ? p256 : p384;
    try {
      good = c.verify(sig.signature, digest, pk.point, { prehash: false, format: 'der', lowS: false });
    } catch {
      good = false;
    }
  }
  if (!good)
    return {
      ok: false,
      reason: 'bad-signature',
      errno: Errno.EKEYREJECTED,
      message: `signature does not verify with '${cert.subject}'`,
    };
  return { ok: true, certificate: cert };
}
