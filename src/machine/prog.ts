/**
 * Programs of the machine: `BPF_PROG_LOAD` with the kernel's attr rules.
 *
 * Program types ({@link checkProgType}, {@link checkAttachBtf}): every type Linux 6.18 loads on
 * the project's host, with its privileges (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON), the attach
 * types PROG_LOAD accepts for it, the sleepable rules, the kernel lockdown mode
 * ({@link Lockdown}) and the BTF-attached types (tracing, LSM, extension, struct_ops) refused
 * with the kernel's errno and line. Then a structural check that reproduces the kernel's answers
 * (errno and log line) for the structural faults, in the kernel's order, before the verifier:
 *
 * 1. bpf-to-bpf calls: CAP_BPF needed, targets inside the program (`call to invalid destination`);
 * 2. subprograms: jumps stay inside their subprogram (`jump out of range from insn A to B`), each
 *    subprogram ends with exit or ja (`last insn is not an exit or jmp`);
 * 3. instructions: LDX fields (`BPF_LDX uses reserved fields`), known opcodes (`unknown opcode
 *    XX`), `ld_imm64` pairs and pseudo kinds, map references (`fd N is not pointing to valid bpf_map`, fd_array rules, direct value
 *    access, exclusive maps: `program's hash doesn't match map's excl_prog_hash`, EACCES);
 * 4. control flow: every instruction reachable (`unreachable insn N`), no back-edges for
 *    unprivileged loaders;
 *
 * What Linux checks only for the instructions its walk (do_check) visits is left to the static
 * verifier, which walks the program the same way: helper calls (`invalid func`, then `program of
 * this type cannot use helper`, then the GPL-only line, as check_helper_call orders them),
 * registers read before written (`!read_ok`), and every other reserved field and register
 * number (`BPF_ALU uses reserved fields`, `R11 is invalid`, ...: bench/verifier/
 * probe-dead-reserved.ts lists which Linux 6.18 checks up front and which in the walk). So an
 * unknown helper id (e.g. a CO-RE-poisoned `call 0xbad2310`), a read of an unwritten register or
 * an instruction with a reserved field set on a branch the verifier proves dead loads, as on
 * Linux. The engine stays safe: such code never runs, and if it did the engine would fault (on
 * the unknown helper; on an invalid instruction, which the image keeps as a faulting opcode).
 *
 * Logs end with the kernel's statistics line for a program the verifier did not walk.
 *
 * @module
 */

import { BTF_KIND } from '../btf/kinds.js';
import { progHash } from '../hash/index.js';
import type { Insn } from '../isa/insn.js';
import { LD_IMM64, Pseudo } from '../isa/opcodes.js';
import { Errno } from '../sys/errors.js';
import { AttachType, Helper, MapType, ProgFlag, ProgType } from '../uapi/constants.js';
import type { EngineMap, MapResolver } from './engine/env.js';
import { type ProgramImage, prepareProgram } from './engine/program.js';
import type { HeldProg } from './maps/fdarray.js';
import type { BpfMap } from './maps/map.js';
import type { SignatureVerdict } from './signature/index.js';
import { LOADABLE_PROG_TYPES } from './verifier/progtypes.js';

/** Program types the machine loads (see {@link LOADABLE_PROG_TYPES}). */
export const MACHINE_PROG_TYPES: ReadonlySet<number> = LOADABLE_PROG_TYPES;

/** Program types that need CAP_NET_ADMIN (the kernel's `is_net_admin_prog_type`). */
const NET_ADMIN_TYPES: ReadonlySet<number> = new Set([
  ProgType.SCHED_CLS,
  ProgType.SCHED_ACT,
  ProgType.XDP,
  ProgType.LWT_IN,
  ProgType.LWT_OUT,
  ProgType.LWT_XMIT,
  ProgType.LWT_SEG6LOCAL,
  ProgType.SK_SKB,
  ProgType.SK_MSG,
  ProgType.FLOW_DISSECTOR,
  ProgType.CGROUP_DEVICE,
  ProgType.CGROUP_SOCK,
  ProgType.CGROUP_SOCK_ADDR,
  ProgType.CGROUP_SOCKOPT,
  ProgType.CGROUP_SYSCTL,
  ProgType.SOCK_OPS,
  ProgType.EXT,
  ProgType.NETFILTER,
]);

