/**
 * The seam between the interpreter and the machine's object model.
 *
 * The engine knows nothing about processes, fd tables or map implementations. The object model
 * (src/machine) plugs them in through three small interfaces:
 *
 * - {@link EngineMap}: one per live map. The engine turns the byte arrays it returns into
 *   memory regions of the program's address space, so writes through a value pointer change the
 *   map in place (as in the kernel).
 * - {@link EngineEnv}: everything a helper needs from the outside world for one run: clock,
 *   random numbers, current CPU and process, trace_printk sink, and the `bpf_sys_bpf` /
 *   `bpf_sys_close` callbacks for syscall programs.
 * - {@link MapResolver}: given at program preparation time to turn the `ld_imm64` pseudo loads
 *   (MAP_FD, MAP_VALUE, MAP_IDX, MAP_IDX_VALUE, BTF_ID) into maps and values.
 *
 * Helpers are a table given to the Vm (`kernelHelpers()` from src/machine/helpers, plus any
 * extras). A typical load and test run:
 * ```ts
 * const image = prepareProgram(insns, { resolver: { map: (kind, n) => fdTable.map(n).engineMap } });
 * const vm = new Vm(env, { helpers: kernelHelpers() });
 * vm.reset();                                   // drop the previous run's regions
 * const { args } = xdpContext(vm, packet);      // or skbContext / memContext, or addRegion(...)
 * const { r0 } = vm.run(image, args);
 * ```
 *
 * @module
 */

import type { Insn } from '../../isa/insn.js';

/** The calling task, for `bpf_get_current_pid_tgid`, `_uid_gid` and `_comm`. */
export interface EngineProcess {
  /** Thread id (the low half of `get_current_pid_tgid`). */
  readonly pid: number;
  /** Thread-group id (the high half of `get_current_pid_tgid`). */
  readonly tgid: number;
  /** Real uid (the low half of `get_current_uid_gid`). */
  readonly uid: number;
  /** Real gid (the high half of `get_current_uid_gid`). */
  readonly gid: number;
  /** Task name; at most 15 bytes are used (`TASK_COMM_LEN` is 16 with the NUL). */
  readonly comm: string;
}

/** A reserved ring-buffer record (`bpf_ringbuf_reserve`). */
export interface RingbufRecord {
  /** The record's payload; the program writes into it until it submits or discards. */
  readonly data: Uint8Array;
  /** Opaque token the ring buffer uses to find the record again on submit/discard. */
  readonly token: number;
}

/** Ring-buffer side of a `BPF_MAP_TYPE_RINGBUF` map. Sizes and flags are as the program gave them. */
export interface EngineRingbuf {
  /** Reserves `size` bytes; `undefined` when there is no room (the helper then returns NULL). */
  reserve(size: number, flags: number): RingbufRecord | undefined;
  /** Commits a reserved record (`bpf_ringbuf_submit`). */
  submit(token: number, flags: number): void;
  /** Drops a reserved record (`bpf_ringbuf_discard`). */
  discard(token: number, flags: number): void;
  /** Copies `data` into a new record (`bpf_ringbuf_output`); 0 or a negative errno. */
  output(data: Uint8Array, flags: number): number;
  /** `bpf_ringbuf_query`: BPF_RB_AVAIL_DATA (0), BPF_RB_RING_SIZE (1), BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3). */
  query(flags: number): bigint;
}

/**
 * A map as programs see it. Byte arrays passed in (keys, values) are copies the map may keep;
 * byte arrays returned by {@link EngineMap.lookup} must alias the map's storage.
 *
 * Errors are returned, never thrown: 0 for success, a negative errno (e.g. -2 for ENOENT,
 * -7 for E2BIG, -17 for EEXIST) otherwise, exactly what the kernel helper returns.
 */
