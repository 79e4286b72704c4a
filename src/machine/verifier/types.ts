/**
 * Inputs and outputs of the verifier.
 *
 * @module
 */

import type { Btf } from '../../btf/btf.js';
import type { Insn } from '../../isa/insn.js';
import type { FuncInfoRecord } from './funcs.js';
import type { HelperProto } from './helpers.js';

/** What the verifier needs to know about a map a program refers to. */
export interface VerifierMap {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `BPF_F_*` map flags (BPF_F_RDONLY_PROG makes values read-only to programs). */
  readonly flags: number;
  /** SHA-256 of the only program allowed to use the map, when exclusive. */
  readonly exclProgHash?: Uint8Array | undefined;
  /** The inner map template of a map-in-map (ARRAY_OF_MAPS, HASH_OF_MAPS). */
  readonly inner?: VerifierMap | undefined;
  /** Set by BPF_MAP_FREEZE: with BPF_F_RDONLY_PROG, the values are constant (bpf_snprintf formats). */
  readonly frozen?: boolean;
  /**
   * Direct value access (Linux's map_direct_value_addr, plain arrays only): the value a direct
   * pointer points into, undefined when this map cannot give one (more than one element). Read
   * by the verifier only for read-only maps (constant strings).
   */
  directValue?(): Uint8Array | undefined;
}

/** How `ld_imm64` map references are resolved: by fd (MAP_FD/MAP_VALUE) or fd_array index (MAP_IDX*). */
export type MapRef = (kind: 'fd' | 'idx', k: number) => VerifierMap | undefined;

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** `BPF_PROG_TYPE_*`. */
  progType: number;
  /** `BPF_*` expected attach type given at load (default 0). */
  expectedAttachType?: number;
  /** Map references of `ld_imm64` pseudo loads. Without it, every map reference is refused. */
  maps?: MapRef;
  /** License is GPL-compatible (GPL-only helpers allowed). Default false. */
  gpl?: boolean;
  /** The loader is bpf_capable (CAP_BPF/CAP_SYS_ADMIN). Default true. */
  privileged?: boolean;
  /** Log level: 0 (only the error line and summary), 1 (the failing path), 2 (every state). */
  logLevel?: number;
  /**
   * The program's SHA-256: when given, every exclusive map the program refers to must have it as
   * its `excl_prog_hash` (EACCES otherwise). A loader that checks exclusivity itself (the
   * machine's PROG_LOAD, with Linux 6.18's fd_array_cnt rule) leaves it out.
   */
  progHash?: Uint8Array;
  /** Processed-instruction budget (default 1,000,000, as Linux). */
  insnBudget?: number;
  /**
   * The load's BTF func_info: its records (checked against the subprograms and {@link btf}; a
   * subprogram whose FUNC has global linkage is verified on its own, with arguments from its
   * prototype), or just whether the load carries func_info. Linux refuses function pointers
   * (`ld_imm64` BPF_PSEUDO_FUNC, bpf_loop callbacks) without it ("missing btf func_info").
   * Default false.
   */
  funcInfo?: boolean | readonly FuncInfoRecord[];
  /** The program's BTF (`prog_btf_fd`): needed with func_info records. */
  btf?: Btf;
  /**
   * Prototypes of the kernel functions the loader offers, by BTF id (`call` with src_reg 2; `off`
   * is the fd_array index of the BTF object). Without it every kfunc call is refused.
   */
  kfunc?: (btfId: number, off: number) => HelperProto | undefined;
  /**
   * Helpers the loader's kernel has removed (a `confidentiality` lockdown removes the kernel-read
   * helpers): a call the walk reaches is refused as one the program type cannot use.
   */
  unavailableHelpers?: ReadonlySet<number>;
  /**
   * The program is sleepable (`BPF_F_SLEEPABLE`): it may call helpers that might sleep
   * (`bpf_copy_from_user`). Default: true for syscall programs (always sleepable), else false.
   */
  sleepable?: boolean;
  /**
   * Possible CPUs (Linux's nr_cpu_ids): `bpf_get_smp_processor_id` returns 0..cpus-1. Default 2,
   * as a new Machine has.
   */
  cpus?: number;
}

/** The verifier's answer. */
export interface VerifyResult {
  /** True when the program is accepted. */
  ok: boolean;
  /** errno of a refusal (EINVAL, EACCES, E2BIG, EPERM, ENOTSUPP, EFAULT...), 0 when accepted. */
  errno: number;
  /** Log lines, ending with the summary line like the kernel's. */
  log: string[];
  /** The error line (the kernel's wording), when refused. */
  error?: string;
  /** Instructions processed (the kernel's `processed N insns`). */
  processed: number;
  /** States stored for pruning. */
  totalStates: number;
  /** Largest ctx offset accessed + size (the kernel's max_ctx_offset). */
  maxCtxOffset: number;
  /** Stack depth of each subprogram, by start slot. */
  stackDepth: Map<number, number>;
}

/** A program as the verifier takes it. */
export type VerifierInput = readonly Insn[];