/** Program types that need CAP_PERFMON (the kernel's `is_perfmon_prog_type`). */
const PERFMON_TYPES: ReadonlySet<number> = new Set([
  ProgType.KPROBE,
  ProgType.TRACEPOINT,
  ProgType.PERF_EVENT,
  ProgType.RAW_TRACEPOINT,
  ProgType.RAW_TRACEPOINT_WRITABLE,
  ProgType.TRACING,
  ProgType.LSM,
  ProgType.STRUCT_OPS,
  ProgType.EXT,
]);

/** Map types a sleepable program may use (Linux 6.18, checked with syscall programs). */
const SLEEPABLE_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS,
  MapType.QUEUE,
  MapType.STACK,
  MapType.RINGBUF,
  MapType.USER_RINGBUF,
]);
const SLEEPABLE_MAPS_LINE = 'Sleepable programs can only use array, hash, ringbuf and local storage maps';

const HELPER_NAMES = new Map<number, string>(Object.entries(Helper).map(([k, v]) => [v as number, k]));

/** The kernel's `bpf_<name>` of helper `id` (`unknown` past the last helper). */
export function helperName(id: number): string {
  const n = HELPER_NAMES.get(id);
  return n === undefined ? 'unknown' : `bpf_${n}`;
}

/** Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
export function licenseIsGpl(license: string): boolean {
  return [
    'GPL',
    'GPL v2',
    'GPL and additional rights',
    'Dual BSD/GPL',
    'Dual MIT/GPL',
    'Dual MPL/GPL',
  ].includes(license);
}

/** The verifier's closing statistics line for a program it did not walk. */
export function statsLine(processed: number): string {
  return `processed ${processed} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0`;
}

/** A loaded program. */
export class Prog implements HeldProg {
  /** Global id (set by the machine). */
  id = 0;
  /** References: fds, pins, links, prog_array slots. */
  refcnt = 0;
  /** Called once when the last reference goes. */
  onFree: ((p: Prog) => void) | undefined;
  /** Run statistics. */
  runCnt = 0n;
  /** Run time statistics (ns). */
  runTimeNs = 0n;
  /** Signature verdict of the load (and of metadata checks since), for policy. */
  signature: SignatureVerdict = { state: 'UNSIGNED' };

  /**
   * @param type - `BPF_PROG_TYPE_*`
   * @param insns - the instructions as loaded
   * @param bytes - their little-endian bytes
   * @param image - the prepared image the engine runs
   * @param maps - maps the program uses (the program holds a reference to each)
   * @param meta - name, license, flags, attach type, creator and load time
   */
  constructor(
    readonly type: number,
    readonly insns: readonly Insn[],
    readonly bytes: Uint8Array,
    readonly image: ProgramImage,
    readonly maps: BpfMap[],
    readonly meta: {
      name: string;
      gpl: boolean;
      flags: number;
      expectedAttachType: number;
      uid: number;
      loadTime: bigint;
    },
  ) {}

  /** SHA-256 program hash (`excl_prog_hash` of the maps it may use). */
  get hash(): Uint8Array {
    return progHash(this.bytes);
  }

  /** `BPF_F_SLEEPABLE`. */
  get sleepable(): boolean {
    return (this.meta.flags & ProgFlag.SLEEPABLE) !== 0;
  }

  /** Takes a reference. */
  acquire(): void {
    this.refcnt++;
  }

  /** Drops a reference; the last one releases the maps and frees the id. */
  release(): void {
    if (--this.refcnt === 0) {
      for (const m of this.maps.splice(0)) m.release();
      this.onFree?.(this);
    }
  }

  /** Binds `map` to the program (`BPF_PROG_BIND_MAP`); no-op when already bound. */
  bindMap(map: BpfMap): void {
    if (this.maps.includes(map)) return;
    map.acquire();
    this.maps.push(map);
  }
}

