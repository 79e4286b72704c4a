/**
 * Signed BPF loads on the machine: X.509 certificates, keyrings, CMS verification, and the
 * verdict recorded on each program for policy.
 *
 * @module
 */

export * from './cms.js';
export * from './keyrings.js';
export * from './x509.js';

import type { KeyringType } from './keyrings.js';

/**
 * What the machine established about a program's signature, kept on the program for policy:
 * `UNSIGNED` (no signature given), `OK` (the loader's signature verified against `keyring`), or
 * `METADATA_VERIFIED` (in addition, the loader's metadata map was checked against the signed
 * hash: by the kfunc scheme at run time, or by the load-time scheme at load).
 */
export type SignatureVerdict =
  | { state: 'UNSIGNED' }
  | {
      state: 'OK' | 'METADATA_VERIFIED';
      /** Type of the keyring whose certificate vouched for the program. */
      keyring: KeyringType;
      /** The signer certificate's subject. */
      signer: string;
      /** Hex subject key identifier of the signer. */
      keyId: string;
    };
export * from './kfunc.js';
