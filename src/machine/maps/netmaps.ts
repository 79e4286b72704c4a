/**
 * Map types whose values name kernel objects the machine does not have as such: perf events
 * (`PERF_EVENT_ARRAY`), cgroups (`CGROUP_ARRAY`), stack traces (`STACK_TRACE`), network devices
 * (`DEVMAP`, `DEVMAP_HASH`), CPUs with XDP queues (`CPUMAP`), AF_XDP sockets (`XSKMAP`) and
 * sockets (`SOCKMAP`, `SOCKHASH`, `REUSEPORT_SOCKARRAY`).
 *
 * Each is created with the kernel's attribute rules (create.ts) and answers the syscall element
 * commands with the kernel's errnos (Linux 6.18, checked by test/machine/map-types.test.ts):
 *
 * - perf event and cgroup arrays: every fd is refused (EBADF: no fd of the machine is a perf event
 *   or a cgroup directory), so slots stay empty; lookups are ENOTSUPP, deletes ENOENT;
 * - stack traces: no program can record one (no bpf_get_stackid), so the map stays empty; updates
 *   are EINVAL as in the kernel;
 * - devmap / devmap_hash: the machine has one network device, the loopback (ifindex 1, also the
 *   ifindex its test runs report); entries naming it are stored and read back (`{ ifindex,
 *   prog_id }`), other ifindexes are EINVAL (no such device); a program fd in an 8-byte value is
 *   refused (EINVAL);
 * - cpumap: an entry per possible CPU with its queue size (0 clears the entry, > 16384 is
 *   EOVERFLOW, a CPU past the machine's is ENODEV); a program fd in an 8-byte value is refused
 *   (EINVAL);
 * - xskmap, sockmap, sockhash, reuseport_sockarray: the machine has no sockets: an fd that is open
 *   gives ENOTSOCK, one that is not EBADF, in the kernel's order of checks; the maps stay empty.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapType } from '../../uapi/constants.js';
import { FdArrayMap } from './fdarray.js';
import { BpfMap, type Bytes, type FdResolver, keyU32, u32Key } from './map.js';

/** The machine's only network device: the loopback. */
export const MACHINE_LOOPBACK_IFINDEX = 1;
/** Largest cpumap queue size the kernel accepts. */
const CPUMAP_MAX_QSIZE = 16384;

/** A value's fd (u32, or u64 for 8-byte values: above S32_MAX is EINVAL). */
function valueFd(value: Uint8Array, valueSize: number): number {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (valueSize === 8) {
    const v = dv.getBigUint64(0, true);
    return v > 0x7fffffffn ? -1 : Number(v);
  }
  return dv.getInt32(0, true);
}

/** What the kernel says for a socket fd the machine cannot have: EBADF when not open, else ENOTSOCK. */
function notASocket(fd: number, resolve: FdResolver): number {
  return resolve(fd) === -Errno.EBADF ? -Errno.EBADF : -Errno.ENOTSOCK;
}

/**
 * `PERF_EVENT_ARRAY` and `CGROUP_ARRAY`: fd arrays whose objects the machine has none of. Their
 * slots stay empty; `bpf_perf_event_output` finds no event (ENOENT).
 */
export class EmptyFdArrayMap extends FdArrayMap {
  override sysLookup(): Bytes {
    return -Errno.ENOTSUPP;
  }

  override sysUpdate(key: Uint8Array, _value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    if (keyU32(key) >= this.maxEntries) return -Errno.E2BIG;
    return -Errno.EBADF;
  }

  /** The perf event in slot `index`: none (the machine has no perf events). */
  perfEvent(_index: number): object | undefined {
    return undefined;
  }
}

/**
 * The other object maps: devmap, devmap_hash and cpumap keep the entries the machine can back
 * (see the module comment), the socket maps and stack traces stay empty.
 */
export class ObjectMap extends BpfMap {
  /** Stored values (devmap, devmap_hash, cpumap), by key bytes as a string. */
  private readonly entries = new Map<string, { key: Uint8Array; value: Uint8Array }>();

  private get hashed(): boolean {
    return this.type === MapType.DEVMAP_HASH || this.type === MapType.SOCKHASH;
  }

  private keyId(key: Uint8Array): string {
    return Array.from(key.subarray(0, this.keySize)).join(',');
  }

  override memoryBytes(): number {
    return this.maxEntries * 8 + this.entries.size * (this.keySize + this.valueSize);
  }

