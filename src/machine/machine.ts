/**
 * The built-in BPF machine: a {@link Backend} in pure TypeScript that models the bpf(2) object
 * model of Linux 6.18 (the 2014 syscall design).
 *
 * - **Processes** ({@link Machine.process}) have their own fd tables, credentials and
 *   capabilities. The machine itself is the backend of its default process.
 * - **Objects** (maps, programs, BTF objects) have global ids and reference counts: fds, pins,
 *   programs using a map, outer maps holding an inner map, prog_array slots holding a program.
 *   An object is freed, and its id released, when nothing references it. A prog_array is emptied
 *   when its last fd or pin goes, as in the kernel.
 * - **Privileges**: GET_NEXT_ID / GET_FD_BY_ID need CAP_SYS_ADMIN; map and program types need
 *   CAP_BPF (or CAP_NET_ADMIN / CAP_PERFMON) as the kernel decides; the
 *   `kernel.unprivileged_bpf_disabled` knob ({@link Machine.sysctl}).
 * - **bpffs** ({@link Machine.bpffs}) for OBJ_PIN / OBJ_GET, mounted at `/sys/fs/bpf`.
 *
 * Every failure throws the {@link BpfError} (or {@link VerifierError} with the log) the kernel
 * would give, with the kernel's errno.
 *
 * @module
 */

import { type Btf as BtfTypes, parseBtf } from '../btf/btf.js';
import { BTF_KIND } from '../btf/kinds.js';
import { mapContentHash, progTag } from '../hash/index.js';
import { encode as encodeInsns } from '../isa/codec.js';
import type {
  Backend,
  BatchResult,
  BtfInfoQuery,
  Keyrings,
  LinkInfoQuery,
  MapInfoQuery,
  ProgInfoQuery,
} from '../sys/backend.js';
import { BpfError, Errno, VerifierError } from '../sys/errors.js';
import { Fd, LoadedFd } from '../sys/fd.js';
import type {
  BtfLoadAttr,
  LinkCreateAttr,
  LinkUpdateAttr,
  MapBatchAttr,
  MapCreateAttr,
  ObjAttr,
  ProgLoadAttr,
  TestRunAttr,
  TestRunResult,
} from '../uapi/attrs.js';
import { Cmd, FileFlag, MapFlag, MapType, ProgFlag, SHA256_SIZE } from '../uapi/constants.js';
import type { BtfInfo, LinkInfo, MapInfo, ProgInfo } from '../uapi/info.js';
import { Bpffs } from './bpffs.js';
import { checkBtf } from './btf/check.js';
import { applyCoreRelos } from './btf/core.js';
import { machineVmlinuxBytes, VMLINUX_BTF_NAME } from './btf/vmlinux.js';
import type { EngineEnv } from './engine/env.js';
import { type HelperFn, Vm } from './engine/interp.js';
import { EngineFault } from './engine/memory.js';
import { kernelHelpers } from './helpers/index.js';
import { MachineLsm, type MachineLsmOptions } from './lsm/index.js';
import { ArrayMap } from './maps/array.js';
import { createMap, innerMapCompatible } from './maps/create.js';
import { FdArrayMap } from './maps/fdarray.js';
import { type BpfMap, type FdResolver, type Held, round8 } from './maps/map.js';
import { RingbufMap } from './maps/ringbuf.js';
import {
  ALL_CAPS,
  type Capability,
  type FdEntry,
  type KernelObject,
  type ObjKind,
  Process,
  type ProcessOptions,
} from './process.js';
import {
  checkAttachBtf,
  checkProgram,
  checkProgType,
  LOCKDOWN_READ_KERNEL_HELPERS,
  type Lockdown,
  licenseIsGpl,
  PROG_FLAGS_MASK,
  Prog,
  statsLine,
} from './prog.js';
import {
  MachineKeyrings,
  resolveVerifyMetadata,
  type SignatureVerdict,
  verifyMetadataKfunc,
  verifySignature,
} from './signature/index.js';
import { sysBpf } from './sysbpf.js';
import { testRun } from './testrun.js';
import { decodeFuncInfo, type FuncInfoRecord, KFUNC_VERIFY_METADATA, verify } from './verifier/index.js';

/** What the machine reproduces of a kernel build. */
export interface KernelProfile {
  /** `uname -r` the machine reports. */
  release: string;
  /** Initial `kernel.unprivileged_bpf_disabled` (0, 1 or 2; distributions default to 2). */
  unprivilegedBpfDisabled: 0 | 1 | 2;
  /**
   * How `excl_prog_hash` is checked for maps bound up front through `fd_array_cnt`. Linux 6.18
   * checks those maps before it has computed the program's digest, i.e. against 32 zero bytes:
   * a map with a real hash is always refused (EACCES), and a map created with an all-zero hash
   * accepts any program loaded that way (docs/KERNEL-FINDINGS.md). `false` reproduces that;
   * `true` checks against the program's real hash, as maps referenced by `ld_imm64` are.
   */
  strictExclusiveFdArray: boolean;
  /** Maximum instructions for a CAP_BPF loader (BPF_COMPLEXITY_LIMIT_INSNS). */
  maxInsns: number;
  /**
   * The load-time metadata scheme (July 2026 proposal): a signed load with `fd_array_cnt` has
   * its signature checked over the instructions followed by the frozen contents of the
   * exclusive maps in fd_array. False on Linux 6.18 (the signature covers the instructions).
   */
  loadTimeSignatures: boolean;
  /**
   * The kfunc metadata scheme (May 2026 proposal): the machine provides the kfunc
   * `bpf_loader_verify_metadata` (see src/machine/signature/kfunc.ts), and a signed load's
   * signature also covers the BTF objects its kfunc calls name in fd_array (the loader's
   * minimal prog BTF). False on Linux 6.18 (no such kfunc).
   */
  kfuncMetadata: boolean;
  /** Maximum instructions for an unprivileged loader (BPF_MAXINSNS). */
  maxInsnsUnprivileged: number;
  /**
   * Kernel lockdown (src/machine/prog.ts {@link Lockdown}). 'none' by default: the machine is an
   * unlocked kernel. The project's host runs 'integrity', which refuses fentry/fexit/fmod_ret,
   * LSM and extension programs with EPERM at load.
   */
  lockdown: Lockdown;
}

/** Linux 6.18 as found on the project's machine. */
export const LINUX_6_18: KernelProfile = Object.freeze({
  release: '6.18.0',
  unprivilegedBpfDisabled: 2,
  strictExclusiveFdArray: false,
  loadTimeSignatures: false,
  kfuncMetadata: false,
  maxInsns: 1_000_000,
  maxInsnsUnprivileged: 4096,
  lockdown: 'none',
});

/** Options of {@link Machine}. */
export interface MachineOptions {
  /** Number of possible CPUs (per-CPU maps keep one value each). Default 2. */
  cpus?: number;
  /** Kernel profile; fields override {@link LINUX_6_18}. */
  profile?: Partial<KernelProfile>;
  /** Capabilities of the default process (default: all, like root). */
  caps?: readonly Capability[];
  /** uid of the default process. */
  uid?: number;
  /** gid of the default process. */
  gid?: number;
  /** Task name of the default process. */
  comm?: string;
  /**
   * Keyrings for signed loads. Default: a fresh {@link MachineKeyrings}; signed loads need one
   * (other implementations make them EOPNOTSUPP).
   */
  keyrings?: Keyrings;
  /** Monotonic clock in ns (`bpf_ktime_get_ns`, test-run durations). Default: `performance.now()`. */
  clock?: () => bigint;
  /** Largest map allocation in bytes (beyond: ENOMEM). Default 256 MiB. */
  memoryLimit?: number;
  /** Seed of hash maps, bloom filters and `bpf_get_prandom_u32` (default fixed, so runs repeat). */
  seed?: number;
  /** The LSM layer: IPE's verdict vocabulary, deciding hook, enforcement ({@link MachineLsm}). */
  lsm?: MachineLsmOptions;
}

/** The sysctl knobs the machine models. */
export interface MachineSysctl {
  /**
   * `kernel.unprivileged_bpf_disabled`: 0 (allowed), 1 (disabled; cannot be reset to 0), 2
   * (disabled; may be reset). Setting it throws a BpfError EPERM where the kernel refuses.
   */
  unprivilegedBpfDisabled: 0 | 1 | 2;
}

/**
 * The verifier's BTF options of a load: the program BTF (prog_btf_fd) with the decoded func_info
 * records, or only whether func_info was given.
 */
