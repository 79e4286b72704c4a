/**
 * Helper prototypes the verifier knows: argument kinds, return kind, GPL-only flag, the program
 * types that may call each helper, and which map types go with which helper. Facts from Linux
 * 6.18 (`bpf_func_proto`s and `check_map_func_compatibility`), limited to the helpers the
 * machine implements.
 *
 * @module
 */

import { MapType, ProgType } from '../../uapi/constants.js';
import { LOADABLE_PROG_TYPES } from './progtypes.js';

/** Kinds of helper arguments. */
export type ArgKind =
  | 'anything'
  | 'map' // CONST_PTR_TO_MAP
  | 'key' // PTR_TO_MAP_KEY (key_size readable bytes)
  | 'value' // PTR_TO_MAP_VALUE (value_size readable bytes)
  | 'uninit_value' // PTR_TO_MAP_VALUE | MEM_UNINIT (value_size writable bytes)
  | 'mem' // PTR_TO_MEM | MEM_RDONLY, sized by the next argument
  | 'mem_or_null'
  | 'uninit_mem' // PTR_TO_MEM | MEM_UNINIT (written by the helper), sized by the next argument
  | 'size' // ARG_CONST_SIZE
  | 'size_or_zero' // ARG_CONST_SIZE_OR_ZERO
  | 'alloc_size_or_zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO
  | 'ctx'
  | 'ringbuf_mem_release' // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE
  | 'func' // ARG_PTR_TO_FUNC (bpf_loop callback)
  | 'stack_or_null' // ARG_PTR_TO_STACK_OR_NULL
  | 'long_ptr' // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_ALIGNED, 8 bytes
  | 'uninit_mem_or_null' // ARG_PTR_TO_MEM_OR_NULL written by the helper, sized by the next argument
  | 'const_str'; // ARG_PTR_TO_CONST_STR: a NUL-terminated string in a read-only map value

/** Kinds of helper results. */
export type RetKind = 'integer' | 'void' | 'map_value_or_null' | 'ringbuf_mem_or_null';

/** A helper prototype. */
export interface HelperProto {
  name: string;
  args: readonly ArgKind[];
  ret: RetKind;
  gplOnly?: boolean;
  /** Program types that may call it; undefined: every type the machine loads. */
  types?: readonly number[];
  /** The helper may sleep (`might_sleep`): only sleepable programs may call it. */
  mightSleep?: boolean;
}

const SYSCALL_ONLY = [ProgType.SYSCALL];

/**
 * Program types with `bpf_probe_read` (4), Linux 6.18: the tracing ones the machine loads and
 * syscall programs (a `confidentiality` lockdown removes it, as probe_read_kernel).
 */
export const PROBE_READ_TYPES: readonly number[] = [
  ProgType.KPROBE,
  ProgType.TRACEPOINT,
  ProgType.PERF_EVENT,
  ProgType.RAW_TRACEPOINT,
  ProgType.RAW_TRACEPOINT_WRITABLE,
  ProgType.SYSCALL,
];

/**
 * Program types with `bpf_skb_load_bytes` (26): the skb-based ones (Linux 6.18, checked by
 * test/machine/net-helpers.test.ts; sk_reuseport and flow_dissector have their own variant with the
 * same arguments).
 */
export const SKB_LOAD_TYPES: readonly number[] = [
  ProgType.SOCKET_FILTER,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.CGROUP_SKB,
  ProgType.LWT_IN,
  ProgType.LWT_OUT,
  ProgType.LWT_XMIT,
  ProgType.LWT_SEG6LOCAL,
  ProgType.SK_SKB,
  ProgType.SK_REUSEPORT,
  ProgType.FLOW_DISSECTOR,
];

/**
 * Program types whose `bpf_get_socket_cookie` (46) takes the ctx (Linux 6.18; sk_reuseport's takes
 * a socket pointer and is not modelled).
 */
export const SOCKET_COOKIE_TYPES: readonly number[] = [
  ProgType.SOCKET_FILTER,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.CGROUP_SKB,
  ProgType.CGROUP_SOCK,
  ProgType.SOCK_OPS,
  ProgType.SK_SKB,
  ProgType.CGROUP_SOCK_ADDR,
];

/** Program types with `bpf_get_socket_uid` (47), Linux 6.18. */
export const SOCKET_UID_TYPES: readonly number[] = [
  ProgType.SOCKET_FILTER,
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.CGROUP_SKB,
  ProgType.SK_SKB,
];

