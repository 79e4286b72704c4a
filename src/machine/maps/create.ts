/**
 * `BPF_MAP_CREATE` for the machine: the kernel's attribute checks, in the kernel's order (generic
 * checks, the type's own checks, then privileges, then allocation), and construction.
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { MapFlag, MapType } from '../../uapi/constants.js';
import { ArrayMap } from './array.js';
import { BloomMap, bloomBits } from './bloom.js';
import { FdArrayMap } from './fdarray.js';
import { HashMap, hashBytesFor, roundupPow2 } from './hash.js';
import { LPM_KEY_HEADER, LpmTrieMap } from './lpm.js';
import { type BpfMap, type MapDef, round8 } from './map.js';
import { EmptyFdArrayMap, ObjectMap } from './netmaps.js';
import { QueueStackMap } from './queue.js';
import { RingbufMap } from './ringbuf.js';

/** The attributes and context of one map creation. */
export interface CreateRequest {
  /** `map_type`. */
  mapType: number;
  /** `key_size`. */
  keySize: number;
  /** `value_size`. */
  valueSize: number;
  /** `max_entries`. */
  maxEntries: number;
  /** `map_flags`. */
  mapFlags: number;
  /** `map_extra`. */
  mapExtra: bigint;
  /** Number of possible CPUs. */
  numCpus: number;
  /** Hash seed for hash maps and bloom filters (ignored with BPF_F_ZERO_SEED). */
  seed: number;
  /** The caller has CAP_BPF (or CAP_SYS_ADMIN). */
  capBpf: boolean;
  /** The caller has CAP_SYS_ADMIN. */
  capSysAdmin: boolean;
  /** The caller has CAP_NET_ADMIN (default: as CAP_SYS_ADMIN, which implies it for bpf(2)). */
  capNetAdmin?: boolean;
  /** `kernel.unprivileged_bpf_disabled` is non-zero. */
  unprivilegedDisabled: boolean;
  /** Largest allocation the machine grants one map, in bytes (beyond it: ENOMEM). */
  memoryLimit: number;
  /** Resolves `inner_map_fd` (map-in-map types only): the template map or -errno. */
  innerMap: () => BpfMap | number;
}

/** What a successful creation returns: the map and, for map-in-map, its inner-map template. */
export interface Created {
  /** The new map (not yet registered). */
  map: BpfMap;
  /** The inner-map template of a map-in-map (the outer map holds a reference to it). */
  inner: BpfMap | undefined;
}

const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
const PCPU_MIN_UNIT_SIZE = 32 * 1024;
const HTAB_ELEM = 48;
const ACCESS_MASK = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;
const ARRAY_MASK =
  MapFlag.NUMA_NODE | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS | MapFlag.INNER_MAP;
const HTAB_MASK =
  MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | MapFlag.NUMA_NODE | ACCESS_MASK | MapFlag.ZERO_SEED;
const QUEUE_MASK = MapFlag.NUMA_NODE | ACCESS_MASK;
const BLOOM_MASK = MapFlag.NUMA_NODE | MapFlag.ZERO_SEED | ACCESS_MASK;
const RINGBUF_MASK = MapFlag.NUMA_NODE;
const LPM_MASK = MapFlag.NO_PREALLOC | MapFlag.NUMA_NODE | ACCESS_MASK;
/** devmap, xskmap, sockmap, sockhash: NUMA node and the syscall-side access flags. */
const DEV_SOCK_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY;
const STACK_MASK = MapFlag.NUMA_NODE | MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.STACK_BUILD_ID;
/** Longest LPM prefix data (bytes) and value: KMALLOC_MAX_SIZE - 256 - sizeof(struct lpm_trie_node). */
const LPM_DATA_MAX = 256;
const LPM_VALUE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_MAX - 40;
/** `sysctl kernel.perf_event_max_stack` default: frames a stack trace value may hold. */
const PERF_EVENT_MAX_STACK = 127;
/** `sizeof(struct bpf_stack_build_id)`. */
const STACK_BUILD_ID_SIZE = 32;
/** The kernel's NR_CPUS (Linux 6.18 x86-64 as checked: /sys/devices/system/cpu/kernel_max + 1). */
const NR_CPUS = 256;
/** The kernel's MAX_BPF_STACK (largest sockhash key). */
const MAX_BPF_STACK = 512;

