/**
 * Signed light skeletons: the generator (loader program + data blob), the CMS signer, and the
 * runner that loads a skeleton on any backend.
 *
 * @module
 */

export * from './attack.js';
export * from './cheader.js';
export * from './cms.js';
export * from './format.js';
export * from './gen.js';
export * from './run.js';
export * from './sign.js';
export * from './signer.js';
export * from './throwaway.js';