function funcInfoOptions(
  btfEntry: { kind: string; obj: unknown } | undefined,
  funcInfo: Uint8Array | undefined,
  recSize: number | undefined,
): { funcInfo: boolean | FuncInfoRecord[]; btf?: BtfTypes } {
  const given = funcInfo !== undefined && funcInfo.length > 0;
  if (!given || btfEntry?.kind !== 'btf') return { funcInfo: given };
  return { funcInfo: decodeFuncInfo(funcInfo, recSize ?? 8), btf: (btfEntry.obj as Btf).parsed() };
}

class Btf implements KernelObject {
  id = 0;
  refcnt = 0;
  onFree: ((b: Btf) => void) | undefined;
  #parsed: BtfTypes | undefined;
  /**
   * @param data - the raw BTF
   * @param name - `bpf_btf_info.name` (`vmlinux` for the kernel's own BTF, else empty)
   * @param kernel - `bpf_btf_info.kernel_btf`
   */
  constructor(
    readonly data: Uint8Array,
    readonly name = '',
    readonly kernel = false,
  ) {}
  /** The parsed types (parsed once; user BTF passed the header check at BTF_LOAD). */
  parsed(): BtfTypes {
    this.#parsed ??= parseBtf(this.data);
    return this.#parsed;
  }
  acquire(): void {
    this.refcnt++;
  }
  release(): void {
    if (--this.refcnt === 0) this.onFree?.(this);
  }
}

function defaultClock(): bigint {
  const p = (globalThis as { performance?: { now(): number } }).performance;
  return BigInt(Math.round((p ? p.now() : Date.now()) * 1e6));
}

const CMD_NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(Cmd)) if (!CMD_NAMES.has(v)) CMD_NAMES.set(v, `BPF_${k}`);

function fail(cmd: number, errno: number, detail?: string): never {
  throw new BpfError(CMD_NAMES.get(cmd) ?? `BPF_CMD_${cmd}`, errno, detail);
}

/** State shared by every process of one machine. */
class MachineCore {
  readonly cpus: number;
  readonly profile: KernelProfile;
  readonly clock: () => bigint;
  readonly memoryLimit: number;
  readonly keyrings: Keyrings | undefined;
  readonly lsm: MachineLsm;
  readonly bpffs = new Bpffs();
  readonly maps = new Map<number, BpfMap>();
  readonly progs = new Map<number, Prog>();
  readonly btfs = new Map<number, Btf>();
  /** kfuncs the Vm calls, by the BTF id programs call them with (filled as loads resolve them). */
  readonly kfuncs = new Map<number, HelperFn>();
  /** The program BPF_PROG_TEST_RUN is running (kfuncs record verdicts on it). */
  running: Prog | undefined;
  readonly trace: string[] = [];
  unprivilegedBpfDisabled: 0 | 1 | 2;
  seed: number;
  nextPid = 1000;
  nextMapId = 1;
  nextProgId = 1;
  nextBtfId = 1;
  /** The kernel BTF object (id 1, `vmlinux`). */
  readonly vmlinux: Btf;
  vm: Vm | undefined;
  readonly bootNs: bigint;