/** What the loader needs from the machine. */
export interface LoadContext {
  /** The loading process may use CAP_BPF things (bpf_capable()). */
  bpfCapable: boolean;
  /** The map an fd of the loading process refers to: the map, or -EBADF / -EINVAL. */
  mapByFd(fd: number): BpfMap | number;
  /** Whether the fd refers to a BTF object. */
  isBtfFd(fd: number): boolean;
  /**
   * Check maps bound through fd_array_cnt against the program's real hash (true), or against the
   * 32 zero bytes Linux 6.18 compares them with, its digest not being computed yet (false).
   */
  strictExclusiveFdArray: boolean;
  /** `BPF_F_SLEEPABLE`: only some map types may be used (Linux's check_map_prog_compatibility). */
  sleepable?: boolean;
  /**
   * Resolves a kfunc call (`call` src 2): `btfFd` is fd_array[off] (undefined for off 0, i.e.
   * vmlinux), `btfId` the call's imm. Returns undefined when the machine provides that kfunc to
   * this program type, else the verifier's message. Absent: no kfunc is available.
   */
  kfunc?(btfFd: number | undefined, btfId: number, progType: number): string | undefined;
  /** The machine's lockdown mode (default 'none'): `confidentiality` removes the kernel-read helpers. */
  lockdown?: Lockdown;
}

/** A failed load: errno (positive) and the log lines. */
export interface LoadFailure {
  errno: number;
  log: string[];
}

/** A successful check: the instructions, the used maps (in order of first use) and the image. */
export interface LoadSuccess {
  insns: Insn[];
  maps: BpfMap[];
  image: ProgramImage;
}

const VALID_OPCODES: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  for (const cls of [0x04, 0x07]) {
    for (let op = 0x00; op <= 0xc0; op += 0x10) {
      s.add(cls | op);
      if (op !== 0x80) s.add(cls | op | 0x08);
    }
  }
  s.add(0xd4).add(0xdc).add(0xd7);
  for (const cls of [0x05, 0x06]) {
    s.add(cls | 0x00);
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      s.add(cls | op).add(cls | op | 0x08);
    }
  }
  s.add(0x85).add(0x95).add(0xe5);
  for (const c of [0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) s.add(c);
  for (const c of [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]) s.add(c);
  for (const c of [0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xcb, 0xd3]) s.add(c);
  return s;
})();

interface Slot {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** The digest Linux 6.18 holds while it binds fd_array_cnt maps: not yet computed. */
const ZERO_DIGEST = new Uint8Array(32);

function readSlots(bytes: Uint8Array): Slot[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Slot[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) {
    out.push({
      code: bytes[p]!,
      dst: bytes[p + 1]! & 0xf,
      src: bytes[p + 1]! >> 4,
      off: dv.getInt16(p + 2, true),
      imm: dv.getInt32(p + 4, true),
    });
  }
  return out;
}

const isJmp = (code: number): boolean => (code & 7) === 0x05 || (code & 7) === 0x06;
const jumpTarget = (s: Slot, i: number): number =>
  s.code === 0x06 ? i + s.imm + 1 : i + s.off + 1; /* gotol uses imm */

/**
 * The structural check and map resolution of `BPF_PROG_LOAD`. `bytes` are the instructions,
 * `fdArray` the load's fd_array (`cnt`: whether `fd_array_cnt` was given).
 */
export function checkProgram(
  ctx: LoadContext,
  progType: number,
  bytes: Uint8Array,
  fdArray: Int32Array | undefined,
  fdArrayCnt: boolean,
): LoadSuccess | LoadFailure {
  const slots = readSlots(bytes);
  const n = slots.length;
  const fail = (errno: number, ...lines: string[]): LoadFailure => ({ errno, log: [...lines, statsLine(0)] });
  const used: BpfMap[] = [];
  const hash = progHash(bytes);

  // fd_array_cnt: every fd is bound up front, and checked against the digest the kernel has at
  // that point: none yet (zeros), unless the profile asks for the real hash.
  if (fdArray !== undefined && fdArrayCnt) {
    const early = ctx.strictExclusiveFdArray ? hash : ZERO_DIGEST;
    for (const fd of fdArray) {
      const m = ctx.mapByFd(fd);
      if (typeof m !== 'number') {
        if (!used.includes(m)) {
          if (m.exclProgHash !== undefined && !equal(m.exclProgHash, early)) {
            return fail(Errno.EACCES, "program's hash doesn't match map's excl_prog_hash");
          }
          if (ctx.sleepable && !SLEEPABLE_MAP_TYPES.has(m.type))
            return fail(Errno.EINVAL, SLEEPABLE_MAPS_LINE);
          used.push(m);
        }
        continue;
      }
      if (ctx.isBtfFd(fd)) continue;
      return fail(-m, `fd ${fd} is not pointing to valid bpf_map or btf`);
    }
  }

  // 1. subprograms from pseudo calls and function pointers.
  const starts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    const pseudoCall = s.code === 0x85 && s.src === 1;
    const pseudoFunc = s.code === LD_IMM64 && s.src === Pseudo.FUNC;
    if (pseudoCall || pseudoFunc) {
      if (!ctx.bpfCapable) {
        return fail(
          Errno.EPERM,
          'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN',
        );
      }
      const t = i + s.imm + 1;
      if (t < 0 || t >= n) return fail(Errno.EINVAL, 'call to invalid destination');
      starts.add(t);
    }
    if (s.code === 0x85 && s.src === 2) {
      const off = s.off;
      // Linux looks a module's BTF up in fd_array; without one: EPROTO (probe-dead-reserved.ts).
      if (off > 0 && fdArray === undefined)
        return fail(Errno.EPROTO, 'failed to find BTF for kernel function');
      const btfFd = off > 0 ? fdArray?.[off] : undefined;
      if (off < 0 || (off > 0 && btfFd === undefined))
        return fail(Errno.EINVAL, `kfunc call at insn ${i}: no BTF fd at fd_array[${off}]`);
      const why = ctx.kfunc
        ? ctx.kfunc(btfFd, s.imm, progType)
        : 'calling kernel functions is not supported by the machine';
      if (why !== undefined) return fail(Errno.EINVAL, why);
    }
    if (s.code === LD_IMM64) i++;
  }
  const sorted = [...starts].sort((a, b) => a - b);