/**
 * Program types with `bpf_perf_event_output` (25): every type the machine loads but sk_reuseport,
 * flow_dissector and netfilter (Linux 6.18). GPL-only everywhere. (Syscall programs have it, but
 * being sleepable they cannot use a perf event array.)
 */
export const PERF_OUTPUT_TYPES: readonly number[] = [...LOADABLE_PROG_TYPES].filter(
  (t) => t !== ProgType.SK_REUSEPORT && t !== ProgType.FLOW_DISSECTOR && t !== ProgType.NETFILTER,
);

/** Prototypes by helper id. */
export const HELPERS: ReadonlyMap<number, HelperProto> = new Map<number, HelperProto>([
  [1, { name: 'map_lookup_elem', args: ['map', 'key'], ret: 'map_value_or_null' }],
  [2, { name: 'map_update_elem', args: ['map', 'key', 'value', 'anything'], ret: 'integer' }],
  [3, { name: 'map_delete_elem', args: ['map', 'key'], ret: 'integer' }],
  [5, { name: 'ktime_get_ns', args: [], ret: 'integer' }],
  [6, { name: 'trace_printk', args: ['mem', 'size'], ret: 'integer', gplOnly: true }],
  [7, { name: 'get_prandom_u32', args: [], ret: 'integer' }],
  [8, { name: 'get_smp_processor_id', args: [], ret: 'integer' }],
  [12, { name: 'tail_call', args: ['ctx', 'map', 'anything'], ret: 'void' }],
  [14, { name: 'get_current_pid_tgid', args: [], ret: 'integer' }],
  [15, { name: 'get_current_uid_gid', args: [], ret: 'integer' }],
  [16, { name: 'get_current_comm', args: ['uninit_mem', 'size'], ret: 'integer' }],
  [35, { name: 'get_current_task', args: [], ret: 'integer' }],
  [87, { name: 'map_push_elem', args: ['map', 'value', 'anything'], ret: 'integer' }],
  [88, { name: 'map_pop_elem', args: ['map', 'uninit_value'], ret: 'integer' }],
  [89, { name: 'map_peek_elem', args: ['map', 'uninit_value'], ret: 'integer' }],
  [105, { name: 'strtol', args: ['mem', 'size', 'anything', 'long_ptr'], ret: 'integer' }],
  [106, { name: 'strtoul', args: ['mem', 'size', 'anything', 'long_ptr'], ret: 'integer' }],
  [
    113,
    {
      name: 'probe_read_kernel',
      args: ['uninit_mem', 'size_or_zero', 'anything'],
      ret: 'integer',
      gplOnly: true,
    },
  ],
  [
    115,
    {
      name: 'probe_read_kernel_str',
      args: ['uninit_mem', 'size_or_zero', 'anything'],
      ret: 'integer',
      gplOnly: true,
    },
  ],
  [
    4,
    {
      name: 'probe_read',
      args: ['uninit_mem', 'size_or_zero', 'anything'],
      ret: 'integer',
      gplOnly: true,
      types: PROBE_READ_TYPES,
    },
  ],
  // bpf_snprintf(str, str_size, fmt, data, data_len): every type, GPL-only; the format is parsed
  // at verification time (snprintf.ts)
  [
    165,
    {
      name: 'snprintf',
      args: ['uninit_mem_or_null', 'size_or_zero', 'const_str', 'mem_or_null', 'size_or_zero'],
      ret: 'integer',
      gplOnly: true,
    },
  ],
  [125, { name: 'ktime_get_boot_ns', args: [], ret: 'integer' }],
  [
    148,
    {
      name: 'copy_from_user',
      args: ['uninit_mem', 'size_or_zero', 'anything'],
      ret: 'integer',
      // every program type has it on Linux 6.18; only sleepable ones may call it
      mightSleep: true,
    },
  ],
  [130, { name: 'ringbuf_output', args: ['map', 'mem', 'size_or_zero', 'anything'], ret: 'integer' }],
  [
    131,
    { name: 'ringbuf_reserve', args: ['map', 'alloc_size_or_zero', 'anything'], ret: 'ringbuf_mem_or_null' },
  ],
  [132, { name: 'ringbuf_submit', args: ['ringbuf_mem_release', 'anything'], ret: 'void' }],
  [133, { name: 'ringbuf_discard', args: ['ringbuf_mem_release', 'anything'], ret: 'void' }],
  [134, { name: 'ringbuf_query', args: ['map', 'anything'], ret: 'integer' }],
  [166, { name: 'sys_bpf', args: ['anything', 'mem', 'size'], ret: 'integer', types: SYSCALL_ONLY }],
  [
    167,
    {
      name: 'btf_find_by_name_kind',
      args: ['mem', 'size', 'anything', 'anything'],
      ret: 'integer',
      types: SYSCALL_ONLY,
    },
  ],
  [168, { name: 'sys_close', args: ['anything'], ret: 'integer', types: SYSCALL_ONLY }],
  // bpf_kallsyms_lookup_name(name, name_sz, flags, u64 *res): syscall programs only, not GPL-only
  // (Linux 6.18's syscall_prog_func_proto); res is 8 writable aligned bytes, written by the helper.
  [
    179,
    {
      name: 'kallsyms_lookup_name',
      args: ['mem', 'size_or_zero', 'anything', 'long_ptr'],
      ret: 'integer',
      types: SYSCALL_ONLY,
    },
  ],
  [181, { name: 'loop', args: ['anything', 'func', 'stack_or_null', 'anything'], ret: 'integer' }],
  [
    25,
    {
      name: 'perf_event_output',
      args: ['ctx', 'map', 'anything', 'mem', 'size_or_zero'],
      ret: 'integer',
      gplOnly: true,
      types: PERF_OUTPUT_TYPES,
    },
  ],
  [
    26,
    {
      name: 'skb_load_bytes',
      args: ['ctx', 'anything', 'uninit_mem', 'size'],
      ret: 'integer',
      types: SKB_LOAD_TYPES,
    },
  ],
  [42, { name: 'get_numa_node_id', args: [], ret: 'integer' }],
  [46, { name: 'get_socket_cookie', args: ['ctx'], ret: 'integer', types: SOCKET_COOKIE_TYPES }],
  [47, { name: 'get_socket_uid', args: ['ctx'], ret: 'integer', types: SOCKET_UID_TYPES }],
]);