  constructor(opts: MachineOptions) {
    this.cpus = opts.cpus ?? 2;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 4096) {
      throw new RangeError(`cpus must be 1..4096, not ${opts.cpus}`);
    }
    this.profile = { ...LINUX_6_18, ...opts.profile };
    this.unprivilegedBpfDisabled = this.profile.unprivilegedBpfDisabled;
    this.clock = opts.clock ?? defaultClock;
    this.memoryLimit = opts.memoryLimit ?? 256 * 1024 * 1024;
    this.keyrings = opts.keyrings ?? new MachineKeyrings();
    this.lsm = new MachineLsm(opts.lsm);
    this.seed = (opts.seed ?? 0x5eed1234) >>> 0;
    this.bootNs = this.clock();
    // The machine's own kernel BTF (src/machine/btf/vmlinux.ts): BTF object id 1, as on Linux,
    // held for the machine's lifetime.
    this.vmlinux = new Btf(machineVmlinuxBytes(this.profile), VMLINUX_BTF_NAME, true);
    this.registerBtf(this.vmlinux);
    this.vmlinux.acquire();
  }

  nextSeed(): number {
    this.seed = (Math.imul(this.seed ^ (this.seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return this.seed;
  }

  registerMap(map: BpfMap): void {
    map.id = this.nextMapId++;
    this.maps.set(map.id, map);
    map.onFree = (m) => {
      this.maps.delete(m.id);
    };
  }

  registerProg(prog: Prog): void {
    prog.id = this.nextProgId++;
    this.progs.set(prog.id, prog);
    prog.onFree = (p) => {
      this.progs.delete(p.id);
    };
  }

  registerBtf(btf: Btf): void {
    btf.id = this.nextBtfId++;
    this.btfs.set(btf.id, btf);
    btf.onFree = (b) => {
      this.btfs.delete(b.id);
    };
  }
}

/** Drops a user reference (fd or pin) of a map; the last one empties a prog_array. */
function mapUserPut(map: BpfMap): void {
  if (--map.usercnt === 0 && map.type === MapType.PROG_ARRAY && map instanceof FdArrayMap) map.clear();
}

function kindOf(obj: KernelObject): ObjKind {
  if (obj instanceof Prog) return 'prog';
  if (obj instanceof Btf) return 'btf';
  return 'map';
}

/**
 * The {@link Backend} of one process of a machine. {@link Machine} is the one of the default
 * process; {@link Machine.process} makes more.
 */
export class MachineContext implements Backend {
  /** `'machine'`. */
  readonly name = 'machine';
  /** @internal */
  protected readonly core: MachineCore;
  /** The process whose fd table and credentials this backend uses. */
  readonly proc: Process;
  readonly #closer = (n: number): void => this.close(n);

  /**
   * @param core - the machine's shared state
   * @param proc - the process
   */
  protected constructor(core: MachineCore, proc: Process) {
    this.core = core;
    this.proc = proc;
  }

  // --- fds -----------------------------------------------------------------------------------

  #install(kind: ObjKind, obj: KernelObject, read = true, write = true): number {
    obj.acquire();
    if (kind === 'map') (obj as BpfMap).usercnt++;
    return this.proc.install({ kind, obj, read, write });
  }

  #fd(n: number, kind: Fd['kind']): Fd {
    return new Fd(n, kind, this.#closer);
  }

  #entry(cmd: number, fd: number): FdEntry {
    const e = this.proc.fds.get(fd);
    if (e === undefined) fail(cmd, isStdio(fd) ? Errno.EINVAL : Errno.EBADF, `fd ${fd}`);
    return e;
  }

  #mapEntry(cmd: number, fd: number): { map: BpfMap; read: boolean; write: boolean } {
    const e = this.#entry(cmd, fd);
    if (e.kind !== 'map') fail(cmd, Errno.EINVAL, `fd ${fd} is not a map`);
    const map = e.obj as BpfMap;
    return { map, read: e.read, write: e.write && !map.frozen };
  }

  #progOf(cmd: number, fd: number): Prog {
    const e = this.#entry(cmd, fd);
    if (e.kind !== 'prog') fail(cmd, Errno.EINVAL, `fd ${fd} is not a program`);
    return e.obj as Prog;
  }

  /** The map an fd of this process refers to (for tools and tests), or undefined. */
  mapOf(fd: number): BpfMap | undefined {
    const e = this.proc.fds.get(fd);
    return e?.kind === 'map' ? (e.obj as BpfMap) : undefined;
  }

  /** The program an fd of this process refers to, or undefined. */
  progOf(fd: number): Prog | undefined {
    const e = this.proc.fds.get(fd);
    return e?.kind === 'prog' ? (e.obj as Prog) : undefined;
  }

  close(fd: number): void {
    const e = this.proc.fds.get(fd);
    if (e === undefined) throw new BpfError('close', Errno.EBADF, `fd ${fd}`);
    this.proc.fds.delete(fd);
    if (e.kind === 'map') mapUserPut(e.obj as BpfMap);
    e.obj.release();
  }

  // --- maps ----------------------------------------------------------------------------------

  mapCreate(attr: MapCreateAttr): Fd {
    const C = Cmd.MAP_CREATE;
    const flags = attr.mapFlags ?? 0;
    if (attr.btfVmlinuxValueTypeId) fail(C, Errno.EINVAL, 'struct_ops maps are not supported');
    if (attr.btfKeyTypeId && !attr.btfValueTypeId) fail(C, Errno.EINVAL);
    const hash = attr.exclProgHash;
    const r = createMap({
      mapType: attr.mapType,
      keySize: attr.keySize >>> 0,
      valueSize: attr.valueSize >>> 0,
      maxEntries: attr.maxEntries >>> 0,
      mapFlags: flags >>> 0,
      mapExtra: attr.mapExtra ?? 0n,
      numCpus: this.core.cpus,
      seed: this.core.nextSeed(),
      capBpf: this.proc.bpfCapable,
      capSysAdmin: this.proc.capable('CAP_SYS_ADMIN'),
      capNetAdmin: this.proc.capable('CAP_NET_ADMIN') || this.proc.capable('CAP_SYS_ADMIN'),
      unprivilegedDisabled: this.core.unprivilegedBpfDisabled !== 0,
      memoryLimit: this.core.memoryLimit,
      innerMap: () => {
        const fd = attr.innerMapFd ?? 0;
        const e = this.proc.fds.get(fd);
        if (e === undefined) return isStdio(fd) ? -Errno.EINVAL : -Errno.EBADF;
        if (e.kind !== 'map') return -Errno.EINVAL;
        return e.obj as BpfMap;
      },
    });
    if (typeof r === 'number') fail(C, -r);
    const { map, inner } = r;
    // Like Linux: with a key or value type id the map takes a reference to the BTF object, after
    // map_check_btf's size and per-type rules; a btf_fd without type ids is ignored.
    let mapBtf: Btf | undefined;
    if (attr.btfKeyTypeId || attr.btfValueTypeId) {
      const fd = attr.btfFd ?? 0;
      const e = this.proc.fds.get(fd);
      if (e === undefined) fail(C, isStdio(fd) ? Errno.EINVAL : Errno.EBADF);
      if (e.kind !== 'btf') fail(C, Errno.EINVAL);
      mapBtf = e.obj as Btf;
      if (mapBtf.kernel) fail(C, Errno.EACCES);
      let parsed: BtfTypes | undefined;
      try {
        parsed = mapBtf.parsed();
      } catch {
        parsed = undefined;
      }
      const why =
        parsed === undefined
          ? Errno.EINVAL
          : mapBtfError(map, parsed, attr.btfKeyTypeId ?? 0, attr.btfValueTypeId ?? 0);
      if (why !== undefined) fail(C, why);
    }
    if (attr.mapName) {
      if (attr.mapName.length > 15 || !/^[A-Za-z0-9_.]*$/.test(attr.mapName))
        fail(C, Errno.EINVAL, 'map_name');
      map.name = attr.mapName;
    }
    if (hash !== undefined) {
      if (hash.length !== SHA256_SIZE) fail(C, Errno.EINVAL, 'excl_prog_hash_size must be 32');
      map.exclProgHash = hash.slice();
    }
    if (inner !== undefined) {
      inner.acquire();
      map.inner = inner;
    }
    this.core.registerMap(map);
    if (mapBtf !== undefined) {
      mapBtf.acquire();
      const held = mapBtf;
      MAP_BTF.set(map, {
        btf: held,
        keyTypeId: attr.btfKeyTypeId ?? 0,
        valueTypeId: attr.btfValueTypeId ?? 0,
      });
      const free = map.onFree;
      map.onFree = (m) => {
        free?.(m);
        held.release();
      };
    }
    const fd = this.#install('map', map, !(flags & MapFlag.WRONLY), !(flags & MapFlag.RDONLY));
    return this.#fd(fd, 'map');
  }

  #resolver(map: BpfMap): FdResolver {
    return (fd: number): Held | number => {
      const e = this.proc.fds.get(fd);
      if (e === undefined) return isStdio(fd) ? -Errno.EINVAL : -Errno.EBADF;
      if (map.type === MapType.PROG_ARRAY) {
        if (e.kind !== 'prog') return -Errno.EINVAL;
        const p = e.obj as Prog;
        if (map.ownerProgType === undefined) map.ownerProgType = p.type;
        else if (map.ownerProgType !== p.type) return -Errno.EINVAL;
        return p;
      }
      if (e.kind !== 'map') return -Errno.EINVAL;
      const m = e.obj as BpfMap;
      if (m.exclProgHash !== undefined) return -Errno.ENOTSUPP;
      if (map.inner === undefined || !innerMapCompatible(map.inner, m)) return -Errno.EINVAL;
      return m;
    };
  }

  #key(cmd: number, map: BpfMap, key: Uint8Array | undefined): Uint8Array {
    if (map.keySize === 0) {
      if (key !== undefined) fail(cmd, Errno.EINVAL, 'this map type takes no key');
      return new Uint8Array(0);
    }
    if (key === undefined) fail(cmd, Errno.EFAULT, 'key is missing');
    if (key.length < map.keySize)
      throw new RangeError(`key is ${key.length} bytes; the map's keys are ${map.keySize}`);
    return key;
  }

  #valueBuf(map: BpfMap, value: Uint8Array): void {
    const need =
      map.type === MapType.PROG_ARRAY ||
      map.type === MapType.ARRAY_OF_MAPS ||
      map.type === MapType.HASH_OF_MAPS
        ? 4
        : map.sysValueSize;
    if (value.length < need)
      throw new RangeError(`value buffer is ${value.length} bytes; the map needs ${need}`);
  }

  mapLookupElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): boolean {
    const C = Cmd.MAP_LOOKUP_ELEM;
    if (flags & ~4) fail(C, Errno.EINVAL);
    const { map, read } = this.#mapEntry(C, mapFd);
    if (!read) fail(C, Errno.EPERM);
    if (flags & 4) fail(C, Errno.EINVAL, 'BPF_F_LOCK needs a bpf_spin_lock in the value');
    const k = this.#key(C, map, key);
    this.#valueBuf(map, value);
    const r = map.sysLookup(k, flags, value);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return false;
      fail(C, -r);
    }
    value.set(r);
    return true;
  }

  mapUpdateElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): void {
    const C = Cmd.MAP_UPDATE_ELEM;
    const { map, write } = this.#mapEntry(C, mapFd);
    if (!write) fail(C, Errno.EPERM);
    if (flags & 4) fail(C, Errno.EINVAL, 'BPF_F_LOCK needs a bpf_spin_lock in the value');
    const k = this.#key(C, map, key);
    this.#valueBuf(map, value);
    const r = map.sysUpdate(k, value, flags, this.#resolver(map));
    if (r < 0) fail(C, -r);
  }

  mapDeleteElem(mapFd: number, key: Uint8Array): boolean {
    const C = Cmd.MAP_DELETE_ELEM;
    const { map, write } = this.#mapEntry(C, mapFd);
    if (!write) fail(C, Errno.EPERM);
    const k = this.#key(C, map, map.keySize === 0 ? undefined : key);
    const r = map.sysDelete(k);
    if (r === -Errno.ENOENT) return false;
    if (r < 0) fail(C, -r);
    return true;
  }

  mapGetNextKey(mapFd: number, key: Uint8Array | undefined, nextKey: Uint8Array): boolean {
    const C = Cmd.MAP_GET_NEXT_KEY;
    const { map, read } = this.#mapEntry(C, mapFd);
    if (!read) fail(C, Errno.EPERM);
    let k: Uint8Array | undefined;
    if (key !== undefined) k = this.#key(C, map, key);
    const r = map.sysGetNextKey(k);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return false;
      fail(C, -r);
    }
    if (nextKey.length < r.length)
      throw new RangeError(`next key buffer is ${nextKey.length} bytes; keys are ${r.length}`);
    nextKey.set(r);
    return true;
  }

  mapLookupAndDeleteElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): boolean {
    const C = Cmd.MAP_LOOKUP_AND_DELETE_ELEM;
    if (flags & ~4) fail(C, Errno.EINVAL);
    const { map, read, write } = this.#mapEntry(C, mapFd);
    if (!read || !write) fail(C, Errno.EPERM);
    if (flags && (map.type === MapType.QUEUE || map.type === MapType.STACK)) fail(C, Errno.EINVAL);
    if (flags & 4) fail(C, Errno.EINVAL, 'BPF_F_LOCK needs a bpf_spin_lock in the value');
    const k = this.#key(C, map, key);
    this.#valueBuf(map, value);
    const hashLike =
      map.type === MapType.HASH ||
      map.type === MapType.PERCPU_HASH ||
      map.type === MapType.LRU_HASH ||
      map.type === MapType.LRU_PERCPU_HASH;
    if (!hashLike && map.type !== MapType.QUEUE && map.type !== MapType.STACK) fail(C, Errno.ENOTSUPP);
    const r = map.sysLookupAndDelete(k, flags);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return false;
      fail(C, -r);
    }
    value.set(r);
    return true;
  }

  #batchOpen(cmd: number, attr: MapBatchAttr, read: boolean, write: boolean): BpfMap {
    if (
      (attr.flags ?? 0n) !== 0n &&
      cmd !== Cmd.MAP_LOOKUP_BATCH &&
      cmd !== Cmd.MAP_LOOKUP_AND_DELETE_BATCH
    ) {
      // generic batch commands ignore batch.flags; the hash ones refuse it (below)
    }
    const e = this.#mapEntry(cmd, attr.mapFd);
    if (read && !e.read) fail(cmd, Errno.EPERM);
    if (write && !e.write) fail(cmd, Errno.EPERM);
    const s = e.map.batchSupport();
    const ok =
      cmd === Cmd.MAP_LOOKUP_BATCH
        ? s.lookup
        : cmd === Cmd.MAP_LOOKUP_AND_DELETE_BATCH
          ? s.lookupAndDelete
          : cmd === Cmd.MAP_UPDATE_BATCH
            ? s.update
            : s.delete;
    if (!ok) fail(cmd, Errno.ENOTSUPP);
    const ef = attr.elemFlags ?? 0n;
    if ((ef & ~4n) !== 0n || (ef & 4n) !== 0n) fail(cmd, Errno.EINVAL);
    return e.map;
  }

  #lookupBatch(cmd: number, attr: MapBatchAttr, del: boolean): BatchResult {
    const map = this.#batchOpen(cmd, attr, true, del);
    const vsz = this.#sysValueSize(map);
    if (map.bucketBatch !== undefined) {
      if ((attr.flags ?? 0n) !== 0n) fail(cmd, Errno.EINVAL);
      if (attr.count === 0) return { count: 0, done: false };
      if (attr.outBatch === undefined) fail(cmd, Errno.EFAULT, 'out_batch is missing');
      const r = map.bucketBatch(attr.inBatch, attr.count, del);
      attr.keys?.set(r.keys.subarray(0, Math.min(r.keys.length, attr.keys.length)));
      attr.values?.set(r.values.subarray(0, Math.min(r.values.length, attr.values.length)));
      if (r.outBatch !== undefined) attr.outBatch?.set(r.outBatch);
      if (r.err === -Errno.ENOENT) return { count: r.count, done: true };
      if (r.err < 0) fail(cmd, -r.err, `after ${r.count} elements`);
      return { count: r.count, done: false };
    }
    if (attr.count === 0) return { count: 0, done: false };
    let prev: Uint8Array | undefined = attr.inBatch?.slice(0, map.keySize);
    let cp = 0;
    let err = 0;
    while (cp < attr.count) {
      const next = map.sysGetNextKey(prev);
      if (typeof next === 'number') {
        err = next;
        break;
      }
      const v = map.sysLookup(next, 0);
      if (typeof v !== 'number') {
        attr.keys?.set(next, cp * map.keySize);
        attr.values?.set(v.subarray(0, vsz), cp * vsz);
        cp++;
      } else if (v !== -Errno.ENOENT) fail(cmd, -v);
      prev = next;
    }
    if (cp > 0 && prev !== undefined) {
      if (attr.outBatch === undefined) fail(cmd, Errno.EFAULT, `out_batch is missing (after ${cp} elements)`);
      attr.outBatch.set(prev);
    }
    if (err === -Errno.ENOENT) return { count: cp, done: true };
    if (err < 0) fail(cmd, -err, `after ${cp} elements`);
    return { count: cp, done: false };
  }

  #sysValueSize(map: BpfMap): number {
    return map.type === MapType.PROG_ARRAY ||
      map.type === MapType.ARRAY_OF_MAPS ||
      map.type === MapType.HASH_OF_MAPS
      ? 4
      : map.sysValueSize;
  }

  mapLookupBatch(attr: MapBatchAttr): BatchResult {
    return this.#lookupBatch(Cmd.MAP_LOOKUP_BATCH, attr, false);
  }

  mapLookupAndDeleteBatch(attr: MapBatchAttr): BatchResult {
    return this.#lookupBatch(Cmd.MAP_LOOKUP_AND_DELETE_BATCH, attr, true);
  }

  mapUpdateBatch(attr: MapBatchAttr): number {
    const C = Cmd.MAP_UPDATE_BATCH;
    const map = this.#batchOpen(C, attr, false, true);
    const vsz = this.#sysValueSize(map);
    const resolve = this.#resolver(map);
    for (let cp = 0; cp < attr.count; cp++) {
      const k = attr.keys?.subarray(cp * map.keySize, (cp + 1) * map.keySize);
      const v = attr.values?.subarray(cp * vsz, (cp + 1) * vsz);
      if (k === undefined || v === undefined || k.length < map.keySize || v.length < vsz) {
        fail(C, Errno.EFAULT, `after ${cp} elements`);
      }
      const r = map.sysUpdate(k, v, Number(attr.elemFlags ?? 0n), resolve);
      if (r < 0) fail(C, -r, `after ${cp} elements`);
    }
    return attr.count;
  }

  mapDeleteBatch(attr: MapBatchAttr): number {
    const C = Cmd.MAP_DELETE_BATCH;
    const map = this.#batchOpen(C, attr, false, true);
    for (let cp = 0; cp < attr.count; cp++) {
      const k = attr.keys?.subarray(cp * map.keySize, (cp + 1) * map.keySize);
      if (k === undefined || k.length < map.keySize) fail(C, Errno.EFAULT, `after ${cp} elements`);
      const r = map.sysDelete(k);
      if (r < 0) fail(C, -r, `after ${cp} elements`);
    }
    return attr.count;
  }

  mapFreeze(mapFd: number): void {
    const C = Cmd.MAP_FREEZE;
    const { map, write } = this.#mapEntry(C, mapFd);
    if (!write) fail(C, Errno.EPERM);
    if (map.frozen || (map instanceof ArrayMap && map.writableMappings > 0)) fail(C, Errno.EBUSY);
    map.frozen = true;
  }

  // --- programs ------------------------------------------------------------------------------

  progLoad(attr: ProgLoadAttr): LoadedFd {
    const C = Cmd.PROG_LOAD;
    const p = this.proc;
    const core = this.core;
    const insnCnt = attr.insns.length / 8;
    if (!Number.isInteger(insnCnt))
      throw new RangeError(`insns are ${attr.insns.length} bytes, not a multiple of 8`);
    const flags = attr.progFlags ?? 0;
    if (flags & ~PROG_FLAGS_MASK) fail(C, Errno.EINVAL);
    if (
      insnCnt === 0 ||
      insnCnt > (p.bpfCapable ? core.profile.maxInsns : core.profile.maxInsnsUnprivileged)
    ) {
      fail(C, Errno.E2BIG);
    }
    const type = attr.progType;
    if (core.unprivilegedBpfDisabled !== 0 && !p.bpfCapable) fail(C, Errno.EPERM);
    // Privileges by type, lockdown, attach types (src/machine/prog.ts checkProgType).
    const typeIn = {
      progType: type,
      expectedAttachType: attr.expectedAttachType ?? 0,
      flags,
      attachBtfId: attr.attachBtfId ?? 0,
      gpl: licenseIsGpl(attr.license),
      lockdown: core.profile.lockdown,
      bpfCapable: p.bpfCapable,
      netAdminCapable: p.netAdminCapable,
      perfmonCapable: p.perfmonCapable,
      kernelBtf: core.vmlinux.parsed(),
    };
    const typed = checkProgType(typeIn);
    if ('errno' in typed) fail(C, typed.errno);
    const attachType = typed.attachType;
    // Signed loads (Linux 6.18 bpf_prog_verify_signature): the CMS covers the instructions as
    // given; keyring_id 0/1/2 are the system keyrings, anything else the caller's keyring.
    let verdict: SignatureVerdict = { state: 'UNSIGNED' };
    if (attr.signature !== undefined) {
      const kr = core.keyrings;
      if (!(kr instanceof MachineKeyrings))
        fail(C, Errno.EOPNOTSUPP, 'signed load: the machine was given keyrings it cannot search');
      const trusted = kr.trustedFor(attr.keyringId ?? 0);
      if (typeof trusted === 'number') fail(C, trusted, `keyring ${attr.keyringId ?? 0} not found`);
      // Load-time metadata scheme (profile.loadTimeSignatures, with fd_array_cnt): the signed
      // content is the instructions followed by the frozen contents of every exclusive map of
      // fd_array, in fd_array order; an unfrozen exclusive map is refused.
      let content = attr.insns;
      let boundMaps = 0;
      // Kfunc metadata scheme (profile.kfuncMetadata): the minimal prog BTF objects that kfunc
      // calls name through fd_array are part of the signed content, after the instructions.
      if (core.profile.kfuncMetadata && attr.fdArray !== undefined) {
        const dvi = new DataView(attr.insns.buffer, attr.insns.byteOffset, attr.insns.length);
        const seen = new Set<number>();
        const extra: Uint8Array[] = [];
        for (let q = 0; q + 8 <= attr.insns.length; q += 8) {
          const code = attr.insns[q]!;
          if (code === 0x18) {
            q += 8;
            continue;
          }
          if (code !== 0x85 || attr.insns[q + 1]! >> 4 !== 2) continue;
          const off = dvi.getInt16(q + 2, true);
          const fd = off > 0 ? attr.fdArray[off] : undefined;
          if (fd === undefined || seen.has(fd)) continue;
          seen.add(fd);
          const e = this.proc.fds.get(fd);
          if (e?.kind === 'btf') extra.push((e.obj as Btf).data);
        }
        if (extra.length > 0) {
          let n = attr.insns.length;
          for (const x of extra) n += x.length;
          content = new Uint8Array(n);
          content.set(attr.insns);
          n = attr.insns.length;
          for (const x of extra) {
            content.set(x, n);
            n += x.length;
          }
        }
      }
      if (core.profile.loadTimeSignatures && attr.fdArrayCnt && attr.fdArray !== undefined) {
        const parts: Uint8Array[] = [attr.insns];
        for (const fd of attr.fdArray) {
          const e = this.proc.fds.get(fd);
          if (e?.kind !== 'map') continue;
          const m = e.obj as BpfMap;
          if (m.exclProgHash === undefined) continue;
          if (!m.frozen) fail(C, Errno.EPERM, 'signed load: exclusive map in fd_array is not frozen');
          const bytes = m.contentBytes?.();
          if (bytes === undefined) fail(C, Errno.EINVAL, 'signed load: exclusive map without content hash');
          parts.push(bytes);
          boundMaps++;
        }
        let n = 0;
        for (const x of parts) n += x.length;
        content = new Uint8Array(n);
        n = 0;
        for (const x of parts) {
          content.set(x, n);
          n += x.length;
        }
      }
      const check = verifySignature(content, attr.signature, trusted.certificates);
      if (!check.ok) fail(C, check.errno, `signature ${check.reason}: ${check.message}`);
      let keyId = '';
      for (const x of check.certificate.keyId) keyId += x.toString(16).padStart(2, '0');
      verdict = {
        state: boundMaps > 0 ? 'METADATA_VERIFIED' : 'OK',
        keyring: trusted.type,
        signer: check.certificate.subject,
        keyId,
      };
    }
    const level = attr.logLevel ?? 0;
    const logBuf = attr.logBuf;
    if (
      (logBuf !== undefined && logBuf.length > 0 && level === 0) ||
      level & ~0xf ||
      (logBuf !== undefined && logBuf.length > 0x3fffffff)
    ) {
      fail(C, Errno.EINVAL);
    }
    const name = attr.progName ?? '';
    if (name.length > 15 || !/^[A-Za-z0-9_.]*$/.test(name)) fail(C, Errno.EINVAL, 'prog_name');
    // LSM: security_bpf_prog_load (then bpf_prog_load_post_integrity), before verification.
    const denied = core.lsm.bpfProgLoad({
      verdict,
      progType: type,
      progName: name,
      pid: p.pid,
      comm: p.comm,
    });
    if (denied !== undefined) fail(C, denied.errno, denied.message);
    const gpl = licenseIsGpl(attr.license);
    const finish = (lines: string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    const failLoad = (errno: number, lines: string[]): never => {
      const log = finish(lines);
      if (logBuf !== undefined && logBuf.length > 0) writeLog(logBuf, log);
      throw new VerifierError('BPF_PROG_LOAD', errno, log);
    };
    const early = checkAttachBtf(typeIn, attachType);
    if (early !== undefined) failLoad(early.errno, early.log);
    // The program's BTF and kernel-side CO-RE (src/machine/btf/core.ts): as in Linux, only a
    // load with func_info or line_info takes prog_btf_fd, and only then are core_relos applied
    // (against the machine's vmlinux BTF); without them core_relos are ignored.
    let insnBytes = attr.insns;
    let coreLog: string[] = [];
    let heldBtf: Btf | undefined;
    if ((attr.funcInfo?.length ?? 0) > 0 || (attr.lineInfo?.length ?? 0) > 0) {
      const be = p.fds.get(attr.progBtfFd ?? 0);
      if (be === undefined) return failLoad(Errno.EBADF, [statsLine(0)]);
      if (be.kind !== 'btf') return failLoad(Errno.EINVAL, [statsLine(0)]);
      const progBtf = be.obj as Btf;
      if (progBtf.kernel) return failLoad(Errno.EACCES, [statsLine(0)]);
      heldBtf = progBtf;
      if (attr.coreRelos !== undefined && attr.coreRelos.length > 0) {
        let parsed: BtfTypes;
        try {
          parsed = progBtf.parsed();
        } catch {
          return failLoad(Errno.EINVAL, [statsLine(0)]);
        }
        const r = applyCoreRelos({
          insns: attr.insns,
          progBtf: parsed,
          vmlinux: core.vmlinux.parsed(),
          relos: attr.coreRelos,
          recSize: attr.coreReloRecSize ?? 16,
        });
        if (!r.ok)
          return failLoad(
            r.errno,
            r.unterminated
              ? [...r.log.slice(0, -1), `${r.log.at(-1)}${statsLine(0)}`]
              : [...r.log, statsLine(0)],
          );
        insnBytes = r.insns;
        coreLog = r.log;
      }
    }
    // Linux refuses kfunc calls, like bpf-to-bpf calls, to a loader without CAP_BPF before it
    // looks them up (EPERM), whatever kernel functions there are.
    if (!p.bpfCapable) {
      for (let q = 0; q + 8 <= attr.insns.length; q += 8) {
        if (attr.insns[q] === 0x18) q += 8;
        else if (attr.insns[q] === 0x85 && attr.insns[q + 1]! >> 4 === 2)
          failLoad(Errno.EPERM, [
            'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN',
            statsLine(0),
          ]);
      }
    }
    const checked = checkProgram(
      {
        bpfCapable: p.bpfCapable,
        lockdown: core.profile.lockdown,
        strictExclusiveFdArray: core.profile.strictExclusiveFdArray,
        sleepable: (flags & ProgFlag.SLEEPABLE) !== 0,
        mapByFd: (fd) => {
          const e = p.fds.get(fd);
          if (e === undefined) return isStdio(fd) ? -Errno.EINVAL : -Errno.EBADF;
          if (e.kind !== 'map') return -Errno.EINVAL;
          return e.obj as BpfMap;
        },
        isBtfFd: (fd) => p.fds.get(fd)?.kind === 'btf',
        kfunc: (btfFd, btfId, progType) => {
          const e = btfFd === undefined ? undefined : p.fds.get(btfFd);
          // off 0 (no fd): the id is in the kernel BTF, the machine's vmlinux (src/machine/btf).
          const bytes =
            btfFd === undefined ? core.vmlinux.data : e?.kind === 'btf' ? (e.obj as Btf).data : undefined;
          const why = core.profile.kfuncMetadata
            ? resolveVerifyMetadata(bytes, btfId, progType)
            : 'calling kernel functions is not supported by the machine (profile without the kfunc metadata scheme)';
          if (why === undefined && !core.kfuncs.has(btfId)) {
            // On success the kfunc fires bpf_prog_load_post_integrity (METADATA_VERIFIED): the
            // verdict is upgraded when the policy allows it, else the kfunc returns -EACCES.
            let denied = 0;
            let who = { pid: 0, comm: '?' };
            const check = verifyMetadataKfunc(() => {
              const pr = core.running;
              denied = pr === undefined ? 0 : core.lsm.kfuncMetadataVerified(pr, who);
            });
            core.kfuncs.set(btfId, (vm) => {
              denied = 0;
              who = vm.env.process ?? who;
              check(vm);
              if (denied !== 0) vm.retInt(denied);
            });
          }
          return why;
        },
      },
      type,
      insnBytes,
      attr.fdArray,
      attr.fdArrayCnt ?? false,
    );
    if ('errno' in checked) return failLoad(checked.errno, [...coreLog, ...checked.log]);
    // The static verifier (src/machine/verifier): every path, Linux's rules and log lines.
    // Exclusivity was checked above (with 6.18's fd_array_cnt rule), so no program hash here.
    const mapRef = (kind: 'fd' | 'idx', k: number): BpfMap | undefined => {
      const fd = kind === 'idx' ? attr.fdArray?.[k] : k;
      const e = fd === undefined ? undefined : p.fds.get(fd);
      return e?.kind === 'map' ? (e.obj as BpfMap) : undefined;
    };
    const vopts = {
      progType: type,
      expectedAttachType: attachType,
      gpl,
      privileged: p.bpfCapable,
      logLevel: level & 2 ? 2 : level & 1 ? 1 : 0,
      maps: mapRef,
      ...funcInfoOptions(
        attr.progBtfFd ? p.fds.get(attr.progBtfFd) : undefined,
        attr.funcInfo,
        attr.funcInfoRecSize,
      ),
      kfunc: () => KFUNC_VERIFY_METADATA,
      sleepable: (flags & ProgFlag.SLEEPABLE) !== 0,
      cpus: core.cpus,
      ...(core.profile.lockdown === 'confidentiality'
        ? { unavailableHelpers: LOCKDOWN_READ_KERNEL_HELPERS }
        : {}),
    };
    const verified = verify(checked.insns, vopts);
    if (!verified.ok) {
      // Like the kernel backend's retry: a refusal always comes with the failing path's log.
      const log = level === 0 ? verify(checked.insns, { ...vopts, logLevel: 1 }).log : verified.log;
      return failLoad(verified.errno, [...coreLog, ...log]);
    }
    for (const m of checked.maps) {
      // Maps that may hold programs (prog_array, devmap, cpumap) belong to the first program type
      // that uses them (Linux's map owner).
      if (m.type === MapType.PROG_ARRAY || m.type === MapType.DEVMAP || m.type === MapType.CPUMAP) {
        if (m.ownerProgType === undefined) m.ownerProgType = type;
        else if (m.ownerProgType !== type)
          fail(C, Errno.EINVAL, 'the map belongs to programs of another type');
      }
    }
    for (const m of checked.maps) m.acquire();
    const prog = new Prog(type, checked.insns, insnBytes.slice(), checked.image, [...checked.maps], {
      name,
      gpl,
      flags,
      expectedAttachType: attachType,
      uid: p.uid,
      loadTime: core.clock() - core.bootNs,
    });
    prog.signature = verdict;
    core.registerProg(prog);
    if (heldBtf !== undefined) {
      // The program holds its BTF (prog->aux->btf) with the func_info and line_info counts.
      heldBtf.acquire();
      const held = heldBtf;
      PROG_BTF.set(prog, {
        btf: held,
        nrFuncInfo: Math.floor((attr.funcInfo?.length ?? 0) / (attr.funcInfoRecSize || FUNC_INFO_REC)),
        nrLineInfo: Math.floor((attr.lineInfo?.length ?? 0) / (attr.lineInfoRecSize || LINE_INFO_REC)),
      });
      const free = prog.onFree;
      prog.onFree = (x) => {
        free?.(x);
        held.release();
      };
    }
    // A successful level-1 load keeps only the verifier's summary, as Linux (the CO-RE lines are
    // in the log only at level 2 or when the load fails).
    const okLines = level & 2 ? [...coreLog, ...verified.log] : verified.log;
    const log = level > 0 ? `${okLines.join('\n')}\n` : '';
    if (logBuf !== undefined && logBuf.length > 0) writeLog(logBuf, log);
    const fd = this.#install('prog', prog);
    return new LoadedFd(fd, 'prog', this.#closer, log, log.length === 0 ? 0 : log.length + 1);
  }

  btfLoad(attr: BtfLoadAttr): LoadedFd {
    const C = Cmd.BTF_LOAD;
    if (this.core.unprivilegedBpfDisabled !== 0 && !this.proc.bpfCapable) fail(C, Errno.EPERM);
    if (!this.proc.bpfCapable) fail(C, Errno.EPERM);
    const b = attr.btf;
    if (b.length > 16 * 1024 * 1024) fail(C, Errno.E2BIG);
    // Linux's BTF verifier (src/machine/btf/check.ts): its errno and, at log level 1, its log.
    const level = attr.logLevel ?? 0;
    const buf = attr.logBuf !== undefined && attr.logBuf.length > 0 ? attr.logBuf : undefined;
    // A log buffer needs a log level (Linux's log attribute check).
    if (buf !== undefined && level === 0) fail(C, Errno.EINVAL, 'log_buf without log_level');
    const verdict = checkBtf(b);
    const bytes = new TextEncoder().encode(verdict.log);
    const trueSize = bytes.length + 1;
    if (buf !== undefined) {
      // Linux's log is rotating (the buffer keeps the end) unless BPF_LOG_FIXED (8) keeps the
      // start; a log that does not fit turns any verdict into ENOSPC.
      const n = Math.min(bytes.length, buf.length - 1);
      buf.set(level & 8 ? bytes.subarray(0, n) : bytes.subarray(bytes.length - n));
      buf[n] = 0;
      if (trueSize > buf.length)
        throw new VerifierError(
          'BPF_BTF_LOAD',
          Errno.ENOSPC,
          new TextDecoder().decode(buf.subarray(0, n)),
          true,
        );
    }
    if (!verdict.ok) {
      // Like the kernel backend: without a caller's buffer the refusal carries the level-1 log.
      throw new VerifierError('BPF_BTF_LOAD', verdict.errno, verdict.log);
    }
    const btf = new Btf(b.slice());
    this.core.registerBtf(btf);
    const fd = this.#install('btf', btf);
    return level > 0
      ? new LoadedFd(fd, 'btf', this.#closer, verdict.log, trueSize)
      : new LoadedFd(fd, 'btf', this.#closer, '', 0);
  }

  progTestRun(attr: TestRunAttr): TestRunResult {
    const C = Cmd.PROG_TEST_RUN;
    const prog = this.#progOf(C, attr.progFd);
    const core = this.core;
    core.vm ??= new Vm({}, { helpers: kernelHelpers(), kfuncs: core.kfuncs });
    const vm = core.vm;
    const env: EngineEnv = {
      cpu: attr.cpu ?? 0,
      ktimeNs: () => core.clock(),
      bootNs: () => core.clock(),
      random: () => core.nextSeed(),
      process: this.proc,
      tracePrintk: (line) => {
        core.trace.push(line);
      },
      sysBpf: (cmd, bytes) => core.lsm.inKernel(() => sysBpf(this, cmd, bytes, vm.memory)),
      // The machine has no module BTF: every answer is an id in its vmlinux (src/machine/btf).
      btfFindByNameKind: (name, kind) => {
        const id = core.vmlinux.parsed().findId(name, kind);
        return BigInt(id ?? -Errno.ENOENT);
      },
      sysClose: (fd) => {
        try {
          this.close(fd);
          return 0;
        } catch (e) {
          return e instanceof BpfError ? -e.errno : -Errno.EINVAL;
        }
      },
    };
    vm.env = env;
    let r: ReturnType<typeof testRun>;
    const outer = core.running;
    core.running = prog;
    try {
      r = testRun({ vm, now: () => core.clock() }, prog, attr);
    } catch (e) {
      // A run-time fault: the verifier would have refused the program. Report it, never crash.
      if (e instanceof EngineFault) fail(C, Errno.EFAULT, `program fault: ${e.message}`);
      throw e;
    } finally {
      core.running = outer;
    }
    if ('errno' in r) fail(C, r.errno);
    return r;
  }

  progBindMap(progFd: number, mapFd: number): void {
    const C = Cmd.PROG_BIND_MAP;
    const prog = this.#progOf(C, progFd);
    const { map } = this.#mapEntry(C, mapFd);
    prog.bindMap(map);
  }

  // --- links (none of the machine's program types attach yet) ---------------------------------

  linkCreate(attr: LinkCreateAttr): Fd {
    const C = Cmd.LINK_CREATE;
    this.#progOf(C, attr.progFd);
    fail(C, Errno.EINVAL, `attach type ${attr.attachType} is not supported by the machine`);
  }

  linkUpdate(attr: LinkUpdateAttr): void {
    const C = Cmd.LINK_UPDATE;
    const e = this.#entry(C, attr.linkFd);
    if (e.kind !== 'link') fail(C, Errno.EINVAL);
  }

  linkDetach(linkFd: number): void {
    const C = Cmd.LINK_DETACH;
    const e = this.#entry(C, linkFd);
    if (e.kind !== 'link') fail(C, Errno.EINVAL);
  }

  // --- pins ----------------------------------------------------------------------------------

  objPin(attr: ObjAttr & { bpfFd: number }): void {
    const C = Cmd.OBJ_PIN;
    if ((attr.fileFlags ?? 0) & ~FileFlag.PATH_FD) fail(C, Errno.EINVAL);
    if ((attr.fileFlags ?? 0) & FileFlag.PATH_FD)
      fail(C, Errno.EINVAL, 'path_fd is not supported by the machine');
    const e = this.#entry(C, attr.bpfFd);
    const obj = e.obj;
    const isMap = e.kind === 'map';
    if (isMap) (obj as BpfMap).usercnt++;
    const r = this.core.bpffs.pin(attr.pathname, obj, () => {
      if (isMap) mapUserPut(obj as BpfMap);
    });
    if (r < 0) {
      if (isMap) (obj as BpfMap).usercnt--;
      fail(C, -r, attr.pathname);
    }
  }

  objGet(attr: ObjAttr, kind?: Fd['kind']): Fd {
    const C = Cmd.OBJ_GET;
    const ff = attr.fileFlags ?? 0;
    if ((attr.bpfFd ?? 0) !== 0 || ff & ~(FileFlag.RDONLY | FileFlag.WRONLY | FileFlag.PATH_FD))
      fail(C, Errno.EINVAL);
    if (ff & FileFlag.RDONLY && ff & FileFlag.WRONLY) fail(C, Errno.EINVAL);
    const got = this.core.bpffs.get(attr.pathname);
    if (typeof got === 'number') fail(C, -got, attr.pathname);
    const obj = got as KernelObject;
    const k = kindOf(obj);
    const fd = this.#install(k, obj, !(ff & FileFlag.WRONLY), !(ff & FileFlag.RDONLY));
    return this.#fd(fd, kind ?? k);
  }

  // --- ids -----------------------------------------------------------------------------------

  #nextId(cmd: number, table: Map<number, unknown>, start: number): number | undefined {
    if (start >>> 0 >= 0x7fffffff) fail(cmd, Errno.EINVAL);
    if (!this.proc.capable('CAP_SYS_ADMIN')) fail(cmd, Errno.EPERM);
    let best: number | undefined;
    for (const id of table.keys()) if (id > start && (best === undefined || id < best)) best = id;
    return best;
  }

  progGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.PROG_GET_NEXT_ID, this.core.progs, startId);
  }
  mapGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.MAP_GET_NEXT_ID, this.core.maps, startId);
  }
  btfGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.BTF_GET_NEXT_ID, this.core.btfs, startId);
  }
  linkGetNextId(startId: number): number | undefined {
    return this.#nextId(Cmd.LINK_GET_NEXT_ID, new Map(), startId);
  }

  #byId(cmd: number, kind: ObjKind, obj: KernelObject | undefined, openFlags: number): Fd {
    if (openFlags & ~(FileFlag.RDONLY | FileFlag.WRONLY)) fail(cmd, Errno.EINVAL);
    if (!this.proc.capable('CAP_SYS_ADMIN')) fail(cmd, Errno.EPERM);
    if (openFlags & FileFlag.RDONLY && openFlags & FileFlag.WRONLY) fail(cmd, Errno.EINVAL);
    if (obj === undefined) fail(cmd, Errno.ENOENT);
    const fd = this.#install(kind, obj, !(openFlags & FileFlag.WRONLY), !(openFlags & FileFlag.RDONLY));
    return this.#fd(fd, kind);
  }

  progGetFdById(id: number, openFlags = 0): Fd {
    const C = Cmd.PROG_GET_FD_BY_ID;
    if (openFlags !== 0) fail(C, Errno.EINVAL);
    return this.#byId(C, 'prog', this.core.progs.get(id), 0);
  }
  mapGetFdById(id: number, openFlags = 0): Fd {
    return this.#byId(Cmd.MAP_GET_FD_BY_ID, 'map', this.core.maps.get(id), openFlags);
  }
  btfGetFdById(id: number, openFlags = 0): Fd {
    const C = Cmd.BTF_GET_FD_BY_ID;
    if (openFlags !== 0) fail(C, Errno.EINVAL);
    return this.#byId(C, 'btf', this.core.btfs.get(id), 0);
  }
  linkGetFdById(_id: number, openFlags = 0): Fd {
    const C = Cmd.LINK_GET_FD_BY_ID;
    if (openFlags !== 0) fail(C, Errno.EINVAL);
    return this.#byId(C, 'link', undefined, 0);
  }

  // --- info ----------------------------------------------------------------------------------

  objGetInfoByFd(fd: number, query: ProgInfoQuery): ProgInfo;
  objGetInfoByFd(fd: number, query: MapInfoQuery): MapInfo;
  objGetInfoByFd(fd: number, query: BtfInfoQuery): BtfInfo;
  objGetInfoByFd(fd: number, query: LinkInfoQuery): LinkInfo;
  objGetInfoByFd(
    fd: number,
    query: ProgInfoQuery | MapInfoQuery | BtfInfoQuery | LinkInfoQuery,
  ): ProgInfo | MapInfo | BtfInfo | LinkInfo {
    const C = Cmd.OBJ_GET_INFO_BY_FD;
    const e = this.#entry(C, fd);
    switch (e.kind) {
      case 'map': {
        if (query.kind !== 'map') fail(C, Errno.EINVAL, `fd ${fd} is a map`);
        return this.#mapInfo(e.obj as BpfMap, query);
      }
      case 'prog': {
        if (query.kind !== 'prog') fail(C, Errno.EINVAL, `fd ${fd} is a program`);
        return this.#progInfo(e.obj as Prog, query);
      }
      case 'btf': {
        if (query.kind !== 'btf') fail(C, Errno.EINVAL, `fd ${fd} is a BTF object`);
        const btf = e.obj as Btf;
        const info: BtfInfo = { id: btf.id, btfSize: btf.data.length, name: '', kernelBtf: btf.kernel };
        if (query.btf !== undefined) {
          query.btf.set(btf.data.subarray(0, Math.min(query.btf.length, btf.data.length)));
          if (query.btf.length >= btf.data.length) info.btf = btf.data.slice();
        }
        // Like Linux: kernel BTF copies its name (truncated, NUL-terminated) and a buffer too
        // small for it is ENOSPC; other BTF objects get an empty name.
        const nb = query.name;
        if (nb !== undefined && nb.length > 0) {
          const name = new TextEncoder().encode(btf.name);
          const n = Math.min(name.length, nb.length - 1);
          nb.set(name.subarray(0, n));
          nb[n] = 0;
          if (n < name.length) fail(C, Errno.ENOSPC, 'name');
          info.name = btf.name;
        }
        return info;
      }
      default:
        fail(C, Errno.EINVAL);
    }
  }

  #mapInfo(map: BpfMap, query: MapInfoQuery): MapInfo {
    const C = Cmd.OBJ_GET_INFO_BY_FD;
    const mb = MAP_BTF.get(map);
    const info: MapInfo = {
      type: map.type,
      id: map.id,
      keySize: map.keySize,
      valueSize: map.valueSize,
      maxEntries: map.maxEntries,
      mapFlags: map.flags,
      name: map.name,
      ifindex: 0,
      btfVmlinuxValueTypeId: 0,
      netnsDev: 0n,
      netnsIno: 0n,
      btfId: mb?.btf.id ?? 0,
      btfKeyTypeId: mb?.keyTypeId ?? 0,
      btfValueTypeId: mb?.valueTypeId ?? 0,
      btfVmlinuxId: 0,
      mapExtra: map.mapExtra,
    };
    if (query.hash !== undefined) {
      const content = map.contentBytes?.();
      if (content === undefined) fail(C, Errno.EINVAL, 'only array maps have a content hash');
      if (query.hash.length !== SHA256_SIZE) fail(C, Errno.EINVAL, 'hash_size must be 32');
      if (!map.frozen) fail(C, Errno.EPERM, 'the map is not frozen');
      const h = mapContentHash(content, map.valueSize, map.maxEntries);
      query.hash.set(h);
      map.sha = h.slice();
      info.hash = h;
    }
    return info;
  }

  #progInfo(prog: Prog, query: ProgInfoQuery): ProgInfo {
    const pb = PROG_BTF.get(prog);
    if (query.mapIds !== undefined) {
      const dv = new DataView(query.mapIds.buffer, query.mapIds.byteOffset, query.mapIds.byteLength);
      for (let i = 0; i < prog.maps.length && (i + 1) * 4 <= query.mapIds.length; i++) {
        dv.setUint32(i * 4, prog.maps[i]!.id, true);
      }
    }
    const xlated =
      this.proc.capable('CAP_SYS_ADMIN') || this.proc.perfmonCapable ? encodeInsns(prog.insns) : undefined;
    if (query.xlatedProgInsns !== undefined && xlated !== undefined) {
      query.xlatedProgInsns.set(xlated.subarray(0, Math.min(xlated.length, query.xlatedProgInsns.length)));
    }
    return {
      type: prog.type,
      id: prog.id,
      tag: progTag(prog.bytes),
      jitedProgLen: 0,
      xlatedProgLen: xlated?.length ?? 0,
      loadTime: prog.meta.loadTime,
      createdByUid: prog.meta.uid,
      nrMapIds: prog.maps.length,
      name: prog.meta.name,
      ifindex: 0,
      gplCompatible: prog.meta.gpl,
      netnsDev: 0n,
      netnsIno: 0n,
      nrJitedKsyms: 0,
      nrJitedFuncLens: 0,
      // Linux reports its own record sizes whatever the load used; the counts only to bpf_capable().
      btfId: pb?.btf.id ?? 0,
      funcInfoRecSize: FUNC_INFO_REC,
      nrFuncInfo: this.proc.bpfCapable ? (pb?.nrFuncInfo ?? 0) : 0,
      nrLineInfo: this.proc.bpfCapable ? (pb?.nrLineInfo ?? 0) : 0,
      nrJitedLineInfo: 0,
      lineInfoRecSize: LINE_INFO_REC,
      jitedLineInfoRecSize: 8,
      nrProgTags: 0,
      runTimeNs: 0n,
      runCnt: 0n,
      recursionMisses: 0n,
      verifiedInsns: prog.bytes.length / 8,
      attachBtfObjId: 0,
      attachBtfId: 0,
    };
  }
}