  // 2. jumps inside their subprogram; each subprogram ends with exit or ja.
  for (let k = 0; k < sorted.length; k++) {
    const start = sorted[k]!;
    const end = k + 1 < sorted.length ? sorted[k + 1]! : n;
    for (let i = start; i < end; i++) {
      const s = slots[i]!;
      if (isJmp(s.code)) {
        const op = s.code & 0xf0;
        if (op !== 0x90 && op !== 0x80) {
          const t = jumpTarget(s, i);
          if (t < start || t >= end) return fail(Errno.EINVAL, `jump out of range from insn ${i} to ${t}`);
        }
      }
      if (i === end - 1 && s.code !== 0x95 && s.code !== 0x05 && s.code !== 0x06) {
        return fail(Errno.EINVAL, 'last insn is not an exit or jmp');
      }
    }
  }

  // 3. opcodes, ld_imm64, maps.
  const second = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    // Linux checks LDX's mode and imm before the opcode (so `0x21` is a reserved-field line).
    if ((s.code & 7) === 0x01 && (((s.code & 0xe0) !== 0x60 && (s.code & 0xe0) !== 0x80) || s.imm !== 0)) {
      return fail(Errno.EINVAL, 'BPF_LDX uses reserved fields');
    }
    if (!VALID_OPCODES.has(s.code))
      return fail(Errno.EINVAL, `unknown opcode ${s.code.toString(16).padStart(2, '0')}`);
    if (s.code !== LD_IMM64) continue;
    const t = slots[i + 1];
    if (i === n - 1 || t === undefined || t.code !== 0 || t.dst !== 0 || t.src !== 0 || t.off !== 0) {
      return fail(Errno.EINVAL, 'invalid bpf_ld_imm64 insn');
    }
    second[i + 1] = 1;
    const src = s.src;
    if (src === Pseudo.NONE || src === Pseudo.FUNC) {
      i++;
      continue;
    }
    if (src === Pseudo.BTF_ID)
      return fail(Errno.EINVAL, 'pseudo btf_id loads are not supported by the machine');
    if (
      src !== Pseudo.MAP_VALUE &&
      src !== Pseudo.MAP_IDX_VALUE &&
      !((src === Pseudo.MAP_FD || src === Pseudo.MAP_IDX) && t.imm === 0)
    ) {
      return fail(Errno.EINVAL, 'unrecognized bpf_ld_imm64 insn');
    }
    let fd = s.imm;
    if (src === Pseudo.MAP_IDX || src === Pseudo.MAP_IDX_VALUE) {
      if (fdArray === undefined) return fail(Errno.EPROTO, 'fd_idx without fd_array is invalid');
      const idx = s.imm >>> 0;
      if (idx >= fdArray.length) return fail(Errno.EFAULT);
      fd = fdArray[idx]!;
    }
    const m = ctx.mapByFd(fd);
    if (typeof m === 'number') return fail(-m, `fd ${fd} is not pointing to valid bpf_map`);
    if (!used.includes(m)) {
      used.push(m);
      if (m.exclProgHash !== undefined && !equal(m.exclProgHash, hash)) {
        return fail(Errno.EACCES, "program's hash doesn't match map's excl_prog_hash");
      }
      if (ctx.sleepable && !SLEEPABLE_MAP_TYPES.has(m.type)) return fail(Errno.EINVAL, SLEEPABLE_MAPS_LINE);
    }
    if (src === Pseudo.MAP_VALUE || src === Pseudo.MAP_IDX_VALUE) {
      const off = t.imm >>> 0;
      if (m.type !== MapType.ARRAY)
        return fail(Errno.EINVAL, 'no direct value access support for this map type');
      if (m.maxEntries !== 1) {
        return fail(
          Errno.ENOTSUPP,
          `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`,
        );
      }
      if (off >= m.valueSize) {
        return fail(
          Errno.EINVAL,
          `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`,
        );
      }
    }
    i++;
  }

  // 4. reachability (and no loops for unprivileged loaders).
  const state = new Uint8Array(n);
  const stack: number[] = [];
  const succ = (i: number): number[] => {
    const s = slots[i]!;
    if (s.code === LD_IMM64) return [i + 2];
    if (!isJmp(s.code)) return [i + 1];
    const op = s.code & 0xf0;
    if (s.code === 0x95) return [];
    if (op === 0x80) return s.src === 1 ? [i + 1, i + s.imm + 1] : [i + 1];
    if (op === 0x00) return [jumpTarget(s, i)];
    return [i + 1, jumpTarget(s, i)];
  };
  for (const st of sorted) {
    if (state[st] !== 0) continue;
    stack.push(st);
    state[st] = 1;
    const iters: number[][] = [succ(st)];
    while (stack.length > 0) {
      const next = iters[iters.length - 1]!.shift();
      if (next === undefined) {
        state[stack.pop()!] = 2;
        iters.pop();
        continue;
      }
      if (next < 0 || next >= n) continue;
      if (state[next] === 1 && !ctx.bpfCapable) {
        return fail(Errno.EINVAL, `back-edge from insn ${stack[stack.length - 1]} to ${next}`);
      }
      if (state[next] !== 0) continue;
      state[next] = 1;
      stack.push(next);
      iters.push(succ(next));
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] === 0 && !second[i]) return fail(Errno.EINVAL, `unreachable insn ${i}`);
  }

  // 5. the logical instructions. Reserved fields and registers above r10 are the verifier's:
  // Linux checks them in do_check, so only where its walk goes (a dead branch may hold them).
  const insns: Insn[] = [];
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    const insn: Insn =
      s.code === LD_IMM64
        ? { code: s.code, dst: s.dst, src: s.src, off: s.off, imm: s.imm, imm2: slots[i + 1]!.imm }
        : { code: s.code, dst: s.dst, src: s.src, off: s.off, imm: s.imm };
    insns.push(insn);
    if (s.code === LD_IMM64) i++;
  }
  const processed = insns.length;

  // The engine's preparation: resolves the maps again (already checked) and predecodes.
  const byFd = new Map<number, BpfMap>();
  const resolver: MapResolver = {
    map(kind, k): EngineMap | undefined {
      const fd = kind === 'idx' ? fdArray?.[k] : k;
      if (fd === undefined) return undefined;
      let m = byFd.get(fd);
      if (m === undefined) {
        const got = ctx.mapByFd(fd);
        if (typeof got === 'number') return undefined;
        m = got;
        byFd.set(fd, m);
      }
      return m;
    },
  };
  let image: ProgramImage;
  try {
    // Instructions with an invalid encoding stay (the verifier refuses them where it walks) but
    // never run: the engine faults on them.
    image = prepareProgram(insns, { resolver, checkUninit: false, invalidInsns: 'fault' });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { errno: /read_ok/.test(msg) ? Errno.EACCES : Errno.EINVAL, log: [msg, statsLine(processed)] };
  }
  return { insns, maps: used, image };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Program flags `BPF_PROG_LOAD` accepts. */
