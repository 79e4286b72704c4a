/**
 * CMS (PKCS#7) SignedData for light-skeleton loaders, as `bpftool gen skeleton -L -S` produces
 * it: detached (no encapsulated content), SHA-256, no signed attributes (the signature covers
 * the content's digest directly), no certificates, and the signer named by the subject key
 * identifier of its certificate (SignerInfo and SignedData version 3).
 *
 * Encoded with `@peculiar/asn1-cms` (DER, synchronous, no `node:*`).
 *
 * @module
 */

import {
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  id_data,
  id_signedData,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Certificate,
  id_ce_subjectKeyIdentifier,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { FormatError } from '../util/errors.js';
import type { SignatureAlgorithm, Signer } from './signer.js';

/** OID of SHA-256. */
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
/** OID of rsaEncryption (what OpenSSL's CMS writes as the PKCS#1 v1.5 signature algorithm). */
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** OID of ecdsa-with-SHA256. */
export const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';

const NULL_PARAMS = Uint8Array.of(0x05, 0x00).buffer;

function toBuf(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

function signatureAlgorithm(alg: SignatureAlgorithm): AlgorithmIdentifier {
  return alg === 'rsa-pkcs1-sha256'
    ? new AlgorithmIdentifier({ algorithm: OID_RSA_ENCRYPTION, parameters: NULL_PARAMS })
    : new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 });
}

/**
 * Signs `content` (the loader's instructions) and returns the DER CMS ContentInfo. The bytes
 * depend only on the content and the key (deterministic signers give deterministic CMS).
 */
export function signCms(content: Uint8Array, signer: Signer): Uint8Array {
  if (signer.keyId.length === 0) throw new RangeError('signer has an empty subject key identifier');
  const digestAlg = new AlgorithmIdentifier({ algorithm: OID_SHA256 });
  const si = new SignerInfo({
    version: 3,
    sid: new SignerIdentifier({ subjectKeyIdentifier: new SubjectKeyIdentifier(toBuf(signer.keyId)) }),
    digestAlgorithm: digestAlg,
    signatureAlgorithm: signatureAlgorithm(signer.algorithm),
    signature: new OctetString(toBuf(signer.sign(content))),
  });
  const sd = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: OID_SHA256 })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    signerInfos: new SignerInfos([si]),
  });
  const ci = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(sd) });
  return new Uint8Array(AsnConvert.serialize(ci));
}

/**
 * The subject key identifier of a DER X.509 certificate (its subjectKeyIdentifier extension).
 * FormatError when the bytes are not a certificate or the extension is missing (bpftool's
 * signer needs it too: the CMS names the signer by it).
 */
export function certificateKeyId(der: Uint8Array, where = 'certificate'): Uint8Array {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(toBuf(der), Certificate);
  } catch (e) {
    throw new FormatError(where, `not a DER X.509 certificate (${(e as Error).message})`, 0);
  }
  for (const ext of cert.tbsCertificate.extensions ?? []) {
    if (ext.extnID !== id_ce_subjectKeyIdentifier) continue;
    try {
      const ski = AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier);
      return new Uint8Array(ski.buffer);
    } catch (e) {
      throw new FormatError(`${where}/extensions/subjectKeyIdentifier`, (e as Error).message);
    }
  }
  throw new FormatError(
    `${where}/extensions`,
    'no subjectKeyIdentifier extension (needed to name the signer)',
  );
}

/**
 * Decodes PEM (first block of `label`, e.g. `CERTIFICATE`) or returns DER unchanged when the
 * bytes are not PEM text. FormatError for PEM without such a block.
 */
export function pemOrDer(bytes: Uint8Array, label: string, where = 'input'): Uint8Array {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 64 * 1024)));
  if (!head.includes('-----BEGIN')) return bytes;
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`);
  const m = re.exec(head);
  if (m === null) throw new FormatError(where, `no PEM block '${label}'`);
  const b64 = (m[1] as string).replace(/\s+/g, '');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