/** The built-in BPF machine: the {@link Backend} of its default process, and the machine's state. */
export class Machine extends MachineContext {
  /**
   * @param opts - CPUs, kernel profile, the default process's privileges, keyrings, clock
   */
  constructor(opts: MachineOptions = {}) {
    const core = new MachineCore(opts);
    const p = new Process(core.nextPid++, {
      caps: opts.caps ?? ALL_CAPS,
      uid: opts.uid,
      gid: opts.gid,
      comm: opts.comm,
    });
    super(core, p);
  }

  /** A new process of this machine, with its own (empty) fd table; returns its backend. */
  process(opts: ProcessOptions = {}): MachineContext {
    const core = this.core;
    return new (class extends MachineContext {
      constructor() {
        super(core, new Process(core.nextPid++, opts));
      }
    })();
  }

  /** Number of possible CPUs. */
  get cpus(): number {
    return this.core.cpus;
  }

  /** The kernel profile. */
  get profile(): Readonly<KernelProfile> {
    return this.core.profile;
  }

  /** Keyrings given at construction. */
  get keyrings(): Keyrings | undefined {
    return this.core.keyrings;
  }

  /** The LSM layer: IPE policies (install, activate, replace, list), hook decisions, audit log. */
  get lsm(): MachineLsm {
    return this.core.lsm;
  }