export const PROG_FLAGS_MASK =
  ProgFlag.STRICT_ALIGNMENT |
  ProgFlag.ANY_ALIGNMENT |
  ProgFlag.TEST_STATE_FREQ |
  ProgFlag.SLEEPABLE |
  ProgFlag.TEST_RND_HI32 |
  ProgFlag.XDP_HAS_FRAGS |
  ProgFlag.XDP_DEV_BOUND_ONLY |
  ProgFlag.TEST_REG_INVARIANTS |
  ProgFlag.TOKEN_FD;

/** Whether `progType` needs CAP_NET_ADMIN. */
export function needsNetAdmin(progType: number): boolean {
  return NET_ADMIN_TYPES.has(progType);
}

/** Whether `progType` needs CAP_PERFMON. */
export function needsPerfmon(progType: number): boolean {
  return PERFMON_TYPES.has(progType);
}

/**
 * Kernel lockdown mode the machine models (`/sys/kernel/security/lockdown`). Under `integrity`
 * and `confidentiality`, Linux 6.18 refuses fentry/fexit/fmod_ret tracing programs, LSM programs
 * and extension programs with EPERM at BPF_PROG_LOAD, before the verifier and with an empty log
 * (measured on the project's host, which runs locked down in integrity mode). Under
 * `confidentiality` the kernel-memory read helpers (`bpf_probe_read`, `bpf_probe_read_kernel`,
 * `bpf_probe_read_kernel_str`) are also gone (LOCKDOWN_BPF_READ_KERNEL): a call is `unknown func`.
 * This last rule comes from the kernel's helper tables; no confidentiality host checked it.
 */
