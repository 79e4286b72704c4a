/**
 * The machine's keyrings: a small model of the kernel's key service as signed BPF loads use it.
 * Keys have serials; keyrings hold keys and other keyrings; `asymmetric` keys are X.509
 * certificates (parsed on add, as the kernel's x509 parser does: a malformed certificate is
 * EBADMSG). The special ids (`KEY_SPEC_*`: thread, process, session, user, user-session) name
 * per-machine keyrings created on first use; the system keyrings (builtin, secondary, platform)
 * are filled by the machine's owner ({@link MachineKeyrings.addSystemCertificate}).
 *
 * BPF_PROG_LOAD's `keyring_id` is resolved as Linux 6.18 does: 0 is the builtin trusted
 * keyring, 1 the secondary one (which includes builtin), 2 the platform keyring; anything else
 * is a keyring serial or special id of the caller.
 *
 * @module
 */

import type { Keyrings } from '../../sys/backend.js';
import { BpfError, Errno } from '../../sys/errors.js';
import { KeySpec } from '../../uapi/constants.js';
import { FormatError } from '../../util/errors.js';
import { type ParsedCertificate, parseCertificate } from './x509.js';

/** Which keyring vouched for a signed program (recorded on the program for policy). */
export type KeyringType = 'builtin' | 'secondary' | 'platform' | 'session' | 'user' | 'keyring';

interface Key {
  serial: number;
  type: string;
  description: string;
  payload?: Uint8Array;
  cert?: ParsedCertificate;
  /** For keyrings: linked keys. */
  links?: Set<number>;
  /** For keyrings: what kind (special role), for verdicts. */
  role?: KeyringType;
}

/** System keyring ids accepted by BPF_PROG_LOAD's `keyring_id`. */
export const SystemKeyring = {
  /** `.builtin_trusted_keys` (keyring_id 0). */
  BUILTIN: 0,
  /** `.secondary_trusted_keys` (keyring_id 1; also trusts builtin). */
  SECONDARY: 1,
  /** `.platform` (keyring_id 2). */
  PLATFORM: 2,
} as const;

/** The keyrings model. */
export class MachineKeyrings implements Keyrings {
  readonly #keys = new Map<number, Key>();
  #next = 0x1a2b0001;
  readonly #special = new Map<number, number>();
  readonly #system: { builtin: number; secondary: number; platform: number };

  constructor() {
    const builtin = this.#newKeyring('.builtin_trusted_keys', 'builtin');
    const secondary = this.#newKeyring('.secondary_trusted_keys', 'secondary');
    const platform = this.#newKeyring('.platform', 'platform');
    this.#keys.get(secondary)!.links!.add(builtin);
    this.#system = { builtin, secondary, platform };
  }