  /** The IPE audit log of the machine (shorthand for `lsm.auditLog()`). */
  auditLog(): ReturnType<MachineLsm['auditLog']> {
    return this.core.lsm.auditLog();
  }

  /** The machine's bpffs (mkdir, unlink, list). */
  get bpffs(): Bpffs {
    return this.core.bpffs;
  }

  /** Lines written by `bpf_trace_printk`, oldest first (the machine's trace_pipe). */
  get trace(): string[] {
    return this.core.trace;
  }

  /** The machine clock (ns). */
  now(): bigint {
    return this.core.clock();
  }

  /** The map with global id `id` (tools and tests; no privilege check), or undefined. */
  mapById(id: number): BpfMap | undefined {
    return this.core.maps.get(id);
  }

  /** The program with global id `id`, or undefined. */
  progById(id: number): Prog | undefined {
    return this.core.progs.get(id);
  }

  /** Number of live maps, programs and BTF objects (for leak checks). */
  get objectCounts(): { maps: number; progs: number; btfs: number } {
    return { maps: this.core.maps.size, progs: this.core.progs.size, btfs: this.core.btfs.size };
  }

  /** A ring buffer map's consumer side (what user space mmaps), or undefined for other fds. */
  ringbuf(fd: number): RingbufMap | undefined {
    const m = this.mapOf(fd);
    return m instanceof RingbufMap ? m : undefined;
  }

