/**
 * Small pure cryptographic building blocks shared by the signer and the machine.
 *
 * @module
 */

export * from './rsa.js';