  #newKeyring(description: string, role: KeyringType = 'keyring'): number {
    const serial = this.#next++;
    this.#keys.set(serial, { serial, type: 'keyring', description, links: new Set(), role });
    return serial;
  }

  #resolve(id: number, create: boolean, cmd: string): Key {
    let serial = id;
    if (id < 0) {
      const s = this.#special.get(id);
      if (s !== undefined) serial = s;
      else {
        if (
          !create &&
          id !== KeySpec.SESSION_KEYRING &&
          id !== KeySpec.USER_KEYRING &&
          id !== KeySpec.USER_SESSION_KEYRING
        )
          throw new BpfError(cmd, Errno.ENOKEY, `no keyring for special id ${id}`);
        if (id < KeySpec.GROUP_KEYRING) throw new BpfError(cmd, Errno.EINVAL, `special id ${id}`);
        const names: Record<number, [string, KeyringType]> = {
          [KeySpec.THREAD_KEYRING]: ['_tid', 'keyring'],
          [KeySpec.PROCESS_KEYRING]: ['_pid', 'keyring'],
          [KeySpec.SESSION_KEYRING]: ['_ses', 'session'],
          [KeySpec.USER_KEYRING]: ['_uid.0', 'user'],
          [KeySpec.USER_SESSION_KEYRING]: ['_uid_ses.0', 'session'],
        };
        const n = names[id];
        if (n === undefined) throw new BpfError(cmd, Errno.EINVAL, `special id ${id}`);
        serial = this.#newKeyring(n[0], n[1]);
        this.#special.set(id, serial);
      }
    }
    const k = this.#keys.get(serial);
    if (k === undefined) throw new BpfError(cmd, Errno.ENOKEY, `key ${id}`);
    return k;
  }

  #keyring(id: number, create: boolean, cmd: string): Key {
    const k = this.#resolve(id, create, cmd);
    if (k.links === undefined) throw new BpfError(cmd, Errno.ENOTDIR, `key ${id} is not a keyring`);
    return k;
  }

  addKey(type: string, description: string, payload: Uint8Array | undefined, keyring: number): number {
    const C = 'add_key';
    const ring = this.#keyring(keyring, true, C);
    if (type === 'keyring') {
      const s = this.#newKeyring(description);
      ring.links!.add(s);
      return s;
    }
    if (payload === undefined) throw new BpfError(C, Errno.EINVAL, `${type} key needs a payload`);
    let cert: ParsedCertificate | undefined;
    let desc = description;
    if (type === 'asymmetric') {
      try {
        cert = parseCertificate(payload);
      } catch (e) {
        if (e instanceof FormatError) throw new BpfError(C, Errno.EBADMSG, e.message);
        throw e;
      }
      if (desc === '') desc = cert.description;
    } else if (type !== 'user') {
      throw new BpfError(C, Errno.ENODEV, `key type '${type}'`);
    }
    for (const s of ring.links!) {
      const old = this.#keys.get(s)!;
      if (old.type === type && old.description === desc) {
        old.payload = payload.slice();
        old.cert = cert;
        return s;
      }
    }
    const serial = this.#next++;
    this.#keys.set(serial, { serial, type, description: desc, payload: payload.slice(), cert });
    ring.links!.add(serial);
    return serial;
  }

  addCertificate(der: Uint8Array, keyring: number, description?: string): number {
    return this.addKey('asymmetric', description ?? '', der, keyring);
  }

  /** Puts a certificate into a system keyring (what the kernel's build or firmware would do). */
  addSystemCertificate(which: 'builtin' | 'secondary' | 'platform', der: Uint8Array): number {
    return this.addCertificate(der, this.#system[which]);
  }

  createKeyring(description: string, parent: number): number {
    return this.addKey('keyring', description, undefined, parent);
  }

  joinSessionKeyring(name?: string): number {
    if (name !== undefined) {
      for (const k of this.#keys.values()) {
        if (k.type === 'keyring' && k.role === 'session' && k.description === name) {
          this.#special.set(KeySpec.SESSION_KEYRING, k.serial);
          return k.serial;
        }
      }
    }
    const s = this.#newKeyring(name ?? '_ses', 'session');
    this.#special.set(KeySpec.SESSION_KEYRING, s);
    return s;
  }

  getKeyringId(special: number, create = false): number {
    return this.#resolve(special, create, 'keyctl(KEYCTL_GET_KEYRING_ID)').serial;
  }

  #walk(ring: Key, seen: Set<number>, out: Key[]): void {
    if (seen.has(ring.serial)) return;
    seen.add(ring.serial);
    for (const s of ring.links ?? []) {
      const k = this.#keys.get(s);
      if (k === undefined) continue;
      if (k.links !== undefined) this.#walk(k, seen, out);
      else out.push(k);
    }
  }

  search(keyring: number, type: string, description: string): number | undefined {
    const ring = this.#keyring(keyring, false, 'keyctl(KEYCTL_SEARCH)');
    const all: Key[] = [];
    this.#walk(ring, new Set(), all);
    return all.find((k) => k.type === type && k.description === description)?.serial;
  }

  describe(key: number): string {
    const k = this.#resolve(key, false, 'keyctl(KEYCTL_DESCRIBE)');
    return `${k.type};0;0;3f010000;${k.description}`;
  }

  unlink(key: number, keyring: number): void {
    const ring = this.#keyring(keyring, false, 'keyctl(KEYCTL_UNLINK)');
    const k = this.#resolve(key, false, 'keyctl(KEYCTL_UNLINK)');
    if (!ring.links!.delete(k.serial)) throw new BpfError('keyctl(KEYCTL_UNLINK)', Errno.ENOENT);
  }

  /**
   * The certificates BPF_PROG_LOAD's `keyring_id` trusts, with the keyring's type; an errno
   * (EINVAL) when the id names no keyring, as the kernel refuses an unknown keyring.
   */
  trustedFor(keyringId: number): { type: KeyringType; certificates: ParsedCertificate[] } | number {
    let ring: Key;
    if (keyringId === SystemKeyring.BUILTIN) ring = this.#keys.get(this.#system.builtin)!;
    else if (keyringId === SystemKeyring.SECONDARY) ring = this.#keys.get(this.#system.secondary)!;
    else if (keyringId === SystemKeyring.PLATFORM) ring = this.#keys.get(this.#system.platform)!;
    else {
      // A process always has session and user keyrings (created on first use, as the kernel's
      // lookup_user_key does for KEY_SPEC_SESSION/USER_KEYRING).
      let serial: number | undefined = keyringId;
      if (keyringId < 0) {
        if (keyringId < KeySpec.USER_SESSION_KEYRING) serial = this.#special.get(keyringId);
        else serial = this.#resolve(keyringId, true, 'BPF_PROG_LOAD').serial;
      }
      const k = serial === undefined ? undefined : this.#keys.get(serial);
      if (k === undefined || k.links === undefined) return Errno.EINVAL;
      ring = k;
    }
    const keys: Key[] = [];
    this.#walk(ring, new Set(), keys);
    return {
      type: ring.role ?? 'keyring',
      certificates: keys.filter((k) => k.cert !== undefined).map((k) => k.cert as ParsedCertificate),
    };
  }
}