export interface EngineMap {
  /** Global map id (shown in faults and traces). */
  readonly id: number;
  /** `BPF_MAP_TYPE_*` number. */
  readonly type: number;
  /** Key size in bytes (0 for queue, stack, ringbuf). */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /**
   * Program-side access to values: `'rw'` (default), `'ro'` (BPF_F_RDONLY_PROG, or a frozen
   * read-only data map), `'wo'` (BPF_F_WRONLY_PROG). The engine enforces it on every access.
   */
  readonly progAccess?: 'rw' | 'ro' | 'wo';
  /**
   * `bpf_map_lookup_elem`: the live value bytes for `key` on `cpu` (per-CPU maps), an inner
   * map for map-in-map types, or `undefined` (the helper returns NULL).
   */
  lookup(key: Uint8Array, cpu: number): Uint8Array | EngineMap | undefined;
  /**
   * A load from `struct bpf_map` through the map pointer (`offset` bytes in): the value, or
   * undefined when the field is not readable (the load faults).
   */
  structField?(offset: number, size: number): bigint | undefined;
  /** `bpf_map_update_elem` with BPF_ANY (0), BPF_NOEXIST (1), BPF_EXIST (2), BPF_F_LOCK (4). */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** `bpf_map_delete_elem`. */
  delete(key: Uint8Array, cpu: number): number;
  /** `bpf_map_push_elem` (queue, stack, bloom filter): BPF_EXIST (2) overwrites the oldest. */
  push?(value: Uint8Array, flags: number): number;
  /** `bpf_map_pop_elem`: fills `out` (valueSize bytes) and removes the element. */
  pop?(out: Uint8Array): number;
  /** `bpf_map_peek_elem`: fills `out` without removing (bloom filter: membership test of `out`). */
  peek?(out: Uint8Array): number;
  /**
   * Storage for `ld_imm64` MAP_VALUE / MAP_IDX_VALUE (direct value access, array maps with one
   * entry such as .data/.rodata/.bss). The engine points the register at `offset` into it.
   */
  directValue?(): Uint8Array | undefined;
  /** `prog_array` maps: the program in slot `index`, for `bpf_tail_call`. */
  tailCallTarget?(index: number): ProgramImage | undefined;
  /** `ringbuf` maps: the ring buffer. */
  readonly ringbuf?: EngineRingbuf;
}

/**
 * What the outside world provides to one run of a program. Every member is optional: a missing
 * callback makes the corresponding helper return what the kernel returns when the feature is
 * unavailable (documented per helper in src/machine/helpers).
 */
export interface EngineEnv {
  /** CPU number reported by `bpf_get_smp_processor_id` and used for per-CPU maps (default 0). */
  readonly cpu?: number;
  /** Monotonic clock in ns (`bpf_ktime_get_ns`). Default: a counter that advances 1000 ns per call. */
  ktimeNs?(): bigint;
  /** Boot clock in ns (`bpf_ktime_get_boot_ns`). Default: {@link EngineEnv.ktimeNs}. */
  bootNs?(): bigint;
  /** A uniformly random u32 (`bpf_get_prandom_u32`). Default: an xorshift generator seeded per Vm. */
  random?(): number;
  /** The calling task, or `undefined` (helpers then return the kernel's value for no task: -EINVAL / zeros). */
  readonly process?: EngineProcess;
  /** Receives each formatted `bpf_trace_printk` line (without the trailing newline). */
  tracePrintk?(line: string): void;
  /**
   * `bpf_sys_bpf(cmd, attr, size)` for syscall programs. `attr` is a copy of the attr bytes
   * read from program memory; `mem` lets the backend read and write program memory for pointers
   * inside the attr (insns, log buffers, keys, values). Returns the command's result (fd, 0) or a
   * negative errno. Absent: the helper returns -EINVAL (the helper is not available).
   */
  sysBpf?(cmd: number, attr: Uint8Array, mem: ProgramMemory): number;
  /**
   * `bpf_btf_find_by_name_kind` lookup in the kernel BTF: the type id of `name` with BTF kind
   * `kind` (for module BTF, the BTF object fd in the upper 32 bits), or a negative errno
   * (-ENOENT when absent). Absent: the helper returns -ENOENT (no kernel BTF).
   */
  btfFindByNameKind?(name: string, kind: number): bigint;
  /** `bpf_sys_close(fd)`: 0 or a negative errno. Absent: -EINVAL. */
  sysClose?(fd: number): number;
  /**
   * `bpf_copy_from_user`: `len` bytes of the task's user memory at `addr`, or undefined when they
   * cannot be read. Absent: the machine models no user memory (the helper gives -EFAULT).
   */
  copyFromUser?(addr: bigint, len: number): Uint8Array | undefined;
}