  /**
   * `mmap(2)` of an array map created with BPF_F_MMAPABLE: the live values (element stride
   * round_up(value_size, 8)). A writable mapping needs a writable fd and an unfrozen map (EPERM),
   * and makes `BPF_MAP_FREEZE` fail with EBUSY until {@link Machine.munmap}. Other maps: ENODEV
   * (no mmap) or EINVAL (an array without BPF_F_MMAPABLE), as in the kernel.
   */
  mmap(fd: number, writable = false): Uint8Array {
    const e = this.proc.fds.get(fd);
    if (e === undefined) throw new BpfError('mmap', Errno.EBADF);
    if (e.kind !== 'map') throw new BpfError('mmap', Errno.ENODEV);
    const map = e.obj as BpfMap;
    if (!(map instanceof ArrayMap) || map.percpu) {
      throw new BpfError(
        'mmap',
        map instanceof RingbufMap ? Errno.EINVAL : Errno.ENODEV,
        'ring buffers: use ringbuf()',
      );
    }
    if (!(map.flags & MapFlag.MMAPABLE)) throw new BpfError('mmap', Errno.EINVAL);
    if (writable) {
      if (!e.write || map.frozen) throw new BpfError('mmap', Errno.EPERM);
      map.writableMappings++;
    }
    return map.storage;
  }

