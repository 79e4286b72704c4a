/**
 * The backend seam ({@link Backend}, {@link Keyrings}), owned fds ({@link Fd}) and the errors of
 * the bpf(2) commands. Pure: the kernel implementation is at `tsbpf/sys/kernel`.
 *
 * @module
 */

export * from './backend.js';
export * from './errors.js';
export * from './fd.js';
