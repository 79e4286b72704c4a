/**
 * The kernel backend: bpf(2), add_key(2)/keyctl(2) and socket filters through FFI (koffi), and
 * cached feature probes. The only FFI in tsbpf; koffi is loaded on first use, not on import.
 *
 * @module
 */

export * from './backend.js';
export { ffiFailure } from './ffi.js';
export * from './keyrings.js';
export * from './probes.js';
export * from './socket.js';