  /** Ends a writable mapping made by {@link Machine.mmap}. */
  munmap(fd: number): void {
    const map = this.mapOf(fd);
    if (map instanceof ArrayMap && map.writableMappings > 0) map.writableMappings--;
  }

  /** The machine's sysctl knobs. */
  get sysctl(): MachineSysctl {
    const core = this.core;
    return {
      get unprivilegedBpfDisabled(): 0 | 1 | 2 {
        return core.unprivilegedBpfDisabled;
      },
      set unprivilegedBpfDisabled(v: 0 | 1 | 2) {
        if (v !== 0 && v !== 1 && v !== 2) throw new BpfError('sysctl', Errno.EINVAL);
        if (core.unprivilegedBpfDisabled === 1 && v !== 1) throw new BpfError('sysctl', Errno.EPERM);
        core.unprivilegedBpfDisabled = v;
      },
    };
  }
}

/** fds 0-2 are the standard streams: open, but not bpf objects (EINVAL rather than EBADF). */
function isStdio(fd: number): boolean {
  return fd === 0 || fd === 1 || fd === 2;
}

/** `sizeof(struct bpf_func_info)` and `sizeof(struct bpf_line_info)`. */
const FUNC_INFO_REC = 8;
const LINE_INFO_REC = 16;

/** A map's BTF (`map->btf` and its key/value type ids), for its info. */
const MAP_BTF = new WeakMap<BpfMap, { btf: Btf; keyTypeId: number; valueTypeId: number }>();
/** A program's BTF (`prog->aux->btf`) and its func_info/line_info counts, for its info. */
const PROG_BTF = new WeakMap<Prog, { btf: Btf; nrFuncInfo: number; nrLineInfo: number }>();

