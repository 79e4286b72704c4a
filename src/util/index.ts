/**
 * Errors and byte helpers shared by every layer.
 *
 * @module
 */

export * from './errors.js';
export * from './hex.js';