export type Lockdown = 'none' | 'integrity' | 'confidentiality';

/** Helpers a `confidentiality` lockdown removes. */
export const LOCKDOWN_READ_KERNEL_HELPERS: ReadonlySet<number> = new Set([4, 113, 115]);

/** Attach types each type accepts at BPF_PROG_LOAD (`bpf_prog_load_check_attach`); absent: any. */
const ATTACH_TYPES: ReadonlyMap<number, ReadonlySet<number>> = new Map<number, ReadonlySet<number>>([
  [ProgType.CGROUP_SKB, new Set([AttachType.CGROUP_INET_INGRESS, AttachType.CGROUP_INET_EGRESS])],
  [
    ProgType.CGROUP_SOCK,
    new Set([
      AttachType.CGROUP_INET_SOCK_CREATE,
      AttachType.CGROUP_INET_SOCK_RELEASE,
      AttachType.CGROUP_INET4_POST_BIND,
      AttachType.CGROUP_INET6_POST_BIND,
    ]),
  ],
  [
    ProgType.CGROUP_SOCK_ADDR,
    new Set([
      AttachType.CGROUP_INET4_BIND,
      AttachType.CGROUP_INET6_BIND,
      AttachType.CGROUP_INET4_CONNECT,
      AttachType.CGROUP_INET6_CONNECT,
      AttachType.CGROUP_UNIX_CONNECT,
      AttachType.CGROUP_INET4_GETPEERNAME,
      AttachType.CGROUP_INET6_GETPEERNAME,
      AttachType.CGROUP_UNIX_GETPEERNAME,
      AttachType.CGROUP_INET4_GETSOCKNAME,
      AttachType.CGROUP_INET6_GETSOCKNAME,
      AttachType.CGROUP_UNIX_GETSOCKNAME,
      AttachType.CGROUP_UDP4_SENDMSG,
      AttachType.CGROUP_UDP6_SENDMSG,
      AttachType.CGROUP_UNIX_SENDMSG,
      AttachType.CGROUP_UDP4_RECVMSG,
      AttachType.CGROUP_UDP6_RECVMSG,
      AttachType.CGROUP_UNIX_RECVMSG,
    ]),
  ],
  [
    ProgType.SK_REUSEPORT,
    new Set([AttachType.SK_REUSEPORT_SELECT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE]),
  ],
  [ProgType.CGROUP_SOCKOPT, new Set([AttachType.CGROUP_SETSOCKOPT, AttachType.CGROUP_GETSOCKOPT])],
  [ProgType.SK_LOOKUP, new Set([AttachType.SK_LOOKUP])],
  [ProgType.SYSCALL, new Set([0])],
  [ProgType.NETFILTER, new Set([AttachType.NETFILTER])],
]);

