/**
 * Throwaway signing identities for demos and tests that must run anywhere (no openssl, no
 * `node:crypto`): an ECDSA P-256 key and a self-signed X.509 v3 certificate carrying a
 * subjectKeyIdentifier (SHA-1 of the public key, as `openssl ... subjectKeyIdentifier=hash`
 * computes it). Pure: `@noble/curves` for the key and signature, `@peculiar/asn1-x509` for DER.
 *
 * @module
 */

import { p256 } from '@noble/curves/nist.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_subjectKeyIdentifier,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from '@peculiar/asn1-x509';
import { ecdsaSigner, type Signer } from './signer.js';

/** A throwaway key and its certificate. */
export interface ThrowawayIdentity {
  /** Signer for {@link signLightSkeleton}. */
  signer: Signer;
  /** DER certificate (put it into a keyring). */
  certificate: Uint8Array;
  /** The private scalar (32 bytes). */
  privateKey: Uint8Array;
}

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_CN = '2.5.4.3';

function buf(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

/**
 * Makes a P-256 identity named `commonName`. `seed` (any bytes) makes it reproducible (the key
 * is SHA-256 of the seed); without it the key is random. Validity: `notBefore` (default now)
 * plus one day.
 */
export function throwawayIdentity(
  commonName = 'tsbpf throwaway signer',
  seed?: Uint8Array,
  notBefore: Date = new Date(),
): ThrowawayIdentity {
  const sk = seed !== undefined ? sha256(seed) : p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(sk, false);
  const keyId = sha1(pub);
  const name = new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: OID_CN, value: new AttributeValue({ utf8String: commonName }) }),
    ]),
  ]);
  const sigAlg = new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 });
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: buf(Uint8Array.of(0x01, ...keyId.subarray(0, 8))),
    signature: sigAlg,
    issuer: name,
    validity: new Validity({ notBefore, notAfter: new Date(notBefore.getTime() + 86_400_000) }),
    subject: name,
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: OID_EC_PUBLIC_KEY,
        // OBJECT IDENTIFIER prime256v1 (DER)
        parameters: buf(Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07)),
      }),
      subjectPublicKey: buf(pub),
    }),
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_subjectKeyIdentifier,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(buf(keyId)))),
      }),
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: true }))),
      }),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const sig = p256.sign(sha256(tbsDer), sk, { prehash: false, format: 'der' });
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: buf(sig) });
  return {
    signer: ecdsaSigner('P-256', sk, keyId),
    certificate: new Uint8Array(AsnConvert.serialize(cert)),
    privateKey: sk,
  };
}
