/**
 * X.509 certificates as the machine's keyrings hold them: the subject, the subject key
 * identifier (how a CMS signer is found) and the public key (RSA modulus/exponent or an EC
 * point on P-256/P-384). Pure: `@peculiar/asn1-x509` for the certificate, a few lines of DER
 * for the RSA public key.
 *
 * @module
 */

import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { FormatError } from '../../util/errors.js';

/** A public key the machine can verify with. */
export type PublicKey =
  | { kind: 'rsa'; n: bigint; e: bigint; bits: number }
  | { kind: 'ec'; curve: 'P-256' | 'P-384'; point: Uint8Array };

/** What the machine keeps of a certificate. */
export interface ParsedCertificate {
  /** The DER bytes. */
  der: Uint8Array;
  /** Subject common name (or the whole subject as `OID=value` pairs when there is no CN). */
  subject: string;
  /** Subject key identifier (empty when the certificate has none: it can never sign a loader). */
  keyId: Uint8Array;
  /** Public key. */
  publicKey: PublicKey;
  /** Description the kernel gives such a key: `<subject>: <keyid hex>`. */
  description: string;
}

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_P384 = '1.3.132.0.34';
const OID_CN = '2.5.4.3';

/** Reads one DER TLV at `p`: tag, content start and end. FormatError when it overruns. */
export function derTlv(b: Uint8Array, p: number, where: string): { tag: number; start: number; end: number } {
  if (p + 2 > b.length) throw new FormatError(where, 'truncated DER', p);
  const tag = b[p] as number;
  let len = b[p + 1] as number;
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || q + n > b.length) throw new FormatError(where, 'bad DER length', p + 1);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[q + i] as number);
    q += n;
  }
  if (q + len > b.length) throw new FormatError(where, 'DER value overruns its container', p);
  return { tag, start: q, end: q + len };
}

function derUint(b: Uint8Array, start: number, end: number): bigint {
  let v = 0n;
  for (let i = start; i < end; i++) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

function parseRsaPublicKey(b: Uint8Array, where: string): PublicKey {
  const seq = derTlv(b, 0, where);
  if (seq.tag !== 0x30) throw new FormatError(where, 'RSAPublicKey is not a SEQUENCE', 0);
  const n = derTlv(b, seq.start, `${where}/modulus`);
  const e = derTlv(b, n.end, `${where}/publicExponent`);
  if (n.tag !== 0x02 || e.tag !== 0x02) throw new FormatError(where, 'RSAPublicKey fields are not INTEGERs');
  const nv = derUint(b, n.start, n.end);
  return { kind: 'rsa', n: nv, e: derUint(b, e.start, e.end), bits: nv.toString(2).length };
}

/** Parses a DER certificate. FormatError naming the place when it is malformed or its key unsupported. */
export function parseCertificate(der: Uint8Array, where = 'certificate'): ParsedCertificate {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der.slice().buffer, Certificate);
  } catch (e) {
    throw new FormatError(where, `not a DER X.509 certificate (${(e as Error).message})`, 0);
  }
  const tbs = cert.tbsCertificate;
  const spki = tbs.subjectPublicKeyInfo;
  const keyBits = new Uint8Array(spki.subjectPublicKey);
  let publicKey: PublicKey;
  if (spki.algorithm.algorithm === OID_RSA) {
    publicKey = parseRsaPublicKey(keyBits, `${where}/subjectPublicKeyInfo`);
  } else if (spki.algorithm.algorithm === OID_EC) {
    const params = spki.algorithm.parameters ? new Uint8Array(spki.algorithm.parameters) : new Uint8Array(0);
    const oid =
      params.length > 2 && params[0] === 0x06 ? decodeOid(params.subarray(2, 2 + (params[1] as number))) : '';
    if (oid !== OID_P256 && oid !== OID_P384)
      throw new FormatError(`${where}/subjectPublicKeyInfo`, `unsupported EC curve ${oid || '(none)'}`);
    publicKey = { kind: 'ec', curve: oid === OID_P256 ? 'P-256' : 'P-384', point: keyBits };
  } else {
    throw new FormatError(
      `${where}/subjectPublicKeyInfo`,
      `unsupported key algorithm ${spki.algorithm.algorithm}`,
    );
  }
  let keyId = new Uint8Array(0);
  for (const ext of tbs.extensions ?? []) {
    if (ext.extnID === id_ce_subjectKeyIdentifier) {
      try {
        keyId = new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer);
      } catch (e) {
        throw new FormatError(`${where}/extensions/subjectKeyIdentifier`, (e as Error).message);
      }
    }
  }
  const parts: string[] = [];
  let cn: string | undefined;
  for (const rdn of tbs.subject) {
    for (const atv of rdn) {
      const v = atv.value.toString();
      if (atv.type === OID_CN) cn = v;
      parts.push(`${atv.type}=${v}`);
    }
  }
  const subject = cn ?? parts.join(', ');
  let hex = '';
  for (const x of keyId) hex += x.toString(16).padStart(2, '0');
  return { der: der.slice(), subject, keyId, publicKey, description: `${subject}: ${hex}` };
}

/** Decodes an OBJECT IDENTIFIER's content bytes to dotted text. */
export function decodeOid(b: Uint8Array): string {
  if (b.length === 0) return '';
  const first = b[0] as number;
  const out = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + ((b[i] as number) & 0x7f);
    if (!((b[i] as number) & 0x80)) {
      out.push(v);
      v = 0;
    }
  }
  return out.join('.');
}