/** Types whose attach type 0 means another one (`bpf_prog_load_fixup_attach_type`). */
const DEFAULT_ATTACH: ReadonlyMap<number, number> = new Map([
  [ProgType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE],
  [ProgType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT],
]);

/** The kernel BTF `attach_btf_id` is resolved against (the machine's vmlinux BTF). */
export interface AttachBtf {
  /** Valid ids are 0..typeCount-1. */
  readonly typeCount: number;
  /** BTF kind of `id` ({@link BTF_KIND}). */
  kindOf(id: number): number;
  /** Name of `id` ('' when anonymous). */
  nameOf(id: number): string;
}

/** What the program-type checks of BPF_PROG_LOAD need. */
export interface TypeCheckInput {
  progType: number;
  expectedAttachType: number;
  /** `prog_flags`. */
  flags: number;
  /** `attach_btf_id` (0: none). */
  attachBtfId: number;
  /** The license is GPL-compatible. */
  gpl: boolean;
  lockdown: Lockdown;
  bpfCapable: boolean;
  netAdminCapable: boolean;
  perfmonCapable: boolean;
  /** The kernel BTF for `attach_btf_id` (absent: none, every id is invalid). */
  kernelBtf?: AttachBtf;
}

/**
 * The program-type checks of BPF_PROG_LOAD before the verifier runs, in the kernel's order:
 * privileges (CAP_BPF unless socket_filter/cgroup_skb, then CAP_NET_ADMIN or CAP_PERFMON by type:
 * EPERM), the lockdown refusal (EPERM), `attach_btf_id` on a type that takes none, the type's
 * allowed attach types and unknown types (EINVAL, no log). Returns the errno, or the attach type
 * the program is loaded with (0 mapped to the type's default).
 */
export function checkProgType(x: TypeCheckInput): { errno: number } | { attachType: number } {
  const t = x.progType;
  if (t !== ProgType.SOCKET_FILTER && t !== ProgType.CGROUP_SKB && !x.bpfCapable)
    return { errno: Errno.EPERM };
  if (NET_ADMIN_TYPES.has(t) && !x.netAdminCapable) return { errno: Errno.EPERM };
  if (PERFMON_TYPES.has(t) && !x.perfmonCapable) return { errno: Errno.EPERM };
  const a = x.expectedAttachType;
  if (x.lockdown !== 'none' && isTrampolineLoad(t, a)) return { errno: Errno.EPERM };
  const btfTypes =
    t === ProgType.TRACING || t === ProgType.LSM || t === ProgType.STRUCT_OPS || t === ProgType.EXT;
  if (x.attachBtfId !== 0 && !btfTypes) return { errno: Errno.EINVAL };
  const attachType = a === 0 ? (DEFAULT_ATTACH.get(t) ?? 0) : a;
  const allowed = ATTACH_TYPES.get(t);
  if (allowed !== undefined && !allowed.has(attachType)) return { errno: Errno.EINVAL };
  if (!MACHINE_PROG_TYPES.has(t) && !btfTypes) return { errno: Errno.EINVAL };
  return { attachType };
}

/** fentry/fexit/fmod_ret tracing, LSM and extension programs: what a locked-down 6.18 refuses. */
function isTrampolineLoad(progType: number, attachType: number): boolean {
  if (progType === ProgType.LSM || progType === ProgType.EXT) return true;
  return (
    progType === ProgType.TRACING &&
    (attachType === AttachType.TRACE_FENTRY ||
      attachType === AttachType.TRACE_FEXIT ||
      attachType === AttachType.MODIFY_RETURN)
  );
}