/**
 * Types whose attributes the kernel checks before the privilege check (they have a
 * `map_alloc_check`); the others are checked after it, so an unprivileged caller gets EPERM
 * whatever their attributes.
 */
const CHECKED_BEFORE_PRIVILEGE: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.QUEUE,
  MapType.STACK,
  MapType.RINGBUF,
  MapType.BLOOM_FILTER,
  MapType.REUSEPORT_SOCKARRAY,
]);

/** Types that need CAP_NET_ADMIN rather than CAP_BPF (kernel's map_create). */
const NET_ADMIN_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.SOCKMAP,
  MapType.SOCKHASH,
  MapType.DEVMAP,
  MapType.DEVMAP_HASH,
  MapType.XSKMAP,
]);

/** Map types the machine implements. */
export const MACHINE_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.QUEUE,
  MapType.STACK,
  MapType.RINGBUF,
  MapType.BLOOM_FILTER,
  MapType.LPM_TRIE,
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.STACK_TRACE,
  MapType.USER_RINGBUF,
  MapType.DEVMAP,
  MapType.DEVMAP_HASH,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.SOCKMAP,
  MapType.SOCKHASH,
  MapType.REUSEPORT_SOCKARRAY,
]);

/** Map types an unprivileged process (no CAP_BPF) may create (kernel's map_create). */
export const UNPRIVILEGED_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.HASH_OF_MAPS,
  MapType.RINGBUF,
  MapType.USER_RINGBUF,
  MapType.CGROUP_STORAGE,
  MapType.PERCPU_CGROUP_STORAGE,
]);