const ARRAYS: readonly number[] = [MapType.ARRAY, MapType.PERCPU_ARRAY];
const HASHES: readonly number[] = [
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
];
const QUEUES: readonly number[] = [MapType.QUEUE, MapType.STACK];
const PUSH_PEEK: readonly number[] = [...QUEUES, MapType.BLOOM_FILTER];

/** Map types the verifier accepts for each map-taking helper (`check_map_func_compatibility`). */
const HELPER_MAPS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [1, [...ARRAYS, ...HASHES, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS, MapType.LPM_TRIE]],
  [2, [...ARRAYS, ...HASHES, MapType.LPM_TRIE]],
  [3, [...ARRAYS, ...HASHES, MapType.LPM_TRIE]],
  [25, [MapType.PERF_EVENT_ARRAY]],
  [12, [MapType.PROG_ARRAY]],
  [87, PUSH_PEEK],
  [88, QUEUES],
  [89, PUSH_PEEK],
  [130, [MapType.RINGBUF]],
  [131, [MapType.RINGBUF]],
  [134, [MapType.RINGBUF]],
]);

/** Whether map type `mapType` may be passed to helper `id`. */
export function mapFitsHelper(id: number, mapType: number): boolean {
  return HELPER_MAPS.get(id)?.includes(mapType) ?? false;
}

/** Map types the verifier models (others are refused with a clear line). */
export const KNOWN_MAP_TYPES: ReadonlySet<number> = new Set([
  ...ARRAYS,
  ...HASHES,
  ...PUSH_PEEK,
  MapType.PROG_ARRAY,
  MapType.RINGBUF,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  // No helper the machine has takes these but the ones listed above (LPM trie: lookup, update,
  // delete; perf event array: perf_event_output); a program may still refer to them. (Linux also
  // lets some programs look up devmaps, xskmaps and socket maps, or redirect through them: the
  // machine refuses those calls with Linux's 'cannot pass map_type' line.)
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

/**
 * Whether program type `progType` may call helper `proto`. On Linux 6.18 every type the machine
 * loads may call the machine's base helpers (maps, time, random, cpu, pid/uid/comm, tail calls,
 * queues, strtol, probe_read_kernel, ringbuf, bpf_loop); syscall-only helpers say so in `types`.
 */
export function helperAllowed(proto: HelperProto, progType: number): boolean {
  if (proto.types !== undefined) return proto.types.includes(progType);
  return LOADABLE_PROG_TYPES.has(progType);
}

/**
 * The kfunc the machine offers to syscall programs: `int bpf_loader_verify_metadata(struct
 * bpf_map *map, void *hash, u32 hash__sz)` (the signed light-skeleton metadata check).
 */
export const KFUNC_VERIFY_METADATA: HelperProto = {
  name: 'loader_verify_metadata',
  args: ['map', 'mem', 'size'],
  ret: 'integer',
  types: SYSCALL_ONLY,
};
