/**
 * Map constants an object file refers to: `enum bpf_map_type` (Linux 6.18), the map flags that
 * global-data maps get, and the pinning values of BTF-defined maps.
 *
 * @module
 */

/** `enum bpf_map_type` (Linux 6.18). */
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
  ARENA: 33,
} as const;

const MAP_TYPE_NAMES: readonly string[] = Object.keys(MapType);

/** The name of a map type number (`'HASH'`), or `'UNKNOWN(n)'`. */
export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES[type] ?? `UNKNOWN(${type})`;
}

/** True for the map types whose values are other maps. */
export function isMapInMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** Map flags the object model sets or reads. */
export const MapFlag = {
  NO_PREALLOC: 0x1,
  RDONLY_PROG: 0x80,
  MMAPABLE: 0x400,
} as const;

/** `pinning` values of BTF-defined maps (`LIBBPF_PIN_*`). */
export const Pinning = { NONE: 0, BY_NAME: 1 } as const;