/**
 * Linux's map_check_btf for `map` (errno or undefined): the key type (0 only for keyless maps)
 * and the value type must have the map's key and value sizes; arrays need a 32-bit int key or,
 * keyless, one DATASEC entry; bloom filters take no key type; the others (hash maps, prog_array,
 * ...) need one, of any kind.
 */
function mapBtfError(map: BpfMap, btf: BtfTypes, keyId: number, valueId: number): number | undefined {
  const sized = (id: number): { size: number; kind: number; id: number } | undefined => {
    if (id === 0 || id >= btf.typeCount) return undefined;
    try {
      const size = btf.sizeOf(id);
      const r = btf.resolve(id);
      const k = btf.kindOf(r);
      const to = k === BTF_KIND.VAR ? btf.resolve(btf.sizeOrType(r)) : r;
      return { size, kind: btf.kindOf(to), id: to };
    } catch {
      return undefined;
    }
  };
  const key = keyId === 0 ? undefined : sized(keyId);
  if (keyId !== 0 && (key === undefined || key.size !== map.keySize)) return Errno.EINVAL;
  const value = sized(valueId);
  if (value === undefined || value.size !== map.valueSize) return Errno.EINVAL;
  const t = map.type;
  if (t === MapType.ARRAY || t === MapType.PERCPU_ARRAY) {
    if (key === undefined)
      return t === MapType.ARRAY && map.maxEntries === 1 && value.kind === BTF_KIND.DATASEC
        ? undefined
        : Errno.EINVAL;
    if (key.kind !== BTF_KIND.INT) return Errno.EINVAL;
    const data = btf.rawRecord(key.id)[3] ?? 0;
    return (data & 0xff) === 32 && ((data >>> 16) & 0xff) === 0 ? undefined : Errno.EINVAL;
  }
  if (t === MapType.BLOOM_FILTER) return key === undefined ? undefined : Errno.EINVAL;
  return key === undefined ? Errno.EINVAL : undefined;
}

function writeLog(buf: Uint8Array, log: string): void {
  const bytes = new TextEncoder().encode(log);
  const n = Math.min(bytes.length, buf.length - 1);
  buf.set(bytes.subarray(0, n));
  buf[n] = 0;
}

/** Element size of a per-CPU value slot in syscall buffers: round_up(value_size, 8). */
export function percpuStride(valueSize: number): number {
  return round8(valueSize);
}