const accessOk = (f: number): boolean =>
  (f & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) !== (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG);

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The type's own attribute check (the kernel's map_alloc_check and the first checks of map_alloc). */
function typeCheck(r: CreateRequest): number {
  const f = r.mapFlags;
  switch (r.mapType) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
    case MapType.PROG_ARRAY:
    case MapType.ARRAY_OF_MAPS:
    case MapType.PERF_EVENT_ARRAY:
    case MapType.CGROUP_ARRAY:
    case MapType.REUSEPORT_SOCKARRAY: {
      if (r.mapType === MapType.REUSEPORT_SOCKARRAY) {
        if (r.valueSize !== 4 && r.valueSize !== 8) return -Errno.EINVAL;
      } else if (r.mapType !== MapType.ARRAY && r.mapType !== MapType.PERCPU_ARRAY) {
        if (r.valueSize !== 4) return -Errno.EINVAL;
        if (f & (MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG)) return -Errno.EINVAL;
      }
      const percpu = r.mapType === MapType.PERCPU_ARRAY;
      if (r.maxEntries === 0 || r.keySize !== 4 || r.valueSize === 0 || f & ~ARRAY_MASK || !accessOk(f))
        return -Errno.EINVAL;
      if (percpu && f & MapFlag.NUMA_NODE) return -Errno.EINVAL;
      if (r.mapType !== MapType.ARRAY && f & (MapFlag.MMAPABLE | MapFlag.INNER_MAP)) return -Errno.EINVAL;
      if (r.mapType !== MapType.PERF_EVENT_ARRAY && f & MapFlag.PRESERVE_ELEMS) return -Errno.EINVAL;
      if (r.valueSize > 0x7fffffff) return -Errno.E2BIG;
      if (percpu && round8(r.valueSize) > PCPU_MIN_UNIT_SIZE) return -Errno.E2BIG;
      return 0;
    }
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
    case MapType.HASH_OF_MAPS: {
      if (r.mapType === MapType.HASH_OF_MAPS && r.valueSize !== 4) return -Errno.EINVAL;
      const lru = r.mapType === MapType.LRU_HASH || r.mapType === MapType.LRU_PERCPU_HASH;
      const percpu = r.mapType === MapType.PERCPU_HASH || r.mapType === MapType.LRU_PERCPU_HASH;
      const percpuLru = (f & MapFlag.NO_COMMON_LRU) !== 0;
      const prealloc = (f & MapFlag.NO_PREALLOC) === 0;
      if (f & MapFlag.ZERO_SEED && !r.capSysAdmin) return -Errno.EPERM;
      if (f & ~HTAB_MASK || !accessOk(f)) return -Errno.EINVAL;
      if (!lru && percpuLru) return -Errno.EINVAL;
      if (lru && !prealloc) return -Errno.ENOTSUPP;
      if (f & MapFlag.NUMA_NODE && (percpu || percpuLru)) return -Errno.EINVAL;
      if (r.maxEntries === 0 || r.keySize === 0 || r.valueSize === 0) return -Errno.EINVAL;
      if (r.keySize + r.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM) return -Errno.E2BIG;
      if (percpu && round8(r.valueSize) > PCPU_MIN_UNIT_SIZE) return -Errno.E2BIG;
      return 0;
    }
    case MapType.QUEUE:
    case MapType.STACK:
      if (r.maxEntries === 0 || r.keySize !== 0 || r.valueSize === 0 || f & ~QUEUE_MASK || !accessOk(f))
        return -Errno.EINVAL;
      if (r.valueSize > KMALLOC_MAX_SIZE) return -Errno.E2BIG;
      return 0;
    case MapType.BLOOM_FILTER:
      if (r.valueSize > KMALLOC_MAX_SIZE) return -Errno.E2BIG;
      if (
        r.keySize !== 0 ||
        r.valueSize === 0 ||
        r.maxEntries === 0 ||
        f & ~BLOOM_MASK ||
        !accessOk(f) ||
        (r.mapExtra & ~0xfn) !== 0n
      )
        return -Errno.EINVAL;
      return 0;
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      if (f & ~RINGBUF_MASK) return -Errno.EINVAL;
      if (r.keySize !== 0 || r.valueSize !== 0 || !isPow2(r.maxEntries) || r.maxEntries % 4096 !== 0)
        return -Errno.EINVAL;
      return 0;
    case MapType.LPM_TRIE:
      if (
        r.maxEntries === 0 ||
        !(f & MapFlag.NO_PREALLOC) ||
        f & ~LPM_MASK ||
        !accessOk(f) ||
        r.keySize < LPM_KEY_HEADER + 1 ||
        r.keySize > LPM_KEY_HEADER + LPM_DATA_MAX ||
        r.valueSize < 1 ||
        r.valueSize > LPM_VALUE_MAX
      )
        return -Errno.EINVAL;
      return 0;
    case MapType.STACK_TRACE:
      if (f & ~STACK_MASK) return -Errno.EINVAL;
      if (r.maxEntries === 0 || r.keySize !== 4 || r.valueSize < 8 || r.valueSize % 8 !== 0)
        return -Errno.EINVAL;
      if (f & MapFlag.STACK_BUILD_ID) {
        if (r.valueSize % STACK_BUILD_ID_SIZE !== 0) return -Errno.EINVAL;
      } else if (r.valueSize / 8 > PERF_EVENT_MAX_STACK) return -Errno.EINVAL;
      if (r.maxEntries > 2 ** 31) return -Errno.E2BIG;
      return 0;
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
    case MapType.SOCKMAP:
      if (
        r.maxEntries === 0 ||
        r.keySize !== 4 ||
        (r.valueSize !== 4 && r.valueSize !== 8) ||
        f & ~DEV_SOCK_MASK
      )
        return -Errno.EINVAL;
      return 0;
    case MapType.SOCKHASH:
      if (
        r.maxEntries === 0 ||
        r.keySize === 0 ||
        (r.valueSize !== 4 && r.valueSize !== 8) ||
        f & ~DEV_SOCK_MASK
      )
        return -Errno.EINVAL;
      if (r.keySize > MAX_BPF_STACK) return -Errno.E2BIG;
      return 0;
    case MapType.XSKMAP:
      if (r.maxEntries === 0 || r.keySize !== 4 || r.valueSize !== 4 || f & ~DEV_SOCK_MASK)
        return -Errno.EINVAL;
      return 0;
    case MapType.CPUMAP:
      if (
        r.maxEntries === 0 ||
        r.keySize !== 4 ||
        (r.valueSize !== 4 && r.valueSize !== 8) ||
        f & ~MapFlag.NUMA_NODE
      )
        return -Errno.EINVAL;
      if (r.maxEntries > NR_CPUS) return -Errno.E2BIG;
      return 0;
    default:
      return -Errno.EINVAL;
  }
}