/** Types that may be sleepable (`BPF_F_SLEEPABLE`), besides syscall programs (which must be). */
function canSleep(progType: number, attachType: number): boolean {
  switch (progType) {
    case ProgType.TRACING:
      return (
        attachType === AttachType.TRACE_FENTRY ||
        attachType === AttachType.TRACE_FEXIT ||
        attachType === AttachType.MODIFY_RETURN ||
        attachType === AttachType.TRACE_ITER
      );
    case ProgType.LSM:
    case ProgType.KPROBE:
    case ProgType.STRUCT_OPS:
      return true;
    default:
      return false;
  }
}

/**
 * The verifier's first checks, on the program type rather than the instructions
 * (`check_attach_btf_id`): syscall programs must be sleepable, only some types may be; struct_ops
 * programs need a GPL license and a struct_ops type (the machine has none: ENOTSUPP); tracing,
 * LSM and extension programs need an `attach_btf_id` of the kernel BTF of the right kind
 * (`bpf_check_attach_target`): a `btf_trace_*` typedef for tp_btf, a function for iterators,
 * fentry/fexit/fmod_ret, LSM and extensions. The machine's vmlinux BTF (src/machine/btf) has no
 * tracepoints, iterator targets or traceable functions, so a well-formed target is refused too:
 * iterators with the kernel's bare EINVAL, functions with the kernel's ENOENT line for a function
 * without an address, tracepoints with the machine's own line. Returns the refusal, or undefined.
 */
export function checkAttachBtf(x: TypeCheckInput, attachType: number): LoadFailure | undefined {
  const t = x.progType;
  const sleepable = (x.flags & ProgFlag.SLEEPABLE) !== 0;
  const fail = (errno: number, line?: string): LoadFailure => ({
    errno,
    log: line === undefined ? [statsLine(0)] : [line, statsLine(0)],
  });
  if (t === ProgType.SYSCALL)
    return sleepable ? undefined : fail(Errno.EINVAL, 'Syscall programs can only be sleepable');
  if (sleepable && !canSleep(t, attachType))
    return fail(
      Errno.EINVAL,
      'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable',
    );
  if (t === ProgType.STRUCT_OPS) {
    if (!x.gpl) return fail(Errno.EINVAL, 'struct ops programs must have a GPL compatible license');
    if (x.attachBtfId === 0) return fail(Errno.ENOTSUPP);
    return fail(Errno.ENOTSUPP, `attach_btf_id ${x.attachBtfId} is not a supported struct`);
  }
  if (t !== ProgType.TRACING && t !== ProgType.LSM && t !== ProgType.EXT) return undefined;
  const id = x.attachBtfId;
  if (id === 0) return fail(Errno.EINVAL, 'Tracing programs must provide btf_id');
  const btf = x.kernelBtf;
  if (btf === undefined || id >= btf.typeCount) return fail(Errno.EINVAL, `attach_btf_id ${id} is invalid`);
  const kind = btf.kindOf(id);
  const name = btf.nameOf(id);
  if (t === ProgType.TRACING && attachType === AttachType.TRACE_RAW_TP) {
    if (kind !== BTF_KIND.TYPEDEF) return fail(Errno.EINVAL, `attach_btf_id ${id} is not a typedef`);
    if (!name.startsWith('btf_trace_'))
      return fail(Errno.EINVAL, `attach_btf_id ${id} points to wrong type name ${name}`);
    return fail(Errno.EINVAL, `tp_btf/${name.slice(10)}: the machine has no such tracepoint`);
  }
  if (t === ProgType.TRACING && attachType === AttachType.TRACE_ITER) {
    if (kind !== BTF_KIND.FUNC) return fail(Errno.EINVAL, `attach_btf_id ${id} is not a function`);
    return fail(Errno.EINVAL);
  }
  const trampoline =
    t === ProgType.EXT ||
    (t === ProgType.LSM && (attachType === AttachType.LSM_MAC || attachType === AttachType.LSM_CGROUP)) ||
    (t === ProgType.TRACING &&
      (attachType === AttachType.TRACE_FENTRY ||
        attachType === AttachType.TRACE_FEXIT ||
        attachType === AttachType.MODIFY_RETURN));
  if (!trampoline) return fail(Errno.EINVAL);
  if (kind !== BTF_KIND.FUNC) return fail(Errno.EINVAL, `attach_btf_id ${id} is not a function`);
  return fail(Errno.ENOENT, `The address of function ${name} cannot be found`);
}