/**
 * Program memory as seen by a helper or backend: reads and writes through 64-bit program
 * pointers, checked like program accesses. Failures throw {@link MemoryFault} (from memory.ts)
 * unless the `try` variants are used.
 */
export interface ProgramMemory {
  /** Copies `len` bytes at `addr`; throws a fault when not readable. */
  read(addr: bigint, len: number): Uint8Array;
  /** Writes `bytes` at `addr`; throws a fault when not writable. */
  write(addr: bigint, bytes: Uint8Array): void;
  /** Copies `len` bytes at `addr`, or `undefined` when any byte is not readable. */
  tryRead(addr: bigint, len: number): Uint8Array | undefined;
  /** A NUL-terminated string at `addr` of at most `max` bytes (without the NUL), or undefined. */
  readCString(addr: bigint, max: number): string | undefined;
}

/** A program ready to run: predecoded, one entry per logical instruction. */
export interface ProgramImage {
  /** Number of logical instructions. */
  readonly length: number;
  /**
   * Packed form for the interpreter: 4 int32 per instruction: `code | dst << 8 | src << 12`,
   * `off` (jump target for jumps and local calls), `imm`, `imm2`. Opcode byte 0 (`INVALID_OP`,
   * never a valid opcode) marks an instruction that must not run (prepareProgram's
   * `invalidInsns: 'fault'`).
   */
  readonly ops: Int32Array;
  /** Opcode of each instruction. */
  readonly code: Uint8Array;
  /** Destination register. */
  readonly dst: Uint8Array;
  /** Source register (for calls: the call kind). */
  readonly src: Uint8Array;
  /** Memory offset; for jumps and local calls the absolute target instruction index. */
  readonly off: Int32Array;
  /** Immediate (low half of `ld_imm64`). */
  readonly imm: Int32Array;
  /** High half of `ld_imm64` (constant kind). */
  readonly imm2: Int32Array;
  /** {@link LdKind} of each `ld_imm64`. */
  readonly ldKind: Uint8Array;
  /** Map of each MAP / MAP_VALUE `ld_imm64`, by instruction index. */
  readonly ldMap: (EngineMap | undefined)[];
  /** Slot index of each instruction (plus the total at `length`). */
  readonly slot: Int32Array;
  /** Maps the program references (for prog_array, ownership and info). */
  readonly maps: readonly EngineMap[];
  /** The instructions as given. */
  readonly insns: readonly Insn[];
}

/** Which `ld_imm64` pseudo kind a {@link MapResolver} is asked about. */
export type PseudoMapKind = 'fd' | 'idx';

/**
 * Resolves the maps referenced by `ld_imm64` pseudo loads when a program is prepared (load
 * time). `kind` is `'fd'` for MAP_FD/MAP_VALUE (n = fd in the loading process) and `'idx'` for
 * MAP_IDX/MAP_IDX_VALUE (n = index into the load's fd_array). Return `undefined` to reject the
 * program (the engine throws a FormatError naming the slot).
 */
export interface MapResolver {
  /** The map behind `n`, or `undefined`. */
  map(kind: PseudoMapKind, n: number): EngineMap | undefined;
  /**
   * BPF_PSEUDO_BTF_ID (`imm` = BTF id, `imm2` = BTF object fd): the 64-bit value to load (an
   * address in the program's address space), or `undefined` to reject. Absent: rejected.
   */
  btfId?(btfId: number, btfFd: number): bigint | undefined;
}