  override sysLookup(key: Uint8Array): Bytes {
    switch (this.type) {
      case MapType.XSKMAP:
        return -Errno.EOPNOTSUPP;
      case MapType.SOCKMAP:
      case MapType.SOCKHASH:
      case MapType.REUSEPORT_SOCKARRAY:
        // The kernel copies a socket cookie (u64) out: a 4-byte value cannot hold it.
        return this.valueSize !== 8 ? -Errno.ENOSPC : -Errno.ENOENT;
      default: {
        const e = this.entries.get(this.keyId(key));
        return e === undefined ? -Errno.ENOENT : e.value.slice();
      }
    }
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number, resolve: FdResolver): number {
    const i = keyU32(key);
    switch (this.type) {
      case MapType.STACK_TRACE:
        return -Errno.EINVAL;
      case MapType.SOCKMAP:
      case MapType.SOCKHASH: {
        const fd = valueFd(value, this.valueSize);
        if (fd < 0) return -Errno.EINVAL;
        return notASocket(fd, resolve);
      }
      case MapType.XSKMAP:
      case MapType.REUSEPORT_SOCKARRAY: {
        if (flags > 2) return -Errno.EINVAL;
        if (i >= this.maxEntries) return -Errno.E2BIG;
        const fd = valueFd(value, this.valueSize);
        if (fd < 0) return -Errno.EINVAL;
        return notASocket(fd, resolve);
      }
      case MapType.DEVMAP:
      case MapType.CPUMAP: {
        if (flags > 2) return -Errno.EINVAL;
        if (i >= this.maxEntries) return -Errno.E2BIG;
        if (flags === 1) return -Errno.EEXIST;
        const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
        const first = dv.getUint32(0, true);
        const progFd = this.valueSize === 8 ? dv.getInt32(4, true) : 0;
        if (this.type === MapType.CPUMAP) {
          if (first > CPUMAP_MAX_QSIZE) return -Errno.EOVERFLOW;
          if (i >= this.numCpus) return -Errno.ENODEV;
          if (first === 0) {
            this.entries.delete(this.keyId(key));
            return 0;
          }
        } else if (first === 0) {
          if (progFd > 0) return -Errno.EINVAL;
          this.entries.delete(this.keyId(key));
          return 0;
        } else if (first !== MACHINE_LOOPBACK_IFINDEX) return -Errno.EINVAL;
        // A program to run on the entry would need an XDP program of the map's attach type.
        if (progFd > 0) return -Errno.EINVAL;
        this.store(key, first);
        return 0;
      }
      case MapType.DEVMAP_HASH: {
        const ifindex = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0, true);
        if (flags > 2 || ifindex === 0) return -Errno.EINVAL;
        const old = this.entries.get(this.keyId(key));
        if (old !== undefined && flags === 1) return -Errno.EEXIST;
        if (ifindex !== MACHINE_LOOPBACK_IFINDEX) return -Errno.EINVAL;
        if (this.valueSize === 8 && new DataView(value.buffer, value.byteOffset).getInt32(4, true) > 0)
          return -Errno.EINVAL;
        if (old === undefined && this.entries.size >= this.maxEntries) return -Errno.E2BIG;
        this.store(key, ifindex);
        return 0;
      }
      default:
        return -Errno.EINVAL;
    }
  }

  private store(key: Uint8Array, first: number): void {
    const v = new Uint8Array(this.valueSize);
    new DataView(v.buffer).setUint32(0, first, true);
    this.entries.set(this.keyId(key), { key: key.slice(0, this.keySize), value: v });
  }

  override sysDelete(key: Uint8Array): number {
    const i = keyU32(key);
    switch (this.type) {
      case MapType.STACK_TRACE:
        // Buckets: max_entries rounded up to a power of two.
        return i >= 2 ** Math.ceil(Math.log2(this.maxEntries)) ? -Errno.E2BIG : -Errno.ENOENT;
      case MapType.SOCKMAP:
        return -Errno.EINVAL;
      case MapType.REUSEPORT_SOCKARRAY:
        return i >= this.maxEntries ? -Errno.E2BIG : -Errno.ENOENT;
      case MapType.SOCKHASH:
        return -Errno.ENOENT;
      case MapType.DEVMAP_HASH:
        return this.entries.delete(this.keyId(key)) ? 0 : -Errno.ENOENT;
      default:
        // devmap, cpumap, xskmap: any index below max_entries, set or not
        if (i >= this.maxEntries) return -Errno.EINVAL;
        this.entries.delete(this.keyId(key));
        return 0;
    }
  }

  override sysGetNextKey(key: Uint8Array | undefined): Bytes {
    if (this.type === MapType.STACK_TRACE) return -Errno.ENOENT;
    if (this.hashed) {
      const all = [...this.entries.values()];
      if (all.length === 0) return -Errno.ENOENT;
      const at = key === undefined ? -1 : all.findIndex((e) => this.keyId(e.key) === this.keyId(key));
      if (at < 0) return all[0]!.key.slice();
      const next = all[at + 1];
      return next === undefined ? -Errno.ENOENT : next.key.slice();
    }
    const i = key === undefined ? 0xffffffff : keyU32(key);
    if (i >= this.maxEntries) return u32Key(0);
    if (i === this.maxEntries - 1) return -Errno.ENOENT;
    return u32Key(i + 1);
  }

  override free(): void {
    this.entries.clear();
  }

  // Programs reach these maps only through helpers the machine does not offer (redirect_map,
  // sk_redirect_map, get_stackid, ...): the verifier refuses the other helpers for them.
  override lookup(): undefined {
    return undefined;
  }

  override update(): number {
    return -Errno.EINVAL;
  }

  override delete(): number {
    return -Errno.EINVAL;
  }
}