/** Bytes the map of `def` needs. */
function bytesFor(def: MapDef): number {
  switch (def.type) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      return ArrayMap.bytesFor(def);
    case MapType.PROG_ARRAY:
    case MapType.ARRAY_OF_MAPS:
    case MapType.PERF_EVENT_ARRAY:
    case MapType.CGROUP_ARRAY:
    case MapType.DEVMAP:
    case MapType.CPUMAP:
    case MapType.XSKMAP:
    case MapType.SOCKMAP:
    case MapType.REUSEPORT_SOCKARRAY:
    case MapType.STACK_TRACE:
      return def.maxEntries * 8;
    case MapType.LPM_TRIE:
    case MapType.DEVMAP_HASH:
    case MapType.SOCKHASH:
      return 0;
    case MapType.QUEUE:
    case MapType.STACK:
      return (def.maxEntries + 1) * def.valueSize;
    case MapType.BLOOM_FILTER:
      return bloomBits(def) / 8;
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      return def.maxEntries;
    default:
      return hashBytesFor(def);
  }
}

/**
 * Validates a creation request the way the kernel does and builds the map. Returns the map, or
 * a negative errno.
 */
export function createMap(r: CreateRequest): Created | number {
  if (r.mapType !== MapType.BLOOM_FILTER && r.mapType !== MapType.ARENA && r.mapExtra !== 0n)
    return -Errno.EINVAL;
  if (r.mapFlags & MapFlag.RDONLY && r.mapFlags & MapFlag.WRONLY) return -Errno.EINVAL;
  if (!MACHINE_MAP_TYPES.has(r.mapType)) return -Errno.EINVAL;
  const early = CHECKED_BEFORE_PRIVILEGE.has(r.mapType);
  if (early) {
    const bad = typeCheck(r);
    if (bad < 0) return bad;
  }
  if (!r.capBpf && r.unprivilegedDisabled) return -Errno.EPERM;
  if (NET_ADMIN_MAP_TYPES.has(r.mapType)) {
    if (!(r.capNetAdmin ?? r.capSysAdmin)) return -Errno.EPERM;
  } else if (!r.capBpf && !UNPRIVILEGED_MAP_TYPES.has(r.mapType)) return -Errno.EPERM;
  if (!early) {
    const bad = typeCheck(r);
    if (bad < 0) return bad;
  }
  let maxEntries = r.maxEntries;
  const lru = r.mapType === MapType.LRU_HASH || r.mapType === MapType.LRU_PERCPU_HASH;
  if (lru && r.mapFlags & MapFlag.NO_COMMON_LRU) {
    const n = r.numCpus;
    let m = Math.ceil(maxEntries / n) * n;
    if (m > 0xffffffff) m = Math.floor(maxEntries / n) * n;
    maxEntries = m;
  }
  const isHash =
    r.mapType === MapType.HASH ||
    r.mapType === MapType.PERCPU_HASH ||
    lru ||
    r.mapType === MapType.HASH_OF_MAPS;
  // The kernel refuses more than 2^31 entries and bucket arrays over U32_MAX bytes (16-byte buckets).
  if (isHash && (maxEntries > 2 ** 31 || roundupPow2(maxEntries) > Math.floor(0xffffffff / 16)))
    return -Errno.E2BIG;
  const def: MapDef = {
    type: r.mapType,
    keySize: r.keySize,
    valueSize: r.valueSize,
    maxEntries,
    // devmaps hand programs their entries read-only: Linux adds BPF_F_RDONLY_PROG itself.
    flags:
      (r.mapFlags & ~(MapFlag.RDONLY | MapFlag.WRONLY)) |
      (r.mapType === MapType.DEVMAP || r.mapType === MapType.DEVMAP_HASH ? MapFlag.RDONLY_PROG : 0),
    mapExtra: r.mapExtra,
    numCpus: r.numCpus,
  };
  let inner: BpfMap | undefined;
  if (r.mapType === MapType.ARRAY_OF_MAPS || r.mapType === MapType.HASH_OF_MAPS) {
    const got = r.innerMap();
    if (typeof got === 'number') return got;
    if (got.type === MapType.ARRAY_OF_MAPS || got.type === MapType.HASH_OF_MAPS) return -Errno.EINVAL;
    // No map_meta_equal for prog_array; exclusive maps cannot be inner maps.
    if (got.type === MapType.PROG_ARRAY || got.exclProgHash !== undefined) return -Errno.ENOTSUPP;
    inner = got;
  }
  if (bytesFor(def) > r.memoryLimit) return -Errno.ENOMEM;
  const seed = r.mapFlags & MapFlag.ZERO_SEED ? 0 : r.seed;
  let map: BpfMap;
  switch (r.mapType) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      map = new ArrayMap(def);
      break;
    case MapType.PROG_ARRAY:
    case MapType.ARRAY_OF_MAPS:
      map = new FdArrayMap(def);
      break;
    case MapType.PERF_EVENT_ARRAY:
    case MapType.CGROUP_ARRAY:
      map = new EmptyFdArrayMap(def);
      break;
    case MapType.LPM_TRIE:
      map = new LpmTrieMap(def);
      break;
    case MapType.STACK_TRACE:
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
    case MapType.CPUMAP:
    case MapType.XSKMAP:
    case MapType.SOCKMAP:
    case MapType.SOCKHASH:
    case MapType.REUSEPORT_SOCKARRAY:
      map = new ObjectMap(def);
      break;
    case MapType.QUEUE:
    case MapType.STACK:
      map = new QueueStackMap(def);
      break;
    case MapType.BLOOM_FILTER:
      map = new BloomMap(def, seed);
      break;
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      map = new RingbufMap(def);
      break;
    default:
      map = new HashMap(def, seed);
  }
  return { map, inner };
}

/**
 * Whether `candidate` may be stored in a map-in-map whose template is `template` (the kernel's
 * map_meta_equal: same type, key size, value size and flags; array types also the same
 * max_entries unless the template has BPF_F_INNER_MAP).
 */
export function innerMapCompatible(template: BpfMap, candidate: BpfMap): boolean {
  if (
    template.type !== candidate.type ||
    template.keySize !== candidate.keySize ||
    template.valueSize !== candidate.valueSize ||
    template.flags !== candidate.flags
  )
    return false;
  const arrayLike =
    template.type === MapType.ARRAY ||
    template.type === MapType.PERCPU_ARRAY ||
    template.type === MapType.PROG_ARRAY;
  if (arrayLike && !(template.flags & MapFlag.INNER_MAP)) return template.maxEntries === candidate.maxEntries;
  return true;
}
