/**
 * {@link KernelKeyrings}: the {@link Keyrings} of the running kernel, through `add_key(2)` and
 * `keyctl(2)`.
 *
 * @module
 */

import type { Keyrings } from '../backend.js';
import { BpfError, Errno } from '../errors.js';
import { type Ffi, ffi } from './ffi.js';

/** `keyctl(2)` operations used here. */
export const KeyctlOp = {
  GET_KEYRING_ID: 0,
  JOIN_SESSION_KEYRING: 1,
  DESCRIBE: 6,
  LINK: 8,
  UNLINK: 9,
  SEARCH: 10,
  INVALIDATE: 21,
} as const;

const OP_NAMES = new Map<number, string>(
  Object.entries(KeyctlOp).map(([k, v]) => [v, `keyctl(KEYCTL_${k})`]),
);

function cstr(s: string): Uint8Array {
  const enc = new TextEncoder().encode(s);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

/** The kernel's keyrings. */
export class KernelKeyrings implements Keyrings {
  readonly #f: Ffi;

  /** Loads the FFI; throws (with the reason) where the syscalls cannot be called. */
  constructor() {
    this.#f = ffi();
  }

  #keyctl(op: number, a2: number, a3 = 0, a4 = 0, a5 = 0): number {
    for (let attempt = 0; ; attempt++) {
      const r = this.#f.keyctl(op, a2, a3, a4, a5);
      if (r >= 0) return r;
      const e = this.#f.errno();
      if (e === Errno.EINTR && attempt < 5) continue;
      throw new BpfError(OP_NAMES.get(op) ?? `keyctl(${op})`, e);
    }
  }

  addKey(type: string, description: string, payload: Uint8Array | undefined, keyring: number): number {
    const r = this.#f.addKey(type, description, payload ?? null, payload?.length ?? 0, keyring);
    if (r < 0) throw new BpfError('add_key', this.#f.errno(), `${type} '${description}'`);
    return r;
  }

  addCertificate(der: Uint8Array, keyring: number, description = ''): number {
    return this.addKey('asymmetric', description, der, keyring);
  }

  createKeyring(description: string, parent: number): number {
    return this.addKey('keyring', description, undefined, parent);
  }

  joinSessionKeyring(name?: string): number {
    if (name === undefined) return this.#keyctl(KeyctlOp.JOIN_SESSION_KEYRING, 0);
    const n = cstr(name);
    const r = this.#keyctl(KeyctlOp.JOIN_SESSION_KEYRING, this.#f.address(n));
    void n.length;
    return r;
  }

  getKeyringId(special: number, create = false): number {
    return this.#keyctl(KeyctlOp.GET_KEYRING_ID, special, create ? 1 : 0);
  }

  search(keyring: number, type: string, description: string): number | undefined {
    const t = cstr(type);
    const d = cstr(description);
    const r = this.#f.keyctl(KeyctlOp.SEARCH, keyring, this.#f.address(t), this.#f.address(d), 0);
    if (r >= 0) return r;
    const e = this.#f.errno();
    void t.length;
    void d.length;
    if (e === Errno.ENOKEY) return undefined;
    throw new BpfError('keyctl(KEYCTL_SEARCH)', e);
  }

  describe(key: number): string {
    let buf = new Uint8Array(256);
    for (;;) {
      const n = this.#keyctl(KeyctlOp.DESCRIBE, key, this.#f.address(buf), buf.length);
      if (n <= buf.length) {
        const end = buf.indexOf(0);
        return new TextDecoder().decode(buf.subarray(0, end < 0 ? n : end));
      }
      buf = new Uint8Array(n);
    }
  }

  unlink(key: number, keyring: number): void {
    this.#keyctl(KeyctlOp.UNLINK, key, keyring);
  }

  /** `KEYCTL_INVALIDATE`: removes the key everywhere. */
  invalidate(key: number): void {
    this.#keyctl(KeyctlOp.INVALIDATE, key);
  }
}
