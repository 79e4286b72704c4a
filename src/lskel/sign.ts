/**
 * Signing a generated light skeleton: the CMS covers the loader's instructions exactly as they
 * are given to BPF_PROG_LOAD (Linux 6.18 scope; inline scheme), followed by the blob under the
 * load-time scheme.
 *
 * @module
 */

import { signCms } from './cms.js';
import { type LightSkeleton, signedContent } from './gen.js';
import type { Signer } from './signer.js';

/** Returns a copy of `lskel` with its CMS signature. TypeError for an unsigned skeleton. */
export function signLightSkeleton(lskel: LightSkeleton, signer: Signer): LightSkeleton {
  if (!lskel.signed) throw new TypeError('generate the skeleton with signed: true before signing it');
  return { ...lskel, signature: signCms(signedContent(lskel), signer) };
}
