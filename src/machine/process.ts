/**
 * Processes of the machine: credentials, capabilities and an fd table each. An fd refers to an
 * object (map, program, BTF, link) with the access mode it was opened with (the kernel's
 * FMODE_CAN_READ / FMODE_CAN_WRITE for maps).
 *
 * @module
 */

import type { EngineProcess } from './engine/env.js';

/** The capabilities the bpf(2) rules consult. */
export type Capability = 'CAP_SYS_ADMIN' | 'CAP_BPF' | 'CAP_PERFMON' | 'CAP_NET_ADMIN';

/** Every capability (what root has). */
export const ALL_CAPS: readonly Capability[] = ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'];

/** Options of a new process. */
export interface ProcessOptions {
  /** Capabilities (default: all, like root). Pass `[]` for an unprivileged process. */
  caps?: readonly Capability[];
  /** Real uid (default 0 with CAP_SYS_ADMIN, else 1000). */
  uid?: number;
  /** Real gid (default: the uid). */
  gid?: number;
  /** Task name (default `tsbpf`). */
  comm?: string;
}

/** What an fd refers to. */
export type ObjKind = 'map' | 'prog' | 'btf' | 'link';

/** An object an fd can refer to. */
export interface KernelObject {
  /** Global id. */
  readonly id: number;
  /** Takes a reference. */
  acquire(): void;
  /** Drops a reference. */
  release(): void;
}

/** One entry of an fd table. */
export interface FdEntry {
  /** The object's kind. */
  readonly kind: ObjKind;
  /** The object. */
  readonly obj: KernelObject;
  /** Opened for reading (maps: lookups allowed). */
  readonly read: boolean;
  /** Opened for writing (maps: updates allowed). */
  readonly write: boolean;
}

/** A process: credentials, capabilities and an fd table. */
export class Process implements EngineProcess {
  /** Thread id. */
  readonly pid: number;
  /** Thread-group id (same as pid: one thread per process). */
  readonly tgid: number;
  /** Real uid. */
  readonly uid: number;
  /** Real gid. */
  readonly gid: number;
  /** Task name. */
  readonly comm: string;
  /** Capabilities. */
  readonly caps: ReadonlySet<Capability>;
  /** The fd table. */
  readonly fds = new Map<number, FdEntry>();

  /**
   * @param pid - process id
   * @param opts - credentials and capabilities
   */
  constructor(pid: number, opts: ProcessOptions = {}) {
    this.pid = pid;
    this.tgid = pid;
    this.caps = new Set(opts.caps ?? ALL_CAPS);
    this.uid = opts.uid ?? (this.caps.has('CAP_SYS_ADMIN') ? 0 : 1000);
    this.gid = opts.gid ?? this.uid;
    this.comm = (opts.comm ?? 'tsbpf').slice(0, 15);
  }

  /** The kernel's `capable(cap)`. */
  capable(cap: Capability): boolean {
    return this.caps.has(cap);
  }

  /** The kernel's `bpf_capable()`: CAP_BPF or CAP_SYS_ADMIN. */
  get bpfCapable(): boolean {
    return this.caps.has('CAP_BPF') || this.caps.has('CAP_SYS_ADMIN');
  }

  /** CAP_PERFMON or CAP_SYS_ADMIN (`perfmon_capable()`). */
  get perfmonCapable(): boolean {
    return this.caps.has('CAP_PERFMON') || this.caps.has('CAP_SYS_ADMIN');
  }

  /** CAP_NET_ADMIN or CAP_SYS_ADMIN. */
  get netAdminCapable(): boolean {
    return this.caps.has('CAP_NET_ADMIN') || this.caps.has('CAP_SYS_ADMIN');
  }

  /** Installs `entry` at the lowest free fd (from 3: 0-2 are the standard streams). */
  install(entry: FdEntry): number {
    let n = 3;
    while (this.fds.has(n)) n++;
    this.fds.set(n, entry);
    return n;
  }
}
