/**
 * The machine's static verifier: the structural checks of Linux's BPF verifier (subprograms,
 * jump ranges, reachability, last instruction), then abstract interpretation of every path with
 * state pruning (register types, scalar bounds, stack slots, memory access rules, helper
 * prototypes, references), with the kernel's log lines.
 *
 * It is sound by construction: anything it does not model is refused with a line saying so.
 *
 * @module
 */

import { formatLlvm } from '../../isa/asm/llvm.js';
import { encodingError, type Insn } from '../../isa/insn.js';
import { LD_IMM64, Pseudo } from '../../isa/opcodes.js';
import { Helper, MapFlag, MapType, ProgType } from '../../uapi/constants.js';
import { ctxAccess, packetWritable } from './ctx.js';
import { checkFuncInfo, type FuncDesc, type GlobalArgs, globalArgs } from './funcs.js';
import { HELPERS, type HelperProto, helperAllowed, KNOWN_MAP_TYPES, mapFitsHelper } from './helpers.js';
import { returnRange } from './progtypes.js';
import type { Scalar } from './scalar.js';
import * as S from './scalar.js';
import { checkSnprintfCall, constString } from './snprintf.js';
import {
  isSkbSkLoad,
  SOCK_COMMON_EXPECTED,
  SOCK_HELPERS,
  type SockKind,
  sockAccess,
  sockConversionFails,
} from './sock.js';
import type { VerifierMap, VerifyOptions, VerifyResult } from './types.js';

const HELPER_NAMES = new Map<number, string>(Object.entries(Helper).map(([k, v]) => [v as number, k]));
HELPER_NAMES.delete(0);

const EINVAL = 22;
const EACCES = 13;
const EPERM = 1;
const E2BIG = 7;
const EFAULT = 14;
const ENOMEM = 12;
const ENOTSUPP = 524;

/** Stack bytes per frame. */
export const MAX_BPF_STACK = 512;
/** Call frames at most. */
export const MAX_CALL_FRAMES = 8;
/** Processed-instruction budget. */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
const COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const MAX_VAR_OFF = 1 << 29;

type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'stack'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'mem'
  | 'func'
  | SockKind;

/** A register's abstract value. Treated as immutable once stored in a state. */
interface Reg {
  readonly t: RegType;
  /** Scalar value, or the variable part of a pointer's offset. */
  readonly s: Scalar;
  /** Fixed part of a pointer's offset. */
  readonly off: number;
  /** Identity for null checks and packet range sharing (0: none). */
  readonly id: number;
  /** Pointer may be NULL (`*_or_null`). */
  readonly nullable: boolean;
  /** Reference held (ringbuf records), 0 when none. */
  readonly ref: number;
  readonly map?: VerifierMap | undefined;
  /** Packet bytes proven readable from the packet start + off. */
  readonly range: number;
  /** Frame of a stack pointer. */
  readonly frame: number;
  /** Size of PTR_TO_MEM. */
  readonly memSize: number;
}

const ZERO = S.constant(0n);

function mkReg(t: RegType, extra: Partial<Reg> = {}): Reg {
  return {
    t,
    s: ZERO,
    off: 0,
    id: 0,
    nullable: false,
    ref: 0,
    map: undefined,
    range: 0,
    frame: 0,
    memSize: 0,
    ...extra,
  };
}

const NOT_INIT: Reg = mkReg('not_init');

/** `r` with the scalar part `s` (every field written: one object shape for all registers). */
function withScalar(r: Reg, s: Scalar): Reg {
  return {
    t: r.t,
    s,
    off: r.off,
    id: r.id,
    nullable: r.nullable,
    ref: r.ref,
    map: r.map,
    range: r.range,
    frame: r.frame,
    memSize: r.memSize,
  };
}
/** A scalar register (built directly: this is the hottest allocation of the walk). */
const scalarReg = (s: Scalar): Reg => ({
  t: 'scalar',
  s,
  off: 0,
  id: 0,
  nullable: false,
  ref: 0,
  map: undefined,
  range: 0,
  frame: 0,
  memSize: 0,
});
/** Registers and scalars are never changed in place, so every unknown scalar can be one object. */
const UNKNOWN_REG: Reg = scalarReg(S.unknown());
const UNKNOWN = (): Reg => UNKNOWN_REG;

/**
 * Helpers Linux offers only to bpf_capable (bpf_loop) or perfmon_capable (trace_printk,
 * get_current_comm, get_current_task, probe_read_kernel[_str], snprintf) loaders: for others the program type has no
 * such helper (checked against Linux 6.18 by test/verifier/unpriv.test.ts, test/machine/snprintf).
 */
const PRIVILEGED_HELPERS: ReadonlySet<number> = new Set([6, 16, 35, 113, 115, 165, 181]);

/**
 * The stack depth a path has written in frame `fr` (the kernel's allocated_stack, in whole 8-byte
 * slots): unprivileged loads may not read below it.
 */
function allocatedStack(fr: Frame): number {
  for (let b = 0; b < MAX_BPF_STACK; b++) if (fr.stype[b] !== ST_INVALID) return (MAX_BPF_STACK - b + 7) & ~7;
  return 0;
}

/** The kernel's struct behind each map type, named when an unprivileged program reads a map pointer. */
const MAP_STRUCT_NAMES: ReadonlyMap<number, string> = new Map([
  [MapType.ARRAY, 'bpf_array'],
  [MapType.PERCPU_ARRAY, 'bpf_array'],
  [MapType.PROG_ARRAY, 'bpf_array'],
  [MapType.ARRAY_OF_MAPS, 'bpf_array'],
  [MapType.HASH, 'bpf_htab'],
  [MapType.PERCPU_HASH, 'bpf_htab'],
  [MapType.LRU_HASH, 'bpf_htab'],
  [MapType.LRU_PERCPU_HASH, 'bpf_htab'],
  [MapType.HASH_OF_MAPS, 'bpf_htab'],
]);

/**
 * Helpers whose result Linux bounds by their size argument (the argument register, by helper id):
 * probe_read_str, get_stack, probe_read_user_str, probe_read_kernel_str, get_task_stack.
 */
const STR_RET_SIZE_ARG: ReadonlyMap<number, number> = new Map([
  [45, 2],
  [67, 3],
  [114, 2],
  [115, 2],
  [141, 3],
]);

/** Pointer types Linux knows are never NULL (its reg_not_null), when not `*_or_null`. */
const NEVER_NULL: ReadonlySet<RegType> = new Set<RegType>([
  'sock',
  'sock_common',
  'tcp_sock',
  'map_value',
  'map_ptr',
  'mem',
]);

/** Pointer types whose accesses Linux rewrites per instruction (auxPtrType). */
const AUX_REWRITTEN: ReadonlySet<RegType> = new Set<RegType>(['ctx', 'sock', 'sock_common', 'tcp_sock']);

/** Tail of Linux's refusals of unprivileged pointer arithmetic. */
const SAN_WHY = 'pointer arithmetic with it prohibited for !root';

/** What the first half of the unprivileged pointer arithmetic check hands to the commit half. */
interface Sanitation {
  state: string;
  limit: number;
  toLeft: boolean;
}

/**
 * Linux's retrieve_ptr_limit: how far a stack or map value pointer may move (to the left when
 * `toLeft`); -1 when it is already out of its object, undefined for other pointer types.
 */
function ptrLimit(r: Reg, toLeft: boolean): number | undefined {
  let max: number;
  let limit: bigint;
  if (r.t === 'stack') {
    max = MAX_BPF_STACK + (toLeft ? 1 : 0);
    limit = -(S.signed(r.s.tv) + BigInt(r.off));
  } else if (r.t === 'map_value' && r.map !== undefined) {
    max = r.map.valueSize;
    limit = (toLeft ? r.s.smin : r.s.umax) + BigInt(r.off);
  } else return undefined;
  const u = Number(BigInt.asUintN(32, limit));
  return u >= max ? -1 : u;
}

// Stack byte kinds.
const ST_INVALID = 0;
const ST_MISC = 1;
const ST_ZERO = 2;
const ST_SPILL = 3;

interface Frame {
  regs: Reg[];
  /** Byte kinds; index 0 is fp-512, index 511 is fp-1. */
  stype: Uint8Array;
  /** Spilled registers by 8-byte slot (index = byte index >> 3). */
  spill: (Reg | undefined)[];
  /** Slot of the call instruction that created the frame (-1 for the main frame). */
  callsite: number;
  /** Start slot of the subprogram. */
  subprog: number;
  /** `stype`/`spill` belong to this frame alone (else copy before writing: copy-on-write). */
  owned: boolean;
  /** For a bpf_loop callback frame: the callback's start slot and its ctx argument. */
  cb?: { target: number; ctx: Reg } | undefined;
}

/** Makes the frame's stack arrays its own before a write. */
function own(f: Frame): void {
  if (!f.owned) {
    f.stype = f.stype.slice();
    f.spill = f.spill.slice();
    f.owned = true;
  }
}

interface Ref {
  id: number;
  insn: number;
}

interface State {
  frames: Frame[];
  refs: Ref[];
  parent: Checkpoint | undefined;
  /** bpf_loop callback iterations so far: states of different iterations are not a loop. */
  cbDepth: number;
  /** may_goto iterations so far on this path (Linux's may_goto_depth). */
  mayGoto: number;
}

interface Checkpoint {
  state: State;
  /** Slot the state was stored at. */
  pc: number;
  /** The top frame's registers before dead ones were cleared (for the infinite-loop log). */
  fullRegs: Reg[];
  branches: number;
  parent: Checkpoint | undefined;
  /** Times this state pruned a path, and times it was compared without pruning. */
  hit: number;
  miss: number;
}

/** The state of a checkpoint no longer compared against (see isStateVisited). */
const RELEASED_STATE: State = { frames: [], refs: [], parent: undefined, cbDepth: 0, mayGoto: 0 };

function cloneFrame(f: Frame): Frame {
  f.owned = false;
  return {
    regs: f.regs.slice(),
    stype: f.stype,
    spill: f.spill,
    callsite: f.callsite,
    subprog: f.subprog,
    owned: false,
    cb: f.cb,
  };
}

function cloneState(s: State): State {
  return {
    frames: s.frames.map(cloneFrame),
    refs: s.refs.slice(),
    parent: s.parent,
    cbDepth: s.cbDepth,
    mayGoto: s.mayGoto,
  };
}

/** The stack of a new frame, shared by all new frames until one writes (copy-on-write, {@link own}). */
const EMPTY_STYPE = new Uint8Array(MAX_BPF_STACK);
const EMPTY_SPILL: (Reg | undefined)[] = new Array(MAX_BPF_STACK / 8).fill(undefined);
/** The register file of a new frame (copied). */
const EMPTY_REGS: readonly Reg[] = new Array(11).fill(NOT_INIT);

function newFrame(callsite: number, subprog: number): Frame {
  return {
    regs: EMPTY_REGS.slice(),
    stype: EMPTY_STYPE,
    spill: EMPTY_SPILL,
    callsite,
    subprog,
    owned: false,
    cb: undefined,
  };
}

/**
 * A refusal: errno and the kernel's line. Not an Error: it never leaves the verifier (run() turns
 * it into the result), and capturing a stack trace for every refusal cost more than verifying a
 * small program.
 */
class Reject {
  constructor(
    readonly errno: number,
    readonly line: string,
    readonly before: string[] = [],
    /** The kernel prints this line without a newline: the summary follows on the same line. */
    readonly joined = false,
  ) {}
}

const fail = (errno: number, line: string): never => {
  throw new Reject(errno, line);
};

/** A refusal with a detail line before the error line. */
const fail2 = (errno: number, detail: string, line: string): never => {
  throw new Reject(errno, line, [detail]);
};

function typeStr(r: Reg): string {
  switch (r.t) {
    case 'not_init':
      return '?';
    case 'scalar':
      return 'scalar';
    case 'ctx':
      return 'ctx';
    case 'map_ptr':
      return r.nullable ? 'map_ptr_or_null' : 'map_ptr';
    case 'map_value':
      return r.nullable ? 'map_value_or_null' : 'map_value';
    case 'stack':
      return 'fp';
    case 'pkt':
      return 'pkt';
    case 'pkt_meta':
      return 'pkt_meta';
    case 'pkt_end':
      return 'pkt_end';
    case 'mem': {
      const t = r.ref ? 'ringbuf_mem' : 'mem';
      return r.nullable ? `${t}_or_null` : t;
    }
    case 'func':
      return 'func';
    case 'sock_common':
    case 'sock':
    case 'tcp_sock':
      return r.nullable ? `${r.t}_or_null` : r.t;
  }
}

const isSock = (t: RegType): t is SockKind => t === 'sock_common' || t === 'sock' || t === 'tcp_sock';

function regStr(r: Reg): string {
  if (r.t === 'scalar') return S.format(r.s);
  if (r.t === 'stack' && S.isConst(r.s)) return `fp${r.off}`;
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.ref) parts.push(`ref_obj_id=${r.ref}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (r.t === 'pkt' || r.t === 'pkt_meta') parts.push(`r=${r.range}`);
  if (r.map) parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  if (r.t === 'mem') parts.push(`sz=${r.memSize}`);
  if (!S.isConst(r.s)) parts.push(`var_off=(0x${r.s.tv.toString(16)}; 0x${r.s.tm.toString(16)})`);
  return `${typeStr(r)}(${parts.join(',')})`;
}

/** What an instruction changed in the frame: registers, then stack slots (the kernel's "; ..." part). */
function changedStr(i: Insn, before: { stype: Uint8Array; spill: (Reg | undefined)[] }, f: Frame): string {
  const out: string[] = [];
  // the registers the instruction names, in number order
  const cls = i.code & 7;
  const regs = new Set<number>();
  if (i.code === 0x85) regs.add(0);
  else if (i.code !== 0x05 && i.code !== 0x06 && i.code !== 0x95) {
    regs.add(i.dst);
    const usesSrc =
      cls === 0x01 ||
      cls === 0x03 ||
      ((cls === 0x04 || cls === 0x07 || cls === 0x05 || cls === 0x06) && (i.code & 8) !== 0);
    if (usesSrc && (i.code & 0xf0) !== 0xd0) regs.add(i.src);
  }
  for (const k of [...regs].sort((a, b) => a - b)) {
    const r = f.regs[k]!;
    if (r.t !== 'not_init') out.push(`R${k}=${k === 10 ? 'fp0' : regStr(r)}`);
  }
  for (let slot = 0; slot < 64; slot++) {
    let diff = f.spill[slot] !== before.spill[slot];
    for (let b = slot * 8; b < slot * 8 + 8 && !diff; b++) diff = f.stype[b] !== before.stype[b];
    if (!diff) continue;
    const sp = f.spill[slot];
    const off = slot * 8 - MAX_BPF_STACK;
    if (sp !== undefined && f.stype[slot * 8] === ST_SPILL) out.push(`fp${off}=${regStr(sp)}`);
    else {
      let txt = '';
      for (let k = 0; k < 8; k++) {
        const t = f.stype[slot * 8 + k]!;
        txt += t === ST_MISC ? 'm' : t === ST_ZERO ? '0' : '?';
      }
      out.push(`fp${off}=${txt.split('').reverse().join('')}`);
    }
  }
  return out.join(' ');
}

/** An instruction the way the kernel's log prints it (helper names, `pc+N` targets, `(r10 -8)`). */
function kernelInsn(i: Insn): string {
  if (i.code === 0x85 && i.src === 0) return `call bpf_${HELPER_NAMES.get(i.imm) ?? 'unknown'}#${i.imm}`;
  if (i.code === 0x85 && i.src === 1) return `call pc${i.imm >= 0 ? '+' : ''}${i.imm}`;
  let t: string;
  try {
    t = formatLlvm(i);
  } catch {
    // No text for this encoding (an invalid atomic opcode...): the kernel prints `BUG_<opcode>`.
    return `BUG_${i.code.toString(16).padStart(2, '0')}`;
  }
  t = t.replace(/\((r\d+) ([+-]) (\d+)\)/, '($1 $2$3)');
  t = t.replace(/goto ([+-])(\d+)$/, 'goto pc$1$2');
  if ((i.code & 7) === 0x05 || (i.code & 7) === 0x06) {
    if (
      (i.code & 0x08) === 0 &&
      (i.code & 0xf0) !== 0x00 &&
      (i.code & 0xf0) !== 0x80 &&
      (i.code & 0xf0) !== 0x90
    )
      t = t.replace(/ (-?\d+) goto/, (_m, n: string) => ` 0x${(Number(n) >>> 0).toString(16)} goto`);
  }
  return t;
}

function stateStr(st: State): string {
  const f = st.frames[st.frames.length - 1]!;
  const out: string[] = [];
  f.regs.forEach((r, i) => {
    if (r.t !== 'not_init') out.push(`R${i}=${i === 10 ? `fp0` : regStr(r)}`);
  });
  for (let slot = 0; slot < 64; slot++) {
    const b = slot * 8;
    const sp = f.spill[slot];
    const off = b - MAX_BPF_STACK;
    if (sp !== undefined && f.stype[b] === ST_SPILL) out.push(`fp${off}=${regStr(sp)}`);
    else {
      let any = false;
      let txt = '';
      for (let k = 0; k < 8; k++) {
        const t = f.stype[b + k]!;
        if (t !== ST_INVALID) any = true;
        txt += t === ST_MISC ? 'm' : t === ST_ZERO ? '0' : '?';
      }
      if (any) out.push(`fp${off}=${txt}`);
    }
  }
  const prefix = st.frames.length > 1 ? `frame${st.frames.length - 1}: ` : '';
  return prefix + out.join(' ');
}

const ALU_NAMES: Record<number, S.AluName | undefined> = {
  0: 'add',
  16: 'sub',
  32: 'mul',
  48: 'div',
  64: 'or',
  80: 'and',
  96: 'lsh',
  112: 'rsh',
  144: 'mod',
  160: 'xor',
  192: 'arsh',
};

const ALU_OP_STR: Record<number, string> = {
  0: '+=',
  16: '-=',
  32: '*=',
  48: '/=',
  64: '|=',
  80: '&=',
  96: '<<=',
  112: '>>=',
  128: 'neg',
  144: '%=',
  160: '^=',
  176: '=',
  192: 's>>=',
  208: 'endian',
};

const CMP: Record<number, S.CmpOp | undefined> = {
  16: 'eq',
  32: 'gt',
  48: 'ge',
  64: 'set',
  80: 'ne',
  96: 'sgt',
  112: 'sge',
  160: 'lt',
  176: 'le',
  192: 'slt',
  208: 'sle',
};

/** Flat per-slot view of the program. */
interface Prog {
  n: number;
  insn: (Insn | undefined)[];
  /** 1 on the second slot of an ld_imm64. */
  second: Uint8Array;
  /** Successors of each slot, two per slot (-1: none), made once by {@link succTable}. */
  succ?: Int32Array;
}

function flatten(insns: readonly Insn[]): Prog {
  const out: (Insn | undefined)[] = [];
  for (const i of insns) {
    out.push(i);
    if (i.code === LD_IMM64) out.push(undefined);
  }
  const second = new Uint8Array(out.length);
  for (let k = 0; k < out.length; k++) if (out[k] === undefined) second[k] = 1;
  return { n: out.length, insn: out, second };
}

/** Opcodes Linux 6.18 knows, as a table by opcode (others: "unknown opcode XX"). */
const VALID_OPCODES: Uint8Array = (() => {
  const s = new Set<number>();
  for (const cls of [0x04, 0x07]) {
    for (let op = 0x00; op <= 0xd0; op += 0x10) {
      s.add(cls | op);
      if (op !== 0x80) s.add(cls | op | 0x08);
    }
  }
  s.delete(0x07 | 0xd0 | 0x08);
  for (const cls of [0x05, 0x06]) {
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0])
      s.add(cls | op).add(cls | op | 0x08);
  }
  s.add(0x05).add(0x06).add(0x85).add(0x95).add(0xe5);
  for (const c of [0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) s.add(c);
  for (const c of [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]) s.add(c);
  for (const c of [0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xcb, 0xd3]) s.add(c);
  const t = new Uint8Array(256);
  for (const c of s) t[c] = 1;
  return t;
})();

const isJmpClass = (code: number): boolean => (code & 7) === 0x05 || (code & 7) === 0x06;

function jumpTarget(i: Insn, pc: number): number {
  return i.code === 0x06 ? pc + i.imm + 1 : pc + i.off + 1;
}

/**
 * The successor table of `p`: two entries per slot, the slots control may go to next within the
 * function (calls fall through, exit has none), -1 for none. Made once.
 */
function succTable(p: Prog): Int32Array {
  if (p.succ !== undefined) return p.succ;
  const t = new Int32Array(2 * p.n).fill(-1);
  for (let pc = 0; pc < p.n; pc++) {
    const i = p.insn[pc];
    if (i === undefined) continue;
    const code = i.code;
    if (code === LD_IMM64) t[2 * pc] = pc + 2;
    else if (!isJmpClass(code)) t[2 * pc] = pc + 1;
    else if (code === 0x95) continue;
    else if ((code & 0xf0) === 0x80) t[2 * pc] = pc + 1;
    else if ((code & 0xf0) === 0x00) t[2 * pc] = jumpTarget(i, pc);
    else {
      t[2 * pc] = pc + 1;
      t[2 * pc + 1] = jumpTarget(i, pc);
    }
  }
  p.succ = t;
  return t;
}

/**
 * Structural pass: subprograms, jump ranges, the encodings Linux checks up front (LDX fields, known
 * opcodes), reachability. Returns sorted subprogram starts. Sets `bad` at every instruction with
 * an invalid encoding the walk refuses when it gets there ({@link Verifier.badInsn}).
 */
function checkStructure(
  p: Prog,
  privileged: boolean,
  prune: Uint8Array,
  kfuncs: boolean,
  bad: Uint8Array,
): number[] {
  const { n, insn } = p;
  const starts = new Set<number>([0]);
  for (let pc = 0; pc < n; pc++) {
    const i = insn[pc];
    if (i === undefined) continue;
    const pseudoCall = i.code === 0x85 && i.src === 1;
    const pseudoFunc = i.code === LD_IMM64 && i.src === Pseudo.FUNC;
    if (pseudoCall || pseudoFunc) {
      if (!privileged)
        fail(
          EPERM,
          'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN',
        );
      const t = pc + i.imm + 1;
      if (t < 0 || t >= n || p.second[t]) fail(EINVAL, 'call to invalid destination');
      starts.add(t);
    }
    if (i.code === 0x85 && i.src === 2) {
      if (!privileged)
        fail(
          EPERM,
          'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN',
        );
      if (!kfuncs) fail(EINVAL, 'calling kernel functions is not supported by the machine');
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  for (let k = 0; k < sorted.length; k++) {
    const start = sorted[k]!;
    const end = k + 1 < sorted.length ? sorted[k + 1]! : n;
    for (let pc = start; pc < end; pc++) {
      const i = insn[pc];
      const last = pc === end - 1;
      if (i === undefined) {
        if (last) fail(EINVAL, 'last insn is not an exit or jmp');
        continue;
      }
      if (isJmpClass(i.code)) {
        const op = i.code & 0xf0;
        if (op !== 0x90 && op !== 0x80) {
          const t = jumpTarget(i, pc);
          if (t < start || t >= end) fail(EINVAL, `jump out of range from insn ${pc} to ${t}`);
        }
      }
      if (last && i.code !== 0x95 && i.code !== 0x05 && i.code !== 0x06)
        fail(EINVAL, 'last insn is not an exit or jmp');
    }
  }
  // What Linux checks of every instruction up front (resolve_pseudo_ldimm64): LDX's mode and imm,
  // then the opcode. Other reserved fields and register numbers are checked by the walk, on the
  // instructions it visits (do_check): marked here.
  for (let pc = 0; pc < n; pc++) {
    const i = insn[pc];
    if (i === undefined) continue;
    if ((i.code & 7) === 0x01 && (((i.code & 0xe0) !== 0x60 && (i.code & 0xe0) !== 0x80) || i.imm !== 0))
      fail(EINVAL, 'BPF_LDX uses reserved fields');
    if (VALID_OPCODES[i.code] !== 1) fail(EINVAL, `unknown opcode ${i.code.toString(16).padStart(2, '0')}`);
    if (encodingError(i) !== undefined) bad[pc] = 1;
  }
  // Reachability by DFS in each subprogram; back-edges only for privileged loaders.
  const state = new Uint8Array(n);
  const succ = succTable(p);
  let midJump = -1;
  for (const st of sorted) {
    if (state[st] !== 0) continue;
    const stack: number[] = [st];
    // how many successors of each stack entry were taken (0, 1, 2)
    const taken: number[] = [0];
    state[st] = 1;
    while (stack.length > 0) {
      const top = stack.length - 1;
      const from = stack[top]!;
      const t = taken[top]!;
      const next = t < 2 ? succ[2 * from + t]! : -1;
      if (next < 0) {
        state[stack.pop()!] = 2;
        taken.pop();
        continue;
      }
      taken[top] = t + 1;
      if (p.second[next]) {
        if (midJump < 0) midJump = next;
        continue;
      }
      const fi = insn[from]!;
      if (isJmpClass(fi.code) && fi.code !== 0x95 && (fi.code & 0xf0) !== 0x80) prune[next] = 1;
      if (state[next] === 1) {
        if (!privileged) fail(EINVAL, `back-edge from insn ${from} to ${next}`);
        continue;
      }
      if (state[next] !== 0) continue;
      state[next] = 1;
      stack.push(next);
      taken.push(0);
    }
  }
  for (let pc = 0; pc < n; pc++) if (state[pc] === 0 && !p.second[pc]) fail(EINVAL, `unreachable insn ${pc}`);
  if (midJump >= 0) fail(EINVAL, `jump into the middle of ldimm64 insn ${midJump - 1}`);
  // Prune points after calls too.
  for (let pc = 0; pc < n; pc++) {
    const i = insn[pc];
    if (i !== undefined && i.code === 0x85 && pc + 1 < n) prune[pc + 1] = 1;
  }
  for (const s of sorted) prune[s] = 1;
  return sorted;
}

/** Static register liveness (live-in bit set per slot), over all subprograms. */
function liveness(p: Prog): Uint16Array {
  const { n, insn } = p;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  for (let pc = 0; pc < n; pc++) {
    const i = insn[pc];
    if (i === undefined) continue;
    const cls = i.code & 7;
    const x = (i.code & 8) !== 0;
    const op = i.code & 0xf0;
    if (cls === 0x04 || cls === 0x07) {
      if (op === 0xb0) use[pc] = x ? 1 << i.src : 0;
      else use[pc] = (1 << i.dst) | (x && op !== 0x80 && op !== 0xd0 ? 1 << i.src : 0);
      def[pc] = 1 << i.dst;
    } else if (cls === 0x01) {
      use[pc] = 1 << i.src;
      def[pc] = 1 << i.dst;
    } else if (cls === 0x02) use[pc] = 1 << i.dst;
    else if (cls === 0x03) {
      use[pc] = (1 << i.dst) | (1 << i.src) | (i.code === 0xdb && i.imm === 0xf1 ? 1 : 0);
      if ((i.code & 0xe0) === 0xc0) def[pc] = (i.imm & 1 ? 1 << i.src : 0) | (i.imm === 0xf1 ? 1 : 0);
    } else if (cls === 0x00) {
      if (i.code === LD_IMM64) def[pc] = 1 << i.dst;
      else {
        use[pc] = (1 << 6) | ((i.code & 0xe0) === 0x40 ? 1 << i.src : 0);
        def[pc] = 0x3f;
      }
    } else if (cls === 0x05 || cls === 0x06) {
      if (i.code === 0x85) {
        use[pc] = 0x3e;
        def[pc] = 0x3f;
      } else if (i.code === 0x95) use[pc] = 1;
      else if (op !== 0x00) use[pc] = (1 << i.dst) | (x ? 1 << i.src : 0);
    }
  }
  const live = new Uint16Array(n);
  const succ = succTable(p);
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (insn[pc] === undefined) continue;
      let out = 0;
      const s0 = succ[2 * pc]!;
      const s1 = succ[2 * pc + 1]!;
      if (s0 >= 0 && s0 < n) out |= live[s0]!;
      if (s1 >= 0 && s1 < n) out |= live[s1]!;
      const v = (use[pc]! | (out & ~def[pc]!)) & 0xffff;
      if (v !== live[pc]) {
        live[pc] = v;
        changed = true;
      }
    }
  }
  return live;
}

/** Verifies `insns` (logical instructions, as given to BPF_PROG_LOAD). */
export function verify(insns: readonly Insn[], options: VerifyOptions): VerifyResult {
  const v = new Verifier(insns, options);
  return v.run();
}

class Verifier {
  readonly p: Prog;
  readonly progType: number;
  readonly privileged: boolean;
  readonly gpl: boolean;
  readonly level: number;
  readonly budget: number;
  readonly log: string[] = [];
  /** Per-slot: map of an ld_imm64 map reference. */
  readonly mapAt: (VerifierMap | undefined)[] = [];
  /** Per-slot: the ALU immediate as a constant register (registers are never changed in place). */
  readonly immRegs: (Reg | undefined)[] = [];
  prune!: Uint8Array;
  /** 1 at instructions with an invalid encoding: refused when the walk reaches them. */
  badAt!: Uint8Array;
  live!: Uint16Array;
  subprogs: number[] = [];
  readonly explored = new Map<number, Checkpoint[]>();
  processed = 0;
  totalStates = 0;
  peakStates = 0;
  curStates = 0;
  maxStatesPerInsn = 0;
  nextId = 0;
  /** Unprivileged pointer arithmetic seen with an unknown offset: prune on exact scalars only. */
  exploreAluLimits = false;
  /** Masking state and limit of each unprivileged pointer arithmetic slot (sanitizeCommit). */
  readonly aluSanitation = new Map<number, { state: string; limit: number; map: VerifierMap | undefined }>();
  /** Pointer type each load/store slot first used (auxPtrType). */
  readonly auxPtr: (RegType | undefined)[] = [];
  maxCtxOffset = 0;
  readonly depth = new Map<number, number>();
  /** Start slots of bpf_loop callbacks. */
  readonly cbEntries = new Set<number>();
  jmpsProcessed = 0;
  /** The function of each subprogram (by index), from func_info. */
  funcs: FuncDesc[] | undefined;
  /** Arguments of the global functions (by subprogram index), derived once. */
  readonly globalArgsOf = new Map<number, GlobalArgs>();
  /** Global functions called on a verified path, and those verified. */
  readonly calledGlobals = new Set<number>();
  readonly verifiedGlobals = new Set<number>();
  /** Log length a level-1 path end truncates back to (the start of the function being verified). */
  logBase = 0;
  /** 1 at `may_goto` slots (a checkpoint is always stored there). */
  mayGotoAt!: Uint8Array;
  /**
   * Registers whose exact value a check needed, by slot (a decided branch, a scalar added to a
   * pointer, a helper's size argument): Linux marks them precise. Collected as the walk goes.
   */
  preciseUse!: Uint16Array;
  /** Bumped when {@link preciseUse} grows (invalidates {@link preciseCache}). */
  preciseGen = 0;
  preciseCache: { gen: number; live: Uint16Array } | undefined;
  /** An accepted access Linux cannot rewrite (refused after verification, sock.ts). */
  conversionFails = false;
  prevJmps = 0;
  prevInsns = 0;
  pending: { st: State; pc: number; from: number }[] = [];

  constructor(
    insns: readonly Insn[],
    readonly o: VerifyOptions,
  ) {
    this.p = flatten(insns);
    this.progType = o.progType;
    this.privileged = o.privileged ?? true;
    this.gpl = o.gpl ?? false;
    this.level = o.logLevel ?? 0;
    this.budget = o.insnBudget ?? COMPLEXITY_LIMIT_INSNS;
  }

  summary(): string {
    return `processed ${this.processed} insns (limit ${COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${this.maxStatesPerInsn} total_states ${this.totalStates} peak_states ${this.peakStates} mark_read 0`;
  }

  run(): VerifyResult {
    const result = (ok: boolean, errno: number, error?: string): VerifyResult => {
      if (error !== undefined) this.log.push(error);
      this.log.push(this.summary());
      return {
        ok,
        errno,
        log: this.log,
        ...(error !== undefined ? { error } : {}),
        processed: this.processed,
        totalStates: this.totalStates,
        maxCtxOffset: this.maxCtxOffset,
        stackDepth: this.depth,
      };
    };
    try {
      if (this.p.n === 0) fail(EINVAL, 'empty program');
      this.resolveMaps();
      this.prune = new Uint8Array(this.p.n);
      this.badAt = new Uint8Array(this.p.n);
      this.subprogs = checkStructure(
        this.p,
        this.privileged,
        this.prune,
        this.o.kfunc !== undefined,
        this.badAt,
      );
      this.live = liveness(this.p);
      this.mayGotoAt = new Uint8Array(this.p.n);
      this.preciseUse = new Uint16Array(this.p.n);
      for (let pc = 0; pc < this.p.n; pc++) {
        if (this.p.insn[pc]?.code === 0xe5) {
          this.mayGotoAt[pc] = 1;
          this.prune[pc] = 1;
        }
      }
      const fi = this.o.funcInfo;
      if (Array.isArray(fi) && fi.length > 0) {
        if (this.o.btf === undefined) throw new TypeError('verify: func_info records need the program BTF');
        const funcs = checkFuncInfo(this.o.btf, fi, this.subprogs);
        if (typeof funcs === 'string') fail(EINVAL, funcs);
        this.funcs = funcs as FuncDesc[];
      }
      this.walk(0);
      this.verifyGlobals();
      this.checkStackDepth();
      if (this.conversionFails) fail(EFAULT, 'verifier bug: error during ctx access conversion (0)');
      return result(true, 0);
    } catch (e) {
      if (e instanceof Reject) {
        this.log.push(...e.before);
        if (e.joined) {
          this.log.push(e.line + this.summary());
          return { ...result(false, e.errno), ok: false, error: e.line, log: this.log.slice(0, -1) };
        }
        return result(false, e.errno, e.line);
      }
      throw e;
    }
  }

  resolveMaps(): void {
    const { n, insn } = this.p;
    for (let pc = 0; pc < n; pc++) {
      const i = insn[pc];
      if (i === undefined || i.code !== LD_IMM64) continue;
      if (pc + 1 >= n) fail(EINVAL, 'invalid bpf_ld_imm64 insn');
      const src = i.src;
      if (src === Pseudo.NONE || src === Pseudo.FUNC) continue;
      if (src === Pseudo.BTF_ID) fail(EINVAL, 'pseudo btf_id loads are not supported by the machine');
      if (
        src !== Pseudo.MAP_VALUE &&
        src !== Pseudo.MAP_IDX_VALUE &&
        !((src === Pseudo.MAP_FD || src === Pseudo.MAP_IDX) && (i.imm2 ?? 0) === 0)
      )
        fail(EINVAL, 'unrecognized bpf_ld_imm64 insn');
      const byIdx = src === Pseudo.MAP_IDX || src === Pseudo.MAP_IDX_VALUE;
      const m = this.o.maps?.(byIdx ? 'idx' : 'fd', byIdx ? i.imm >>> 0 : i.imm);
      if (m === undefined) fail(EBADF_OR_INVAL(byIdx), `fd ${i.imm} is not pointing to valid bpf_map`);
      const map = m as VerifierMap;
      const h = this.o.progHash;
      if (map.exclProgHash !== undefined && h !== undefined) {
        if (!bytesEqual(h, map.exclProgHash))
          fail(EACCES, "program's hash doesn't match map's excl_prog_hash");
      }
      if (!KNOWN_MAP_TYPES.has(map.type))
        fail(EINVAL, `map type ${map.type} is not supported by the machine's verifier`);
      if (src === Pseudo.MAP_VALUE || src === Pseudo.MAP_IDX_VALUE) {
        const off = (i.imm2 ?? 0) >>> 0;
        if (map.type !== MapType.ARRAY) fail(EINVAL, 'no direct value access support for this map type');
        if (map.maxEntries !== 1)
          fail(ENOTSUPP, `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
        if (off >= map.valueSize)
          fail(EINVAL, `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
      }
      this.mapAt[pc] = map;
    }
  }

  checkStackDepth(): void {
    // Combined stack of every call chain, each frame rounded up to 16 (x86-64 JIT).
    const round = (d: number): number => Math.max(16, Math.ceil(d / 16) * 16);
    const { insn } = this.p;
    const callees = (start: number): number[] => {
      const k = this.subprogs.indexOf(start);
      const end = k + 1 < this.subprogs.length ? this.subprogs[k + 1]! : this.p.n;
      const out: number[] = [];
      for (let pc = start; pc < end; pc++) {
        const i = insn[pc];
        if (i !== undefined && i.code === 0x85 && i.src === 1) out.push(pc + i.imm + 1);
        // a function pointer may become a bpf_loop callback frame on top of this one
        if (i !== undefined && i.code === LD_IMM64 && i.src === Pseudo.FUNC) out.push(pc + i.imm + 1);
      }
      return out;
    };
    const visit = (start: number, total: number, frames: number): void => {
      const t = total + round(this.depth.get(start) ?? 0);
      if (t > MAX_BPF_STACK) fail(EACCES, `combined stack size of ${frames} calls is ${t}. Too large`);
      if (frames > MAX_CALL_FRAMES) return;
      for (const c of callees(start)) visit(c, t, frames + 1);
    };
    visit(0, 0, 1);
  }

  // --- exploration -----------------------------------------------------------------------------

  /** Whether the load carries func_info. */
  get hasFuncInfo(): boolean {
    const fi = this.o.funcInfo;
    return Array.isArray(fi) ? fi.length > 0 : fi === true;
  }

  /**
   * Verifies every global function a verified path called, each on its own with arguments from its
   * prototype, until no new one is called (Linux's do_check_subprogs).
   */
  verifyGlobals(): void {
    const funcs = this.funcs;
    if (funcs === undefined) return;
    for (let again = true; again; ) {
      again = false;
      for (let k = 1; k < funcs.length; k++) {
        if (!funcs[k]!.global || !this.calledGlobals.has(k) || this.verifiedGlobals.has(k)) continue;
        const name = funcs[k]!.name;
        if (this.level >= 1) this.log.push(`Validating ${name}() func#${k}...`);
        this.explored.clear();
        this.pending = [];
        this.walk(k);
        if (this.level >= 1)
          this.log.push(`Func#${k} ('${name}') is safe for any args that match its prototype`);
        this.verifiedGlobals.add(k);
        again = true;
      }
    }
  }

  /** The arguments of global function `k` (derived once from its BTF prototype). */
  globalArgs(k: number): GlobalArgs {
    let a = this.globalArgsOf.get(k);
    if (a === undefined) {
      a = globalArgs(this.o.btf!, this.funcs![k]!, this.progType);
      this.globalArgsOf.set(k, a);
    }
    return a;
  }

  /**
   * Explores every path of subprogram `k` from its entry: the main program (k = 0) with R1 = ctx,
   * a global function with its prototype's arguments.
   */
  walk(k: number): void {
    const start = this.subprogs[k]!;
    const st: State = { frames: [newFrame(-1, start)], refs: [], parent: undefined, cbDepth: 0, mayGoto: 0 };
    const f = st.frames[0]!;
    if (k === 0) f.regs[1] = mkReg('ctx');
    else {
      const ga = this.globalArgs(k);
      const args = 'args' in ga ? ga.args : [];
      args.forEach((a, q) => {
        f.regs[q + 1] =
          a.kind === 'scalar'
            ? UNKNOWN()
            : a.kind === 'ctx'
              ? mkReg('ctx')
              : mkReg('mem', { nullable: true, id: ++this.nextId, memSize: a.size });
      });
    }
    f.regs[10] = mkReg('stack', { frame: 0 });
    let cur: State | undefined = st;
    let pc = start;
    let from = -1;
    this.logBase = k === 0 ? 0 : Math.max(0, this.log.length - 1);
    if (this.level >= 1) this.log.push(`${start}: ${stateStr(st)}`);
    for (;;) {
      if (cur === undefined) {
        const next = this.pending.pop();
        if (next === undefined) return;
        cur = next.st;
        pc = next.pc;
        from = next.from;
        if (this.level >= 1) this.log.push(`from ${from} to ${pc}: ${stateStr(cur)}`);
      }
      if (++this.processed > this.budget)
        fail(E2BIG, `BPF program is too large. Processed ${this.processed} insn`);
      if (this.prune[pc] && this.isStateVisited(cur, pc)) {
        if (this.level >= 1) this.log.push(`${pc}: safe`);
        this.pathDone(cur);
        cur = undefined;
        continue;
      }
      const i = this.p.insn[pc]!;
      if (this.level === 0) {
        const next = this.step(cur, pc, i);
        if (next < 0) {
          this.pathDone(cur);
          cur = undefined;
          continue;
        }
        pc = next;
        continue;
      }
      // The kernel's line: the instruction, then "; " and what it changed.
      const shown = kernelInsn(i);
      const text = shown.startsWith('BUG_')
        ? `${pc}: ${shown}`
        : `${pc}: (${i.code.toString(16).padStart(2, '0')}) ${shown}`;
      this.log.push(text);
      const fr = this.frame(cur);
      const before = { stype: fr.stype.slice(), spill: fr.spill.slice(), depth: cur.frames.length };
      const next = this.step(cur, pc, i);
      const changed =
        next >= 0 && cur.frames.length === before.depth ? changedStr(i, before, this.frame(cur)) : '';
      if (changed !== '') this.log[this.log.length - 1] = `${text.padEnd(38)}; ${changed}`;
      if (this.level >= 2 && next >= 0) this.log.push(`${pc}: ${stateStr(cur)}`);
      if (next < 0) {
        this.pathDone(cur);
        cur = undefined;
        if (this.level === 1) this.log.length = this.logBase;
        continue;
      }
      pc = next;
    }
  }

  /**
   * `may_goto` (BPF_JMP|BPF_JCOND, src_reg 0): Linux explores it as a loop whose iterations the
   * run-time budget bounds. This path takes the jump (the budget ran out); the fall-through (one
   * more iteration) is explored later with a deeper may_goto depth, its scalars widened to unknown
   * where they differ from the previous iteration's state and no check needed their exact value
   * (Linux's widen_imprecise_scalars). A later iteration equal to an earlier one is pruned.
   */
  mayGoto(st: State, pc: number, i: Insn): number {
    const copy = cloneState(st);
    copy.mayGoto++;
    const prev = this.prevIteration(st, pc);
    if (prev !== undefined) this.widen(prev, copy, this.preciseLive()[pc]!);
    if (copy.parent) copy.parent.branches++;
    this.pending.push({ st: copy, pc: pc + 1, from: pc });
    if (this.pending.length > COMPLEXITY_LIMIT_JMP_SEQ)
      fail(ENOMEM, `The sequence of ${this.pending.length} jumps is too complex.`);
    return jumpTarget(i, pc);
  }

  /** The state of the previous visit of slot `pc` on the current path (not this visit's checkpoint). */
  prevIteration(st: State, pc: number): State | undefined {
    let c = st.parent;
    if (c !== undefined && c.pc === pc) c = c.parent;
    for (; c !== undefined; c = c.parent) {
      if (c.pc !== pc) continue;
      const s = c.state;
      if (s.frames.length !== st.frames.length) continue;
      let same = true;
      for (let k = 0; k < s.frames.length && same; k++)
        same = s.frames[k]!.callsite === st.frames[k]!.callsite;
      if (same) return s;
    }
    return undefined;
  }

  /** Scalars of `cur`'s top frame that differ from `old`'s and are not in `precise` become unknown. */
  widen(old: State, cur: State, precise: number): void {
    const k = cur.frames.length - 1;
    const of = old.frames[k]!;
    const cf = cur.frames[k]!;
    const differs = (a: Reg | undefined, b: Reg | undefined): boolean =>
      a !== undefined && b !== undefined && a.t === 'scalar' && b.t === 'scalar' && !S.equal(a.s, b.s);
    for (let r = 0; r < 10; r++) {
      if (precise & (1 << r)) continue;
      if (differs(of.regs[r], cf.regs[r])) cf.regs[r] = UNKNOWN();
    }
    for (let slot = 0; slot < of.spill.length; slot++) {
      const b = slot * 8;
      if (of.stype[b] !== ST_SPILL || cf.stype[b] !== ST_SPILL) continue;
      if (differs(of.spill[slot], cf.spill[slot])) {
        own(cf);
        cf.spill[slot] = UNKNOWN();
      }
    }
  }

  /** Records that the check at `pc` needed the exact value of register `r`. */
  notePrecise(pc: number, r: number): void {
    const bit = 1 << r;
    if ((this.preciseUse[pc]! & bit) === 0) {
      this.preciseUse[pc]! |= bit;
      this.preciseGen++;
    }
  }

  /**
   * Registers whose value, live at each slot, flows into a check recorded in {@link preciseUse}
   * (backward over every path: moves and ALU operations carry the need from their destination to
   * their source; any other write ends it). A path-insensitive stand-in for Linux's backtracking
   * precision marks, recomputed when new checks are recorded.
   */
  preciseLive(): Uint16Array {
    const c = this.preciseCache;
    if (c !== undefined && c.gen === this.preciseGen) return c.live;
    const { n, insn } = this.p;
    const live = new Uint16Array(n);
    // R0 at an exit: needed by the caller of a static function or callback (and its checks), and by
    // the main program's return range check; not for a global function (its caller sees unknown).
    const sp = this.subprogs;
    const subOf = new Int32Array(n);
    for (let k = 0; k < sp.length; k++) {
      const end = k + 1 < sp.length ? sp[k + 1]! : n;
      for (let pc = sp[k]!; pc < end; pc++) subOf[pc] = k;
    }
    // by subprogram: the main program's return range; a callback's [0, 1]; a static function's
    // caller using R0 after the call (found as the fixpoint goes); never a global function's
    const needR0 = new Uint8Array(sp.length);
    needR0[0] = returnRange(this.progType, this.o.expectedAttachType ?? 0) !== undefined ? 1 : 0;
    for (let pc = 0; pc < n; pc++) {
      const i = insn[pc];
      if (i !== undefined && i.code === LD_IMM64 && i.src === Pseudo.FUNC) {
        const k = sp.indexOf(pc + i.imm + 1);
        if (k > 0) needR0[k] = 1;
      }
    }
    const succ = succTable(this.p);
    let changed = true;
    while (changed) {
      changed = false;
      for (let pc = 0; pc < n; pc++) {
        const i = insn[pc];
        if (i === undefined || i.code !== 0x85 || i.src !== 1 || pc + 1 >= n || !(live[pc + 1]! & 1))
          continue;
        const k = sp.indexOf(pc + i.imm + 1);
        if (k > 0 && !needR0[k] && !this.funcs?.[k]?.global) {
          needR0[k] = 1;
          changed = true;
        }
      }
      for (let pc = n - 1; pc >= 0; pc--) {
        const i = insn[pc];
        if (i === undefined) continue;
        let out = 0;
        const q0 = succ[2 * pc]!;
        const q1 = succ[2 * pc + 1]!;
        if (q0 >= 0 && q0 < n) out |= live[q0]!;
        if (q1 >= 0 && q1 < n) out |= live[q1]!;
        const cls = i.code & 7;
        const op = i.code & 0xf0;
        const dbit = 1 << i.dst;
        let v = out;
        if (cls === 0x04 || cls === 0x07) {
          const x = (i.code & 8) !== 0;
          if (op === 0xb0) {
            v = out & ~dbit;
            if (x && out & dbit) v |= 1 << i.src;
          } else if (x && out & dbit && op !== 0xd0) v |= 1 << i.src;
        } else if (cls === 0x01 || i.code === LD_IMM64) v = out & ~dbit;
        else if (cls === 0x00) v = out & ~0x3f;
        else if (cls === 0x03) v = out | (1 << i.src) | (i.code === 0xdb && i.imm === 0xf1 ? 1 : 0);
        else if (i.code === 0x85) {
          v = out & ~0x3f;
          // a static call: what the callee needs of its arguments
          if (i.src === 1) {
            const t = pc + i.imm + 1;
            if (t >= 0 && t < n) v |= live[t]! & 0x3e;
          }
        } else if (i.code === 0x95) v = needR0[subOf[pc]!]!;
        v |= this.preciseUse[pc]!;
        if (v !== live[pc]) {
          live[pc] = v;
          changed = true;
        }
      }
    }
    this.preciseCache = { gen: this.preciseGen, live };
    return live;
  }

  /**
   * Queues a copy of `st` to explore from `pc`. Past 8192 queued states Linux gives up: EFAULT from
   * a conditional jump, ENOMEM from a callback call or may_goto (`errno`).
   */
  pushBranch(st: State, pc: number, from: number, errno = EFAULT): void {
    const copy = cloneState(st);
    if (copy.parent) copy.parent.branches++;
    this.pending.push({ st: copy, pc, from });
    if (this.pending.length > COMPLEXITY_LIMIT_JMP_SEQ)
      fail(errno, `The sequence of ${this.pending.length} jumps is too complex.`);
  }

  pathDone(st: State): void {
    let c = st.parent;
    while (c !== undefined) {
      c.branches--;
      if (c.branches > 0) break;
      c = c.parent;
    }
  }

  isStateVisited(cur: State, pc: number): boolean {
    let list = this.explored.get(pc);
    const live = this.live[pc]!;
    if (list !== undefined) {
      let w = 0;
      for (let k = 0; k < list.length; k++) {
        const sl = list[k]!;
        let pruned = false;
        if (sl.branches > 0) {
          // A callback entry covered by a state still being explored: the callback loop has
          // converged (bpf_loop bounds the iterations at run time), as in Linux. The same for a
          // may_goto reached again in a later iteration (its budget bounds them at run time).
          if (this.cbEntries.has(pc) && statesEqual(sl.state, cur, live, false)) {
            sl.hit++;
            pruned = true;
          } else if (
            this.mayGotoAt[pc] === 1 &&
            sl.state.mayGoto !== cur.mayGoto &&
            statesEqual(sl.state, cur, live, false)
          ) {
            sl.hit++;
            pruned = true;
          } else if (
            sl.state.cbDepth === cur.cbDepth &&
            sl.state.mayGoto === cur.mayGoto &&
            statesEqual(sl.state, cur, live, true)
          ) {
            const fr = sl.state.frames;
            const old = {
              ...sl.state,
              frames: [...fr.slice(0, -1), { ...fr[fr.length - 1]!, regs: sl.fullRegs }],
            };
            throw new Reject(EINVAL, `old state: ${stateStr(old)}`, [
              `infinite loop detected at insn ${pc}`,
              `cur state: ${stateStr(cur)}`,
            ]);
          }
        } else if (
          statesEqual(
            sl.state,
            cur,
            live,
            this.exploreAluLimits,
            this.exploreAluLimits ? 0xffff : this.preciseLive()[pc],
          )
        ) {
          sl.hit++;
          pruned = true;
        }
        if (pruned) {
          // keep the rest of the list as is
          for (let q = k; q < list.length; q++) list[w++] = list[q]!;
          list.length = w;
          return true;
        }
        sl.miss++;
        // States that rarely prune are dropped (the kernel's heuristic): fewer comparisons, still sound.
        if (sl.miss > sl.hit * 3 + 3) {
          this.curStates--;
          // Nothing compares against it any more: only its place in the parent chain (branch
          // counts) stays, so its registers and stack can be collected (a long loop keeps every
          // checkpoint of its path in that chain). may_goto checkpoints stay whole: a later
          // iteration is widened against them (prevIteration).
          if (this.mayGotoAt[sl.pc] !== 1) {
            sl.state = RELEASED_STATE;
            sl.fullRegs = [];
          }
          continue;
        }
        list[w++] = sl;
      }
      list.length = w;
    }
    const add =
      this.mayGotoAt[pc] === 1 ||
      (this.jmpsProcessed - this.prevJmps >= 2 && this.processed - this.prevInsns >= 8
        ? true
        : list === undefined || list.length === 0);
    if (!add) return false;
    this.prevJmps = this.jmpsProcessed;
    this.prevInsns = this.processed;
    const snapshot = cloneState(cur);
    // Dead registers do not matter from here on.
    const top = snapshot.frames[snapshot.frames.length - 1]!;
    const fullRegs = top.regs.slice();
    for (let r = 0; r < 10; r++) if (!(live & (1 << r))) top.regs[r] = NOT_INIT;
    const cp: Checkpoint = {
      state: snapshot,
      pc,
      fullRegs,
      branches: 1,
      parent: cur.parent,
      hit: 0,
      miss: 0,
    };
    cur.parent = cp;
    if (list === undefined) {
      list = [];
      this.explored.set(pc, list);
    }
    list.push(cp);
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    if (list.length > this.maxStatesPerInsn) this.maxStatesPerInsn = list.length;
    return false;
  }

  frame(st: State): Frame {
    return st.frames[st.frames.length - 1]!;
  }

  readReg(st: State, r: number): Reg {
    const reg = this.frame(st).regs[r]!;
    if (reg.t === 'not_init') fail(EACCES, `R${r} !read_ok`);
    return reg;
  }

  writeReg(st: State, r: number, reg: Reg): void {
    if (r === 10) fail(EACCES, 'frame pointer is read only');
    this.frame(st).regs[r] = reg;
  }

  /** Executes one instruction; returns the next slot, or -1 when the path ends. */
  step(st: State, pc: number, i: Insn): number {
    if (this.badAt[pc] !== 0) this.badInsn(st, i);
    const cls = i.code & 7;
    switch (cls) {
      case 0x04:
      case 0x07:
        this.alu(st, pc, i, cls === 0x07);
        return pc + 1;
      case 0x01: {
        const t = this.frame(st).regs[i.src]!.t;
        this.ldx(st, i);
        this.auxPtrType(pc, t);
        return pc + 1;
      }
      case 0x02:
      case 0x03: {
        const t = this.frame(st).regs[i.dst]!.t;
        this.store(st, i);
        this.auxPtrType(pc, t);
        return pc + 1;
      }
      case 0x00:
        if (i.code === LD_IMM64) {
          this.ldImm64(st, pc, i);
          return pc + 2;
        }
        this.ldAbs(st, i);
        return pc + 1;
      default:
        return this.jmp(st, pc, i, cls === 0x06);
    }
  }

  /**
   * Refuses an instruction with an invalid encoding the walk reached, with Linux 6.18's line and
   * in its order (reserved fields, then the registers it reads or writes: `R11 is invalid`, or
   * `!read_ok` for a register read first), as check_alu_op, check_cond_jmp_op, check_atomic and
   * do_check order them (bench/verifier/probe-dead-reserved.ts). Never returns.
   */
  badInsn(st: State, i: Insn): never {
    const { code, dst, src, off, imm } = i;
    const cls = code & 7;
    const op = code & 0xf0;
    const x = (code & 8) !== 0;
    const reg = (r: number): void => {
      if (r > 10) fail(EINVAL, `R${r} is invalid`);
      this.readReg(st, r);
    };
    const out = (r: number): void => {
      if (r > 10) fail(EINVAL, `R${r} is invalid`);
    };
    switch (cls) {
      case 0x04:
      case 0x07:
        if (op === 0xd0) {
          if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64))
            fail(EINVAL, 'BPF_END uses reserved fields');
          reg(dst);
        } else if (op === 0x80) {
          if (x || src !== 0 || off !== 0 || imm !== 0) fail(EINVAL, 'BPF_NEG uses reserved fields');
          reg(dst);
        } else if (op === 0xb0) {
          if (x) {
            if (cls === 0x07 && off === 1) {
              if (imm !== 1 && imm !== 0x10000)
                fail(EINVAL, 'addr_space_cast insn can only convert between address space 1 and 0');
            } else if (imm !== 0 || (off !== 0 && off !== 8 && off !== 16 && !(cls === 0x07 && off === 32)))
              fail(EINVAL, 'BPF_MOV uses reserved fields');
            reg(src);
          } else if (src !== 0 || off !== 0) fail(EINVAL, 'BPF_MOV uses reserved fields');
          out(dst);
        } else {
          if ((x ? imm !== 0 : src !== 0) || (off !== 0 && !(off === 1 && (op === 0x30 || op === 0x90))))
            fail(EINVAL, 'BPF_ALU uses reserved fields');
          if (x) reg(src);
          reg(dst);
        }
        break;
      case 0x00:
        if (code === LD_IMM64) {
          if (off !== 0) fail(EINVAL, 'BPF_LD_IMM64 uses reserved fields');
          out(dst);
        } else this.ldAbs(st, i);
        break;
      case 0x01:
        reg(src);
        out(dst);
        break;
      case 0x02:
        if (src !== 0) fail(EINVAL, 'BPF_ST uses reserved fields');
        reg(dst);
        break;
      case 0x03:
        if ((code & 0xe0) === 0xc0) {
          if (imm !== 0x100 && imm !== 0x110) {
            const rmw =
              (imm & ~1) === 0x00 || (imm & ~1) === 0x40 || (imm & ~1) === 0x50 || (imm & ~1) === 0xa0;
            if (!rmw && imm !== 0xe1 && imm !== 0xf1)
              fail(
                EINVAL,
                `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`,
              );
            if ((code & 0x18) !== 0x00 && (code & 0x18) !== 0x18) fail(EINVAL, 'invalid atomic operand size');
          }
        } else if (imm !== 0) fail(EINVAL, 'BPF_STX uses reserved fields');
        reg(src);
        reg(dst);
        break;
      default:
        if (op === 0x80) fail(EINVAL, 'BPF_CALL uses reserved fields');
        if (op === 0x00) fail(EINVAL, 'BPF_JA uses reserved fields');
        if (op === 0x90) fail(EINVAL, 'BPF_EXIT uses reserved fields');
        if (op === 0xe0) fail(EINVAL, `invalid may_goto imm ${imm}`);
        reg(dst);
        if (x ? imm !== 0 : src !== 0) fail(EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
        if (x) reg(src);
    }
    // Every invalid encoding the structural pass leaves to the walk is refused above.
    return fail(EFAULT, `verifier bug: invalid instruction ${kernelInsn(i)} passed the checks of the walk`);
  }

  /**
   * Linux rewrites ctx and socket accesses per instruction: one load or store may not use a ctx or
   * socket pointer on one path and another pointer type on another (the kernel's save_aux_ptr_type).
   */
  auxPtrType(pc: number, t: RegType): void {
    const prev = this.auxPtr[pc];
    if (prev === undefined) this.auxPtr[pc] = t;
    else if (prev !== t && (AUX_REWRITTEN.has(t) || AUX_REWRITTEN.has(prev)))
      fail(EINVAL, 'same insn cannot be used with different pointers');
  }

  // --- ALU -----------------------------------------------------------------------------------

  alu(st: State, pc: number, i: Insn, is64: boolean): void {
    const op = i.code & 0xf0;
    const x = (i.code & 8) !== 0;
    const f = this.frame(st);
    if (op === 0xb0) {
      if (x) {
        const src = this.readReg(st, i.src);
        if (i.off === 1)
          fail(EINVAL, 'addr_space_cast insn can only be used in a program that has an associated arena');
        if (i.off !== 0) {
          if (src.t !== 'scalar') {
            if (!this.privileged) fail(EACCES, `R${i.src} sign-extension part of pointer`);
            this.writeReg(st, i.dst, UNKNOWN());
          } else this.writeReg(st, i.dst, scalarReg(S.sext(src.s, i.off, !is64)));
          return;
        }
        if (is64) this.writeReg(st, i.dst, src);
        else if (src.t !== 'scalar') {
          if (!this.privileged) fail(EACCES, `R${i.src} partial copy of pointer`);
          this.writeReg(st, i.dst, scalarReg(S.urange(0n, S.U32_MAX)));
        } else this.writeReg(st, i.dst, scalarReg(S.zext32(src.s)));
      } else {
        this.writeReg(st, i.dst, this.immReg(pc, i, is64));
      }
      return;
    }
    const dst = this.readReg(st, i.dst);
    if (op === 0x80 || op === 0xd0) {
      if (dst.t !== 'scalar') {
        if (!this.privileged) fail(EACCES, `R${i.dst} pointer arithmetic prohibited`);
        this.writeReg(st, i.dst, UNKNOWN());
        return;
      }
      if (op === 0x80) this.writeReg(st, i.dst, scalarReg(S.neg(dst.s, is64)));
      else {
        const swap = is64 || x; // ALU64 bswap, or to_be on a little-endian machine
        this.writeReg(st, i.dst, scalarReg(S.bswap(dst.s, i.imm, swap)));
      }
      return;
    }
    let src: Reg;
    if (x) src = this.readReg(st, i.src);
    else src = this.immReg(pc, i, is64);
    if (!x) {
      if ((op === 0x30 || op === 0x90) && i.imm === 0) fail(EINVAL, 'div by zero');
      if (op === 0x60 || op === 0x70 || op === 0xc0) {
        const bits = is64 ? 64 : 32;
        if (i.imm < 0 || i.imm >= bits) fail(EINVAL, `invalid shift ${i.imm}`);
      }
    }
    if (i.dst === 10) fail(EACCES, 'frame pointer is read only');
    if (dst.t === 'scalar' && src.t === 'scalar') {
      let name = ALU_NAMES[op]!;
      if (i.off === 1) name = op === 0x30 ? 'sdiv' : 'smod';
      const r = is64 ? S.alu64(name, dst.s, src.s) : S.alu32(name, dst.s, src.s);
      f.regs[i.dst] = scalarReg(r);
      return;
    }
    this.ptrAlu(st, pc, i, dst, src, is64, op);
  }

  /** The immediate of the ALU instruction at `pc` as a constant scalar register, made once per slot. */
  immReg(pc: number, i: Insn, is64: boolean): Reg {
    let r = this.immRegs[pc];
    if (r === undefined) {
      r = scalarReg(S.constant(is64 ? BigInt(i.imm) : BigInt(i.imm >>> 0)));
      this.immRegs[pc] = r;
    }
    return r;
  }

  ptrAlu(st: State, pc: number, i: Insn, dst: Reg, src: Reg, is64: boolean, op: number): void {
    const f = this.frame(st);
    const opStr = ALU_OP_STR[op]!;
    if (!is64) {
      if (op === 0x10 && this.privileged) {
        f.regs[i.dst] = UNKNOWN();
        return;
      }
      fail(EACCES, `R${i.dst} 32-bit pointer arithmetic prohibited`);
    }
    if (dst.t !== 'scalar' && src.t !== 'scalar') {
      if (op === 0x10 && this.privileged) {
        f.regs[i.dst] = UNKNOWN();
        return;
      }
      fail(EACCES, `R${i.dst} pointer ${opStr} pointer prohibited`);
    }
    let ptr = dst;
    let off = src;
    let ptrReg = i.dst;
    if (dst.t === 'scalar') {
      if (op !== 0x00) fail(EACCES, `R${i.dst} tried to subtract pointer from scalar`);
      ptr = src;
      off = dst;
      ptrReg = i.src;
      this.notePrecise(pc, i.dst);
    } else if ((i.code & 8) !== 0) this.notePrecise(pc, i.src);
    if (op !== 0x00 && op !== 0x10) {
      if (op === 0x40 || op === 0x50 || op === 0xa0)
        fail(EACCES, `R${i.dst} bitwise operator ${opStr} on pointer prohibited`);
      fail(EACCES, `R${i.dst} pointer arithmetic with ${opStr} operator prohibited`);
    }
    if (ptr.nullable)
      fail(EACCES, `R${i.dst} pointer arithmetic on ${typeStr(ptr)} prohibited, null-check it first`);
    const known = S.isConst(off.s);
    // map_ptr += 0 keeps the map pointer (Linux allows exactly that).
    const zeroAdd = ptr.t === 'map_ptr' && op === 0x00 && known && off.s.tv === 0n;
    if ((ptr.t === 'map_ptr' && !zeroAdd) || ptr.t === 'pkt_end' || ptr.t === 'func' || isSock(ptr.t))
      fail(EACCES, `R${i.dst} pointer arithmetic on ${typeStr(ptr)} prohibited`);
    const tstr = typeStr(ptr);
    // Linux's check_reg_sane_offset on the scalar: EINVAL.
    if (known) {
      const c = S.signed(off.s.tv);
      if (c >= BigInt(MAX_VAR_OFF) || c <= -BigInt(MAX_VAR_OFF))
        fail(EINVAL, `math between ${tstr} pointer and ${c} is not allowed`);
    } else {
      if (off.s.smin === S.S64_MIN)
        fail(EINVAL, `math between ${tstr} pointer and register with unbounded min value is not allowed`);
      if (off.s.smin >= BigInt(MAX_VAR_OFF) || off.s.smin <= -BigInt(MAX_VAR_OFF))
        fail(EINVAL, `value ${off.s.smin} makes ${tstr} pointer be out of bounds`);
    }
    const san =
      !this.privileged && (i.code & 8) !== 0
        ? this.sanitizePtrAlu(i, ptr, off, op, ptrReg !== i.dst)
        : undefined;
    if (op === 0x10 && ptr.t === 'stack') fail(EACCES, `R${i.dst} subtraction from stack pointer prohibited`);
    if (known) {
      const c = S.signed(off.s.tv);
      const delta = op === 0x00 ? Number(c) : -Number(c);
      const noff = ptr.off + delta;
      if (noff >= MAX_VAR_OFF || noff <= -MAX_VAR_OFF)
        fail(EACCES, `R${i.dst} pointer arithmetic of map value goes out of range, prohibited for !root`);
      f.regs[i.dst] = { ...ptr, off: noff };
      if (!this.privileged) this.sanitizeCheckBounds(i.dst, f.regs[i.dst]!);
      if (san !== undefined) this.sanitizeCommit(pc, i, f.regs[i.dst]!, op, san);
      return;
    }
    if (ptr.t === 'ctx') fail(EACCES, `R${i.dst} variable ctx access var_off is not allowed`);
    const nvar = op === 0x00 ? S.alu64('add', ptr.s, off.s) : S.alu64('sub', ptr.s, off.s);
    if (nvar.smin <= -BigInt(MAX_VAR_OFF) || nvar.smax >= BigInt(MAX_VAR_OFF))
      fail(EACCES, `R${i.dst} pointer arithmetic of map value goes out of range, prohibited for !root`);
    let id = ptr.id;
    let range = ptr.range;
    if (ptr.t === 'pkt' || ptr.t === 'pkt_meta') {
      id = ++this.nextId;
      range = 0;
    }
    f.regs[i.dst] = { ...ptr, s: nvar, id, range };
    if (!this.privileged) this.sanitizeCheckBounds(i.dst, f.regs[i.dst]!);
    if (san !== undefined) this.sanitizeCommit(pc, i, f.regs[i.dst]!, op, san);
  }

  /**
   * Unprivileged pointer += / -= register (Linux's sanitize_ptr_alu, which masks the offset
   * against speculation): the scalar may not have mixed-sign bounds, only stack and map value
   * pointers take a variable offset, and the pointer must start within its object.
   */
  sanitizePtrAlu(i: Insn, ptr: Reg, off: Reg, op: number, offIsDst: boolean): Sanitation {
    const s = off.s;
    const imm = S.isConst(s);
    if (!imm && s.smin < 0n !== s.smax < 0n)
      fail(EACCES, `R${offIsDst ? i.dst : i.src} has unknown scalar with mixed signed bounds, ${SAN_WHY}`);
    const offNeg = s.smin < 0n;
    const toLeft = (op === 0x00 && offNeg) || (op === 0x10 && !offNeg);
    const limit = ptrLimit(ptr, toLeft);
    if (limit === undefined)
      return fail(
        EACCES,
        `R${offIsDst ? i.src : i.dst} has pointer with unsupported alu operation, ${SAN_WHY}`,
      );
    if (limit === -1)
      return fail(
        EACCES,
        `R${i.dst} tried to ${op === 0x00 ? 'add' : 'sub'} beyond pointer bounds, ${SAN_WHY}`,
      );
    // An unknown offset makes Linux compare scalars exactly when pruning (explore_alu_limits).
    if (!imm) this.exploreAluLimits = true;
    return { state: `${offNeg ? 'neg' : ''}${imm ? 'imm' : ''}${offIsDst ? 'dst' : 'src'}`, limit, toLeft };
  }

  /**
   * The commit half of Linux's sanitize_ptr_alu: the masking limit of the slot is how far the
   * pointer moved; every path through the slot must need the same one.
   */
  sanitizeCommit(pc: number, i: Insn, r: Reg, op: number, san: Sanitation): void {
    const after = ptrLimit(r, san.toLeft);
    if (after === undefined || after === -1) {
      fail(EACCES, `R${i.dst} tried to ${op === 0x00 ? 'add' : 'sub'} beyond pointer bounds, ${SAN_WHY}`);
      return;
    }
    const limit = Math.abs((san.limit - after) | 0);
    const prev = this.aluSanitation.get(pc);
    if (prev !== undefined && (prev.state !== san.state || prev.limit !== limit || prev.map !== r.map))
      fail(
        EACCES,
        `R${i.dst} tried to ${op === 0x00 ? 'add' : 'sub'} from different maps, paths or scalars, ${SAN_WHY}`,
      );
    this.aluSanitation.set(pc, { state: san.state, limit, map: r.map });
  }

  /**
   * Unprivileged pointer arithmetic result (Linux's sanitize_check_bounds): a stack pointer stays
   * constant and inside the frame, a map value pointer inside the value.
   */
  sanitizeCheckBounds(regno: number, r: Reg): void {
    if (r.t === 'stack') {
      const v = r.s;
      const o = r.off + Number(S.signed(v.tv));
      if (!S.isConst(v))
        fail(
          EACCES,
          `R${regno} variable stack access prohibited for !root, var_off=(0x${v.tv.toString(16)}; 0x${v.tm.toString(16)}) off=${o}`,
        );
      if (o >= 0 || o < -MAX_BPF_STACK)
        fail(EACCES, `R${regno} stack pointer arithmetic goes out of range, prohibited for !root; off=${o}`);
    } else if (r.t === 'map_value' && r.map !== undefined) {
      const lo = r.s.smin + BigInt(r.off);
      const hi = r.s.umax + BigInt(r.off);
      if (lo < 0n || r.s.umax >= BigInt(MAX_VAR_OFF) || hi + 1n > BigInt(r.map.valueSize))
        fail(EACCES, `R${regno} pointer arithmetic of map value goes out of range, prohibited for !root`);
    }
  }

  // --- memory ----------------------------------------------------------------------------------

  /** Checks a `size`-byte access through `reg` (register `regno`) at insn offset `off`; returns the loaded value kind. */
  access(st: State, regno: number, reg: Reg, off: number, size: number, write: boolean, value?: Reg): Reg {
    const t = reg.t;
    if (t === 'map_ptr' && !reg.nullable && !this.privileged) {
      const name = MAP_STRUCT_NAMES.get(reg.map?.type ?? -1);
      if (name !== undefined)
        fail(EPERM, `'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
    }
    if (t === 'map_ptr' && !reg.nullable && this.privileged) {
      if (write) fail(EACCES, 'only read from bpf_array is supported');
      if (mapStructField(reg, off, size)) return UNKNOWN();
    }
    if (
      reg.nullable ||
      t === 'scalar' ||
      t === 'map_ptr' ||
      t === 'pkt_end' ||
      t === 'func' ||
      t === 'not_init'
    )
      fail(EACCES, `R${regno} invalid mem access '${typeStr(reg)}'`);
    if (t === 'ctx') {
      if (reg.off !== 0 || !S.isConst(reg.s))
        fail(EACCES, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
      if (write && value !== undefined && value.t !== 'scalar' && !this.privileged)
        fail(EACCES, `R${regno} leaks addr into ctx`);
      // cgroup_skb: data/data_end reads and tstamp writes need CAP_BPF (Linux's cg_skb_is_valid_access).
      if (
        !this.privileged &&
        this.progType === ProgType.CGROUP_SKB &&
        ((off >= 76 && off < 84) || (write && off >= 152 && off < 160))
      )
        fail(EACCES, `invalid bpf_context access off=${off} size=${size}`);
      if (isSkbSkLoad(this.progType, off, size, write)) {
        this.maxCtxOffset = Math.max(this.maxCtxOffset, off + size);
        return mkReg('sock_common', { nullable: true, id: ++this.nextId });
      }
      const a = ctxAccess(this.progType, off, size, write, this.o.expectedAttachType ?? 0);
      if (a === undefined) fail(EACCES, `invalid bpf_context access off=${off} size=${size}`);
      this.maxCtxOffset = Math.max(this.maxCtxOffset, off + size);
      switch (a!.result) {
        case 'unsupported':
          return fail(
            EACCES,
            `ctx field off=${off} size=${size} (${a!.ptrType}) is not supported by the machine`,
          );
        case 'pkt':
          return mkReg('pkt');
        case 'pkt_meta':
          return mkReg('pkt_meta');
        case 'pkt_end':
          return mkReg('pkt_end');
        case 'sock':
          return mkReg('sock');
        case 'sock_or_null':
          return mkReg('sock', { nullable: true, id: ++this.nextId });
        case 'sock_common_or_null':
          return mkReg('sock_common', { nullable: true, id: ++this.nextId });
        default:
          return UNKNOWN();
      }
    }
    if (t === 'stack') return this.stackAccess(st, regno, reg, off, size, write, value);
    if (isSock(t)) {
      if (write) fail(EACCES, `R${regno} cannot write into ${typeStr(reg)}`);
      if (!sockAccess(t, reg.off + off, size))
        fail(EACCES, `R${regno} invalid ${typeStr(reg)} access off=${reg.off + off} size=${size}`);
      if (sockConversionFails(t, reg.off + off, size)) this.conversionFails = true;
      return UNKNOWN();
    }
    if (t === 'map_value') {
      const m = reg.map!;
      if (write && (m.flags & MapFlag.RDONLY_PROG) !== 0)
        fail(EACCES, `write into map forbidden, value_size=${m.valueSize} off=${reg.off + off} size=${size}`);
      this.boundsCheck(
        regno,
        reg,
        off,
        size,
        m.valueSize,
        (o) => `invalid access to map value, value_size=${m.valueSize} off=${o} size=${size}`,
      );
      if (write && value !== undefined && value.t !== 'scalar' && !this.privileged)
        fail(EACCES, `R${regno} leaks addr into map`);
      return UNKNOWN();
    }
    if (t === 'mem') {
      this.boundsCheck(
        regno,
        reg,
        off,
        size,
        reg.memSize,
        (o) => `invalid access to memory, mem_size=${reg.memSize} off=${o} size=${size}`,
      );
      if (write && value !== undefined && value.t !== 'scalar' && !this.privileged)
        fail(EACCES, `R${regno} leaks addr into mem`);
      return UNKNOWN();
    }
    if (t === 'pkt' || t === 'pkt_meta') {
      if (write && !packetWritable(this.progType)) fail(EACCES, 'cannot write into packet');
      if (write && value !== undefined && value.t !== 'scalar' && !this.privileged)
        fail(EACCES, `R${regno} leaks addr into packet`);
      // The range is relative to the packet start plus this register's variable part.
      if (reg.s.smin < 0n)
        fail(EACCES, `R${regno} min value is negative, either use unsigned index or 'var &= const'`);
      if (reg.off + off < 0 || reg.off + off + size > reg.range || reg.s.umax >= BigInt(MAX_VAR_OFF)) {
        fail2(
          EACCES,
          `invalid access to packet, off=${reg.off + off} size=${size}, R${regno}(id=${reg.id},off=${reg.off + off},r=${reg.range})`,
          `R${regno} offset is outside of the packet`,
        );
      }
      return UNKNOWN();
    }
    return fail(EACCES, `R${regno} invalid mem access '${typeStr(reg)}'`);
  }

  /**
   * The kernel's check_mem_region_access: the access at insn offset `off` through `reg` must stay
   * in [0, limit) for the smallest and the largest value of the register's variable part.
   */
  boundsCheck(
    regno: number,
    reg: Reg,
    off: number,
    size: number,
    limit: number,
    msg: (o: number) => string,
  ): void {
    if (reg.s.tm === 0n && reg.s.tv === 0n) {
      // a fixed offset (the common case), in numbers: what the general checks below come to
      const o = reg.off + off;
      if (o < 0 || o + size > limit)
        fail2(EACCES, msg(o), `R${regno} min value is outside of the allowed memory range`);
      return;
    }
    const base = BigInt(reg.off + off);
    const smin = reg.s.smin;
    if (
      smin < 0n &&
      (smin === S.S64_MIN || BigInt.asIntN(32, base + smin) !== base + smin || smin + base < 0n)
    )
      fail(EACCES, `R${regno} min value is negative, either use unsigned index or 'var &= const'`);
    const lo = smin + base;
    if (lo < 0n || lo + BigInt(size) > BigInt(limit))
      fail2(EACCES, msg(Number(lo)), `R${regno} min value is outside of the allowed memory range`);
    if (reg.s.umax >= BigInt(MAX_VAR_OFF))
      fail(EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access`);
    const hi = reg.s.umax + base;
    if (hi + BigInt(size) > BigInt(limit))
      fail2(EACCES, msg(Number(hi)), `R${regno} max value is outside of the allowed memory range`);
  }

  /**
   * A stack access at a variable offset (privileged loaders only): every byte it may touch is in
   * the frame; a read gives an unknown scalar and may not cover spilled pointers; a write of a
   * scalar turns every byte it may touch into misc data.
   */
  varStackAccess(
    st: State,
    regno: number,
    reg: Reg,
    off: number,
    size: number,
    write: boolean,
    value?: Reg,
  ): Reg {
    const v = reg.s;
    const tn = `(0x${v.tv.toString(16)}; 0x${v.tm.toString(16)})`;
    const fixed = reg.off + off;
    const low = BigInt(size - 1);
    if (fixed % size !== 0 || (v.tv & low) !== 0n || (v.tm & low) !== 0n)
      fail(EACCES, `misaligned stack access off ${tn}+${reg.off}+${off} size ${size}`);
    const lo = BigInt(fixed) + v.smin;
    const hi = BigInt(fixed) + v.smax + BigInt(size);
    if (v.smin === S.S64_MIN || lo < BigInt(-MAX_BPF_STACK) || hi > 0n)
      fail(
        EACCES,
        `invalid variable-offset ${write ? 'write to' : 'read from'} stack R${regno} var_off=${tn} off=${fixed} size=${size}`,
      );
    if (!this.privileged)
      fail(EACCES, `R${regno} variable stack access prohibited for !root, var_off=${tn} off=${off}`);
    const fr = st.frames[reg.frame]!;
    this.noteDepth(fr.subprog, -Number(lo));
    const b0 = MAX_BPF_STACK + Number(lo);
    const b1 = MAX_BPF_STACK + Number(hi);
    if (write) {
      // (a pointer written at a variable offset is lost: the bytes become misc, as in Linux)
      own(fr);
      for (let b = b0; b < b1; b++) {
        const slot = b >> 3;
        if (fr.spill[slot] !== undefined) {
          fr.spill[slot] = undefined;
          for (let q = 0; q < 8; q++) fr.stype[slot * 8 + q] = ST_MISC;
        }
        fr.stype[b] = ST_MISC;
      }
      return value ?? UNKNOWN();
    }
    for (let b = b0; b < b1; b++) {
      const sp = fr.spill[b >> 3];
      // privileged: the bytes of a spilled pointer read as an unknown scalar, as in Linux
      if (fr.stype[b] === ST_SPILL && sp !== undefined && sp.t !== 'scalar' && !this.privileged)
        fail(EACCES, `R${regno} variable offset read of a spilled pointer at fp${b - MAX_BPF_STACK}`);
    }
    return UNKNOWN();
  }

  stackAccess(
    st: State,
    regno: number,
    reg: Reg,
    off: number,
    size: number,
    write: boolean,
    value?: Reg,
  ): Reg {
    if (!S.isConst(reg.s)) return this.varStackAccess(st, regno, reg, off, size, write, value);
    const varOff = Number(S.signed(reg.s.tv));
    const o = reg.off + off + varOff;
    if (o % size !== 0) fail(EACCES, `misaligned stack access off ${varOff}+${reg.off}+${off} size ${size}`);
    if (o < -MAX_BPF_STACK || o + size > 0 || o >= 0)
      fail(EACCES, `invalid ${write ? 'write to' : 'read from'} stack R${regno} off=${o} size=${size}`);
    if (!write && !this.privileged && o < -allocatedStack(st.frames[reg.frame]!))
      fail(EACCES, `invalid read from stack R${regno} off=${reg.off + off} size=${size}`);
    const fr = st.frames[reg.frame]!;
    const b = MAX_BPF_STACK + o;
    const slot = b >> 3;
    this.noteDepth(fr.subprog, -o);
    if (write) {
      own(fr);
      // Writing over part of a spilled register turns the rest into misc bytes.
      const sp = fr.spill[slot];
      if (sp !== undefined && size !== 8) {
        for (let k = 0; k < 8; k++) fr.stype[slot * 8 + k] = ST_MISC;
        fr.spill[slot] = undefined;
        if (sp.t !== 'scalar' && !this.privileged)
          fail(EACCES, 'attempt to corrupt spilled pointer on stack');
      }
      const v = value ?? UNKNOWN();
      if (size === 8) {
        if (
          v.t === 'scalar' &&
          S.isConst(v.s) &&
          v.s.tv === 0n &&
          value !== undefined &&
          value.t === 'scalar'
        ) {
          fr.spill[slot] = v;
          for (let k = 0; k < 8; k++) fr.stype[b + k] = ST_SPILL;
        } else {
          fr.spill[slot] = v;
          for (let k = 0; k < 8; k++) fr.stype[b + k] = ST_SPILL;
        }
        return v;
      }
      if (v.t !== 'scalar') fail(EACCES, 'invalid size of register spill');
      fr.spill[slot] = undefined;
      const zero = S.isConst(v.s) && (v.s.tv & ((1n << BigInt(size * 8)) - 1n)) === 0n;
      for (let k = 0; k < size; k++) fr.stype[b + k] = zero ? ST_ZERO : ST_MISC;
      return v;
    }
    // read
    const sp = fr.spill[slot];
    if (sp !== undefined && fr.stype[b] === ST_SPILL) {
      if (size === 8) return sp;
      if (sp.t !== 'scalar') fail(EACCES, 'invalid size of register fill');
      if (S.isConst(sp.s)) {
        const shift = BigInt((b - slot * 8) * 8);
        return scalarReg(S.constant((sp.s.tv >> shift) & ((1n << BigInt(size * 8)) - 1n)));
      }
      return UNKNOWN();
    }
    let allZero = true;
    for (let k = 0; k < size; k++) {
      const t = fr.stype[b + k]!;
      // Privileged loaders may read uninitialized stack (allow_uninit_stack): an unknown value.
      if ((t === ST_INVALID && !this.privileged) || t === ST_SPILL)
        fail(EACCES, `invalid read from stack off ${o}+${k} size ${size}`);
      if (t !== ST_ZERO) allZero = false;
    }
    return allZero ? scalarReg(ZERO) : UNKNOWN();
  }

  noteDepth(subprog: number, d: number): void {
    if (d > (this.depth.get(subprog) ?? 0)) this.depth.set(subprog, d);
  }

  ldx(st: State, i: Insn): void {
    const mode = i.code & 0xe0;
    if (mode !== 0x60 && mode !== 0x80)
      fail(EINVAL, `unknown opcode ${i.code.toString(16).padStart(2, '0')}`);
    const src = this.readReg(st, i.src);
    const size = [4, 2, 1, 8][(i.code >> 3) & 3]!;
    let r = this.access(st, i.src, src, i.off, size, false);
    if (src.t === 'map_value') {
      const v = readOnlyValue(src, i.off, size);
      if (v !== undefined) r = scalarReg(S.constant(v));
    }
    if (r.t === 'scalar') {
      if (mode === 0x80) r = scalarReg(S.sext(r.s, size * 8, false));
      else if (size < 8) {
        const m = (1n << BigInt(size * 8)) - 1n;
        r = scalarReg(S.isConst(r.s) ? S.constant(r.s.tv & m) : S.urange(0n, m));
      }
    }
    this.writeReg(st, i.dst, r);
  }

  store(st: State, i: Insn): void {
    const cls = i.code & 7;
    const mode = i.code & 0xe0;
    const size = [4, 2, 1, 8][(i.code >> 3) & 3]!;
    if (cls === 0x03 && mode === 0xc0 && i.imm === 0x100) {
      // load-acquire: dst = *(size *)(src + off)
      const src = this.readReg(st, i.src);
      let r = this.access(st, i.src, src, i.off, size, false);
      if (r.t === 'scalar') r = scalarReg(truncate(r.s, size));
      this.writeReg(st, i.dst, r);
      return;
    }
    const dst = this.readReg(st, i.dst);
    if (cls === 0x03 && mode === 0xc0) {
      this.atomic(st, i, dst, size);
      return;
    }
    if (mode !== 0x60) fail(EINVAL, `unknown opcode ${i.code.toString(16).padStart(2, '0')}`);
    let val: Reg;
    if (cls === 0x03) val = this.readReg(st, i.src);
    else val = scalarReg(S.constant(BigInt(i.imm)));
    if (val.t !== 'scalar' && dst.t === 'stack' && size === 8) {
      this.access(st, i.dst, dst, i.off, size, true, val);
      return;
    }
    if (val.t !== 'scalar' && !this.privileged && dst.t !== 'stack') {
      const where =
        dst.t === 'map_value'
          ? 'map'
          : dst.t === 'ctx'
            ? 'ctx'
            : dst.t === 'pkt' || dst.t === 'pkt_meta'
              ? 'packet'
              : 'mem';
      fail(EACCES, `R${i.src} leaks addr into ${where}`);
    }
    const stored = val.t === 'scalar' && size < 8 ? scalarReg(truncate(val.s, size)) : val;
    this.access(st, i.dst, dst, i.off, size, true, stored);
  }

  atomic(st: State, i: Insn, dst: Reg, size: number): void {
    const op = i.imm;
    if (op === 0x110) {
      // store-release: *(size *)(dst + off) = src
      const val = this.readReg(st, i.src);
      if (val.t !== 'scalar' && !this.privileged) fail(EACCES, `R${i.src} leaks addr into mem`);
      if (val.t !== 'scalar' && size !== 8 && dst.t === 'stack')
        fail(EACCES, 'invalid size of register spill');
      this.access(
        st,
        i.dst,
        dst,
        i.off,
        size,
        true,
        val.t === 'scalar' ? scalarReg(truncate(val.s, size)) : val,
      );
      return;
    }
    if (size !== 4 && size !== 8) fail(EINVAL, 'invalid atomic operand size');
    const src = this.readReg(st, i.src);
    if (op === 0xf1 && this.readReg(st, 0).t !== 'scalar' && !this.privileged)
      fail(EACCES, 'R0 leaks addr into mem');
    // The fetched value goes to src (r0 for cmpxchg): Linux checks it is writable first.
    if (i.src === 10 && (op & 1) !== 0 && op !== 0xf1) fail(EACCES, 'frame pointer is read only');
    // (pointer values are leaks only for loaders without CAP_PERFMON: Linux's allow_ptr_leaks)
    if (src.t !== 'scalar' && !this.privileged) fail(EACCES, `R${i.src} leaks addr into mem`);
    if (dst.t !== 'stack' && dst.t !== 'map_value' && dst.t !== 'mem')
      fail(EACCES, `BPF_ATOMIC stores into R${i.dst} ${typeStr(dst)} is not allowed`);
    // the value a fetch returns: what a load there would read (a stack slot's spilled scalar, as
    // Linux fills it; a spilled pointer is kept as an unknown scalar here), else unknown
    let fetched = size === 4 ? scalarReg(S.urange(0n, S.U32_MAX)) : UNKNOWN();
    if (dst.t === 'stack') {
      // read then write: the bytes must be initialized (and hold no pointer, unprivileged)
      const r = this.access(st, i.dst, dst, i.off, size, false);
      if (r.t !== 'scalar' && !this.privileged)
        fail(EACCES, `leaking pointer from stack off ${dst.off + i.off + Number(S.signed(dst.s.tv))}`);
      if (r.t === 'scalar') fetched = scalarReg(truncate(r.s, size));
      this.access(st, i.dst, dst, i.off, size, true, UNKNOWN());
    } else {
      this.access(st, i.dst, dst, i.off, size, false);
      this.access(st, i.dst, dst, i.off, size, true, UNKNOWN());
    }
    if (op === 0xf1) this.writeReg(st, 0, fetched);
    else if (op & 1) this.writeReg(st, i.src, fetched);
  }

  ldImm64(st: State, pc: number, i: Insn): void {
    const f = this.frame(st);
    if (i.dst === 10) fail(EACCES, 'frame pointer is read only');
    switch (i.src) {
      case Pseudo.NONE: {
        const v = (BigInt((i.imm2 ?? 0) >>> 0) << 32n) | BigInt(i.imm >>> 0);
        f.regs[i.dst] = scalarReg(S.constant(v));
        return;
      }
      case Pseudo.MAP_FD:
      case Pseudo.MAP_IDX:
        f.regs[i.dst] = mkReg('map_ptr', { map: this.mapAt[pc] });
        return;
      case Pseudo.MAP_VALUE:
      case Pseudo.MAP_IDX_VALUE:
        f.regs[i.dst] = mkReg('map_value', { map: this.mapAt[pc], off: (i.imm2 ?? 0) >>> 0 });
        return;
      case Pseudo.FUNC:
        if (!this.hasFuncInfo) fail(EINVAL, 'missing btf func_info');
        if (this.funcs?.[this.subprogs.indexOf(pc + i.imm + 1)]?.global)
          fail(EINVAL, 'callback function not static');
        f.regs[i.dst] = mkReg('func', { off: pc + i.imm + 1 });
        return;
      default:
        fail(EINVAL, 'unrecognized bpf_ld_imm64 insn');
    }
  }

  ldAbs(st: State, i: Insn): void {
    const mode = i.code & 0xe0;
    if (mode !== 0x20 && mode !== 0x40)
      fail(EINVAL, `unknown opcode ${i.code.toString(16).padStart(2, '0')}`);
    if (this.progType !== ProgType.SOCKET_FILTER && this.progType !== ProgType.SCHED_CLS)
      fail(EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
    if (i.dst !== 0 || i.off !== 0 || (i.code & 0x18) === 0x18 || (mode === 0x20 && i.src !== 0))
      fail(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
    if (this.frame(st).subprog !== 0 || this.subprogs.length > 1)
      fail(EINVAL, 'BPF_LD_[ABS|IND] instructions cannot be mixed with bpf-to-bpf calls');
    if (st.refs.length > 0) fail(EINVAL, 'BPF_LD_[ABS|IND] cannot be mixed with socket references');
    const r6 = this.readReg(st, 6);
    if (mode === 0x40) {
      if (i.src > 10) fail(EINVAL, `R${i.src} is invalid`);
      const s = this.readReg(st, i.src);
      if (s.t !== 'scalar') fail(EACCES, `R${i.src} leaks addr`);
    }
    if (r6.t !== 'ctx' || r6.off !== 0) fail(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    const f = this.frame(st);
    for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
    const size = [4, 2, 1, 8][(i.code >> 3) & 3]!;
    f.regs[0] = scalarReg(size === 8 ? S.unknown() : S.urange(0n, (1n << BigInt(size * 8)) - 1n));
  }

  // --- jumps, calls, exit ------------------------------------------------------------------------

  jmp(st: State, pc: number, i: Insn, is32: boolean): number {
    const op = i.code & 0xf0;
    if (op === 0x00) {
      return jumpTarget(i, pc);
    }
    if (op === 0x90) return this.exit(st, pc);
    if (op === 0x80) return this.call(st, pc, i);
    if (op === 0xe0) return this.mayGoto(st, pc, i);
    this.jmpsProcessed++;
    const cmp = CMP[op];
    if (cmp === undefined) fail(EINVAL, `unknown opcode ${i.code.toString(16).padStart(2, '0')}`);
    const x = (i.code & 8) !== 0;
    const a = this.readReg(st, i.dst);
    const b = x ? this.readReg(st, i.src) : this.immReg(pc, i, !is32);
    const target = jumpTarget(i, pc);
    const fall = pc + 1;
    const op2 = cmp as S.CmpOp;

    // Pointer comparisons.
    if (a.t !== 'scalar' || b.t !== 'scalar') {
      return this.ptrCmp(st, pc, i, a, b, op2, is32, x, target, fall);
    }
    const taken = S.branchTaken(op2, a.s, b.s, !is32);
    if (taken === 1 || taken === 0) {
      this.notePrecise(pc, i.dst);
      if (x) this.notePrecise(pc, i.src);
      return taken === 1 ? target : fall;
    }
    // Both: refine each side.
    const other = cloneState(st);
    const okT = this.refineScalars(other, i, op2, is32, x, true, b.s);
    const okF = this.refineScalars(st, i, op2, is32, x, false, b.s);
    if (okT && okF) {
      this.pushBranch(other, target, pc);
      return fall;
    }
    // an edge ruled out by the values: they matter
    this.notePrecise(pc, i.dst);
    if (x) this.notePrecise(pc, i.src);
    if (okT) {
      st.frames = other.frames;
      return target;
    }
    if (okF) return fall;
    return -1; // neither feasible: dead path
  }

  /** Narrows the compared scalars in `st`, for the taken (`taken`) or the fall-through edge. False: infeasible. */
  refineScalars(
    st: State,
    i: Insn,
    op: S.CmpOp,
    is32: boolean,
    x: boolean,
    taken: boolean,
    /** The immediate as a scalar (when not `x`; never changed: refined on a copy). */
    imm: Scalar,
  ): boolean {
    const f = this.frame(st);
    const a = S.copy(f.regs[i.dst]!.s);
    // (refine and refineNotSet change only their first operand: `b` is still unrefined when `a` is
    // refined against it, and `a` is refined by then, so `b` is refined against a copy of it; an
    // immediate `b` is only read)
    const b = x ? S.copy(f.regs[i.src]!.s) : imm;
    const a0 = x ? S.copy(a) : a;
    if (taken || op !== 'set') {
      const eff = taken ? op : S.negate(op)!;
      S.refine(eff, a, b, !is32);
      if (x) S.refine(S.flip(eff), b, a0, !is32);
    } else {
      S.refineNotSet(a, b, !is32);
      if (x && S.isConst(a0)) S.refineNotSet(b, a0, !is32);
    }
    if (S.isEmpty(a) || (x && S.isEmpty(b))) return false;
    f.regs[i.dst] = withScalar(f.regs[i.dst]!, a);
    if (x) f.regs[i.src] = withScalar(f.regs[i.src]!, b);
    return true;
  }

  ptrCmp(
    st: State,
    pc: number,
    i: Insn,
    a: Reg,
    b: Reg,
    op: S.CmpOp,
    is32: boolean,
    x: boolean,
    target: number,
    fall: number,
  ): number {
    // NULL checks: ptr_or_null ==/!= 0
    const isZero = (r: Reg): boolean => r.t === 'scalar' && S.isConst(r.s) && r.s.tv === 0n;
    // a scalar compared with a pointer: whether it is 0 decides the edges
    if (a.t === 'scalar') this.notePrecise(pc, i.dst);
    if (x && b.t === 'scalar') this.notePrecise(pc, i.src);
    if (!this.privileged) this.unprivPtrCmp(i, a, b, op, is32, x);
    // (Linux's null check: a 64-bit ==/!= of a maybe-null destination with the immediate 0; a
    // register holding 0, or the pointer as source, checks nothing)
    if (!is32 && !x && (op === 'eq' || op === 'ne')) {
      const nullable = a.nullable ? a : undefined;
      if (nullable !== undefined && isZero(b)) {
        const other = cloneState(st);
        // taken edge: for 'eq' the pointer is null.
        this.markNull(other, nullable.id, op === 'eq');
        this.markNull(st, nullable.id, op !== 'eq');
        this.pushBranch(other, target, pc);
        return fall;
      }
    }
    // A ==/!= test against 0 (in the compared width) of a pointer Linux knows is never NULL
    // (reg_not_null: sockets, map values and map pointers, memory; not ctx, stack, packet or
    // function pointers) is decided; for other pointers both edges are explored. (In 32 bits Linux
    // takes the low half of a valid pointer to be nonzero; the engine's pointers keep it so,
    // PTR_LO_BASE.)
    if (op === 'eq' || op === 'ne') {
      const ptr = a.t !== 'scalar' ? a : b;
      const oth = a.t !== 'scalar' ? b : a;
      const zero =
        oth.t === 'scalar' && (is32 ? S.isConst32(oth.s) && (oth.s.tv & 0xffffffffn) === 0n : isZero(oth));
      if (zero && !ptr.nullable && NEVER_NULL.has(ptr.t)) return op === 'eq' ? fall : target;
    }
    // Packet range: pkt vs pkt_end.
    if (!is32 && x) {
      const res = this.pktCmp(st, pc, a, b, op, target, fall);
      if (res !== undefined) return res;
    }
    // Unknown outcome: explore both edges unchanged.
    this.pushBranch(st, target, pc);
    return fall;
  }

  /**
   * Linux's pointer comparisons for unprivileged loaders: a pointer register as source is refused;
   * a pointer as destination only in a null check (`== 0` / `!= 0`, 64-bit, immediate) of a
   * maybe-null pointer, a test against 0 of a pointer that is never null (map value,
   * map pointer, memory; not ctx or stack), or a packet range check.
   */
  unprivPtrCmp(i: Insn, a: Reg, b: Reg, op: S.CmpOp, is32: boolean, x: boolean): void {
    const pkt = (r: Reg): boolean => r.t === 'pkt' || r.t === 'pkt_meta' || r.t === 'pkt_end';
    if (pkt(a) && pkt(b)) return;
    if (x && b.t !== 'scalar') fail(EACCES, `R${i.src} pointer comparison prohibited`);
    const eqne = op === 'eq' || op === 'ne';
    const zero = b.t === 'scalar' && S.isConst(b.s) && b.s.tv === 0n;
    if (eqne && zero && !x && !is32 && a.nullable) return;
    const notNull = !a.nullable && (a.t === 'map_value' || a.t === 'map_ptr' || a.t === 'mem');
    if (eqne && zero && notNull) return;
    fail(EACCES, `R${i.dst} pointer comparison prohibited`);
  }

  pktCmp(
    st: State,
    pc: number,
    a: Reg,
    b: Reg,
    op: S.CmpOp,
    target: number,
    fall: number,
  ): number | undefined {
    // Linux's pairs (try_match_pkt_pointers): a packet pointer against the packet end, a meta
    // pointer against the packet start itself (no offset); other pairs prove nothing
    let pkt: Reg;
    let cmp = op;
    const start = (r: Reg): boolean => r.t === 'pkt' && r.off === 0 && S.isConst(r.s) && r.s.tv === 0n;
    if (a.t === 'pkt' && b.t === 'pkt_end') pkt = a;
    else if (b.t === 'pkt' && a.t === 'pkt_end') {
      pkt = b;
      cmp = S.flip(op);
    } else if (a.t === 'pkt_meta' && start(b)) {
      pkt = a;
    } else if (b.t === 'pkt_meta' && start(a)) {
      pkt = b;
      cmp = S.flip(op);
    } else return undefined;
    // pkt CMP end. Range proven on the edge where pkt <= end (pkt + k bytes fit: range = off).
    // pkt > end: fall-through has pkt <= end; pkt >= end: fall-through pkt < end;
    // pkt < end: taken has pkt < end; pkt <= end: taken has pkt <= end.
    const other = cloneState(st);
    const rangeOf = (strict: boolean): number => pkt.off + (strict ? 1 : 0);
    let takenRange = -1;
    let fallRange = -1;
    if (cmp === 'gt') fallRange = rangeOf(false);
    else if (cmp === 'ge') fallRange = rangeOf(true);
    else if (cmp === 'lt') takenRange = rangeOf(true);
    else if (cmp === 'le') takenRange = rangeOf(false);
    // strict `<` gives range off+1? The kernel gives `off` for both; use `off` (never more than proven).
    if (takenRange > 0) this.markPktRange(other, pkt, pkt.off);
    if (fallRange > 0) this.markPktRange(st, pkt, pkt.off);
    this.pushBranch(other, target, pc);
    return fall;
  }

  markPktRange(st: State, pkt: Reg, range: number): void {
    if (pkt.off < 0) return;
    for (const f of st.frames) {
      const upd = (r: Reg): Reg =>
        r.t === pkt.t && r.id === pkt.id && r.range < range ? { ...r, range } : r;
      for (let k = 0; k < f.regs.length; k++) f.regs[k] = upd(f.regs[k]!);
      for (let k = 0; k < f.spill.length; k++) {
        const s = f.spill[k];
        if (s !== undefined) {
          const u = upd(s);
          if (u !== s) {
            own(f);
            f.spill[k] = u;
          }
        }
      }
    }
  }

  markNull(st: State, id: number, isNull: boolean): void {
    let released = 0;
    for (const f of st.frames) {
      const upd = (r: Reg): Reg => {
        if (!r.nullable || r.id !== id) return r;
        if (isNull) {
          if (r.ref) released = r.ref;
          return scalarReg(ZERO);
        }
        return { ...r, nullable: false };
      };
      for (let k = 0; k < f.regs.length; k++) f.regs[k] = upd(f.regs[k]!);
      for (let k = 0; k < f.spill.length; k++) {
        const s = f.spill[k];
        if (s !== undefined) {
          const u = upd(s);
          if (u !== s) {
            own(f);
            f.spill[k] = u;
          }
        }
      }
    }
    if (released) st.refs = st.refs.filter((r) => r.id !== released);
  }

  /**
   * bpf_loop: explores one more call of the callback from `st` (a branch), the way Linux does:
   * each callback exit continues after the helper call and also calls the callback again, until
   * the callback's entry states repeat (pruned) or the budget runs out.
   */
  pushCallback(st: State, pc: number, target: number, ctx: Reg, again = false): void {
    if (st.frames.length >= MAX_CALL_FRAMES)
      fail(E2BIG, `the call stack of ${st.frames.length + 1} frames is too deep`);
    const copy = cloneState(st);
    if (again) copy.cbDepth++;
    const callee = newFrame(pc, target);
    callee.cb = { target, ctx };
    callee.regs[1] = UNKNOWN();
    callee.regs[2] = ctx;
    callee.regs[10] = mkReg('stack', { frame: copy.frames.length });
    copy.frames.push(callee);
    this.cbEntries.add(target);
    this.pushBranch(copy, target, pc, ENOMEM);
  }

  exit(st: State, pc: number): number {
    const f = this.frame(st);
    const r0 = f.regs[0]!;
    if (f.cb !== undefined) {
      if (r0.t === 'not_init') fail(EACCES, 'R0 !read_ok');
      if (r0.t !== 'scalar' || r0.s.smin < 0n || r0.s.smax > 1n)
        fail(
          EINVAL,
          `At callback return the register R0 has ${r0.t === 'scalar' ? `smin=${r0.s.smin} smax=${r0.s.smax}` : `type ${typeStr(r0)}`} should have been in [0, 1]`,
        );
      st.frames.pop();
      const caller = this.frame(st);
      for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
      caller.regs[0] = UNKNOWN();
      // one more iteration from here, and the helper's return
      this.pushCallback(st, f.callsite, f.cb.target, f.cb.ctx, true);
      return f.callsite + 1;
    }
    if (st.frames.length > 1) {
      if (r0.t === 'not_init') fail(EACCES, 'R0 !read_ok');
      if (r0.t === 'stack' && r0.frame === st.frames.length - 1)
        fail(EINVAL, 'cannot return stack pointer to the caller');
      st.frames.pop();
      const caller = this.frame(st);
      caller.regs[0] = r0;
      for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
      return f.callsite + 1;
    }
    if (st.refs.length > 0) {
      const r = st.refs[0]!;
      fail2(
        EINVAL,
        `Unreleased reference id=${r.id} alloc_insn=${r.insn}`,
        'BPF_EXIT instruction in main prog would lead to reference leak',
      );
    }
    if (r0.t === 'not_init') fail(EACCES, 'R0 !read_ok');
    if (f.subprog !== 0) {
      // a global function, verified on its own: it returns a scalar, whatever the program type
      if (r0.t !== 'scalar')
        fail(EINVAL, `At subprogram exit the register R0 is not a scalar value (${typeStr(r0)})`);
      return -1;
    }
    if (r0.t !== 'scalar' && !this.privileged) fail(EACCES, 'R0 leaks addr as return value');
    const range = returnRange(this.progType, this.o.expectedAttachType ?? 0);
    if (range !== undefined && r0.t !== 'scalar')
      fail(EINVAL, `At program exit the register R0 is not a known value (${typeStr(r0)})`);
    if (range !== undefined && (r0.s.smin < range.lo || r0.s.smax > range.hi)) {
      let has = r0.s.smin > S.S64_MIN ? ` smin=${r0.s.smin}` : '';
      if (r0.s.smax < S.S64_MAX) has += ` smax=${r0.s.smax}`;
      fail(
        EINVAL,
        `At program exit the register R0 has${has || ' unknown scalar value'} should have been in [${range.lo}, ${range.hi}]`,
      );
    }
    if (r0.t !== 'scalar') {
      if (!this.privileged) fail(EACCES, 'R0 leaks addr as return value');
    }
    void pc;
    return -1;
  }

  call(st: State, pc: number, i: Insn): number {
    if (i.src === 1) {
      const k = this.funcs === undefined ? -1 : this.subprogs.indexOf(pc + i.imm + 1);
      if (k > 0 && this.funcs![k]!.global) {
        this.globalCall(st, pc, k);
        return pc + 1;
      }
      // bpf-to-bpf call
      if (st.frames.length >= MAX_CALL_FRAMES)
        fail(E2BIG, `the call stack of ${st.frames.length + 1} frames is too deep`);
      const target = pc + i.imm + 1;
      const caller = this.frame(st);
      const callee = newFrame(pc, target);
      for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r]!;
      callee.regs[10] = mkReg('stack', { frame: st.frames.length });
      st.frames.push(callee);
      return target;
    }
    if (i.src === 2) {
      const proto = this.o.kfunc?.(i.imm, i.off);
      if (proto === undefined)
        fail(EINVAL, `kernel function with btf id ${i.imm} is not supported by the machine`);
      this.helperCall(st, pc, i.imm, proto);
      return pc + 1;
    }
    if (i.src !== 0) fail(EINVAL, `unknown opcode 85`);
    this.helperCall(st, pc, i.imm);
    return pc + 1;
  }

  /** A helper that takes a socket pointer in R1 and returns a socket pointer or NULL (sock.ts). */
  sockHelperCall(st: State, id: number): boolean {
    const h = SOCK_HELPERS.get(id);
    if (h === undefined) return false;
    if (!h.types.includes(this.progType))
      fail(EINVAL, `program of this type cannot use helper bpf_${h.name}#${id}`);
    const r1 = this.readReg(st, 1);
    if (!isSock(r1.t) || r1.nullable) fail(EACCES, `R1 type=${typeStr(r1)} expected=${SOCK_COMMON_EXPECTED}`);
    const f = this.frame(st);
    for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
    f.regs[0] = mkReg(h.ret, { nullable: true, id: ++this.nextId });
    return true;
  }

  /**
   * A call of global function `k`: the arguments must match its prototype (scalars, the ctx,
   * memory of the pointee's size or NULL); the function itself is verified later, on its own. R0
   * becomes an unknown scalar.
   */
  globalCall(st: State, pc: number, k: number): void {
    const fn = this.funcs![k]!;
    const f = this.frame(st);
    const refuse = (e: unknown, errno?: number): never => {
      if (!(e instanceof Reject)) throw e;
      throw new Reject(errno ?? e.errno, `Caller passes invalid args into func#${k} ('${fn.name}')`, [
        ...e.before,
        e.line,
      ]);
    };
    const ga = this.globalArgs(k);
    try {
      if ('error' in ga) fail(EINVAL, ga.error);
    } catch (e) {
      refuse(e);
    }
    const args = 'args' in ga ? ga.args : [];
    for (let q = 0; q < args.length; q++) {
      const a = args[q]!;
      const r = q + 1;
      const reg = f.regs[r]!;
      try {
        if (a.kind === 'scalar') {
          if (reg.t !== 'scalar') fail(EINVAL, `R${r} is not a scalar`);
        } else if (a.kind === 'ctx') {
          if (reg.t === 'ctx' && (reg.off !== 0 || !S.isConst(reg.s)))
            fail(EACCES, `dereference of modified ctx ptr R${r} off=${reg.off} disallowed`);
          if (reg.t !== 'ctx') fail(EINVAL, `arg#${q} expects pointer to ctx`);
        } else if (reg.t === 'scalar' && S.isConst(reg.s) && reg.s.tv === 0n) {
          this.notePrecise(pc, r); // NULL: the value matters
        } else {
          if (reg.t === 'scalar') this.notePrecise(pc, r);
          // read and written by the callee: Linux's check_mem_reg (maybe-NULL pointers count as valid)
          const size = { min: BigInt(a.size), max: BigInt(a.size) };
          const p = reg.nullable ? { ...reg, nullable: false } : reg;
          try {
            this.memArgRange(st, r, p, size, true, true);
            this.memArgRange(st, r, p, size, false, true);
          } catch (e) {
            refuse(e, EINVAL);
          }
        }
      } catch (e) {
        refuse(e);
      }
    }
    if (this.level >= 1) this.log.push(`Func#${k} ('${fn.name}') is global and assumed valid.`);
    this.calledGlobals.add(k);
    for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
    f.regs[0] = UNKNOWN();
  }

  helperCall(st: State, pc: number, id: number, kfunc?: HelperProto): void {
    if (kfunc === undefined && this.sockHelperCall(st, id)) return;
    const proto = kfunc ?? HELPERS.get(id);
    if (proto === undefined) {
      const name = HELPER_NAMES.get(id);
      if (name === undefined) fail(EINVAL, `invalid func unknown#${id}`);
      fail(EINVAL, `program of this type cannot use helper bpf_${name}#${id}`);
    }
    const p = proto as HelperProto;
    if (
      !helperAllowed(p, this.progType) ||
      (!this.privileged && kfunc === undefined && PRIVILEGED_HELPERS.has(id)) ||
      (kfunc === undefined && this.o.unavailableHelpers?.has(id) === true)
    )
      fail(EINVAL, `program of this type cannot use helper bpf_${p.name}#${id}`);
    if (p.gplOnly && !this.gpl)
      fail(EINVAL, 'cannot call GPL-restricted function from non-GPL compatible program');
    if (p.mightSleep && !(this.o.sleepable ?? this.progType === ProgType.SYSCALL))
      fail(EINVAL, 'helper call might sleep in a non-sleepable prog');
    const f = this.frame(st);
    let map: VerifierMap | undefined;
    let memSize = 0;
    let releaseRef = 0;
    let keyConst: bigint | undefined;
    let cbTarget = -1;
    let cbCtx: Reg | undefined;
    let constStr: Uint8Array | undefined;
    for (let k = 0; k < p.args.length; k++) {
      const regno = k + 1;
      const kind = p.args[k]!;
      if (kind === 'size' || kind === 'size_or_zero' || kind === 'alloc_size_or_zero')
        this.notePrecise(pc, regno);
      const reg = this.readReg(st, regno);
      switch (kind) {
        case 'anything':
          if (reg.t !== 'scalar' && !this.privileged)
            fail(EACCES, `R${regno} leaks addr into helper function`);
          break;
        case 'map':
          if (reg.t !== 'map_ptr') fail(EACCES, `R${regno} type=${typeStr(reg)} expected=map_ptr`);
          map = reg.map;
          if (kfunc === undefined && id === 12 && map!.type !== MapType.PROG_ARRAY)
            throw new Reject(EINVAL, 'expected prog array map for tail call', [], true);
          break;
        case 'key':
        case 'value':
        case 'uninit_value': {
          if (map === undefined)
            fail(EACCES, `invalid map_ptr to access map->${kind === 'key' ? 'key' : 'value'}`);
          const size = kind === 'key' ? map!.keySize : map!.valueSize;
          if (size === 0) fail(EACCES, 'invalid zero-sized read');
          if (kind === 'key') keyConst = this.constKey(st, reg, size);
          this.memArg(st, regno, reg, size, kind !== 'uninit_value', kind);
          break;
        }
        case 'mem':
        case 'uninit_mem':
        case 'mem_or_null':
        case 'uninit_mem_or_null': {
          const sizeReg = this.readReg(st, regno + 1);
          const sizeKind = p.args[k + 1]!;
          const size = this.sizeArg(regno + 1, sizeReg, sizeKind === 'size_or_zero');
          this.notePrecise(pc, regno + 1);
          if (reg.t === 'scalar') this.notePrecise(pc, regno);
          if (size.max === 0n && reg.t === 'scalar' && S.isConst(reg.s) && reg.s.tv === 0n) break;
          // NULL for a maybe-NULL buffer with a size that may not be 0: Linux's line names only fp
          if (kind.endsWith('_or_null') && reg.t === 'scalar' && S.isConst(reg.s) && reg.s.tv === 0n)
            fail(EACCES, `R${regno} type=scalar expected=fp`);
          this.memArgRange(st, regno, reg, size, !kind.startsWith('uninit'));
          k++;
          break;
        }
        case 'size':
        case 'size_or_zero':
          this.sizeArg(regno, reg, kind === 'size_or_zero');
          break;
        case 'alloc_size_or_zero':
          if (reg.t !== 'scalar' || !S.isConst(reg.s)) fail(EACCES, `R${regno} is not a known constant'`);
          memSize = Number(reg.s.tv);
          break;
        case 'ctx':
          if (reg.t !== 'ctx') fail(EACCES, `R${regno} type=${typeStr(reg)} expected=ctx`);
          if (reg.off !== 0 || !S.isConst(reg.s))
            fail(EACCES, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
          break;
        case 'ringbuf_mem_release':
          if (reg.t !== 'mem' || reg.nullable)
            fail(EACCES, `R${regno} type=${typeStr(reg)} expected=ringbuf_mem`);
          if (reg.off !== 0 || !S.isConst(reg.s))
            fail(
              EACCES,
              `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`,
            );
          if (!st.refs.some((r) => r.id === reg.ref))
            fail(EINVAL, `R${regno} must be referenced when passed to release func`);
          releaseRef = reg.ref;
          break;
        case 'long_ptr':
          this.memArgRange(st, regno, reg, { min: 8n, max: 8n }, false);
          if (reg.t === 'stack' && reg.off % 8 !== 0) {
            const v = reg.s;
            const tn = S.isConst(v)
              ? `${S.signed(v.tv)}`
              : `(0x${v.tv.toString(16)}; 0x${v.tm.toString(16)})`;
            fail(EACCES, `misaligned stack access off ${tn}+${reg.off}+0 size 8`);
          }
          break;
        case 'func':
          if (reg.t !== 'func') fail(EACCES, `R${regno} type=${typeStr(reg)} expected=func`);
          cbTarget = reg.off;
          break;
        case 'const_str': {
          if (reg.t !== 'map_value' || reg.nullable)
            fail(EACCES, `R${regno} type=${typeStr(reg)} expected=map_value`);
          const off = S.isConst(reg.s) ? reg.off + Number(S.signed(reg.s.tv)) : undefined;
          const str = constString(regno, reg.map!, off);
          if (!(str instanceof Uint8Array))
            str.detail === undefined ? fail(str.errno, str.line) : fail2(str.errno, str.detail, str.line);
          constStr = str as Uint8Array;
          break;
        }
        case 'stack_or_null':
          if (reg.t === 'stack' && S.isConst(reg.s)) cbCtx = reg;
          else if (reg.t === 'scalar' && S.isConst(reg.s) && reg.s.tv === 0n) {
            cbCtx = reg;
            this.notePrecise(pc, regno);
          } else fail(EACCES, `R${regno} type=${typeStr(reg)} expected=fp`);
          break;
      }
    }
    if (cbTarget >= 0 && cbCtx !== undefined) this.pushCallback(st, pc, cbTarget, cbCtx);
    const snp = constStr && kfunc === undefined && id === 165 && checkSnprintfCall(constStr, f.regs[5]!.s.tv);
    if (snp) fail(snp.errno, snp.line);
    if (map !== undefined && kfunc === undefined && !mapFitsHelper(id, map.type))
      fail(EINVAL, `cannot pass map_type ${map.type} into func bpf_${p.name}#${id}`);
    if (releaseRef) {
      st.refs = st.refs.filter((r) => r.id !== releaseRef);
      for (const fr of st.frames) {
        for (let k = 0; k < fr.regs.length; k++)
          if (fr.regs[k]!.ref === releaseRef) fr.regs[k] = this.privileged ? UNKNOWN() : NOT_INIT;
        for (let k = 0; k < fr.spill.length; k++) {
          const s = fr.spill[k];
          if (s !== undefined && s.ref === releaseRef) {
            own(fr);
            fr.spill[k] = scalarReg(S.unknown());
            for (let b = 0; b < 8; b++) fr.stype[k * 8 + b] = ST_MISC;
          }
        }
      }
    }
    // Linux bounds some integer results (do_refine_retval_range): the string/stack copiers return
    // at most their size argument's largest value (or -errno), the CPU id is below nr_cpu_ids.
    const sizeArg = STR_RET_SIZE_ARG.get(id);
    const msizeMax = kfunc === undefined && sizeArg !== undefined ? f.regs[sizeArg]!.s.umax : undefined;
    for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
    switch (p.ret) {
      case 'integer':
        if (kfunc === undefined && id === 8)
          f.regs[0] = scalarReg(S.urange(0n, BigInt((this.o.cpus ?? 2) - 1)));
        else if (msizeMax !== undefined) {
          const r = S.unknown();
          r.smin = -4095n;
          r.s32min = -4095;
          r.smax = BigInt.asIntN(64, msizeMax);
          r.s32max = Number(BigInt.asIntN(32, msizeMax));
          f.regs[0] = scalarReg(S.sync(r));
        } else f.regs[0] = UNKNOWN();
        break;
      case 'void':
        f.regs[0] = NOT_INIT;
        break;
      case 'map_value_or_null': {
        // Linux 6.14+: an array lookup with a constant in-range key cannot fail.
        const k =
          map !== undefined && (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY)
            ? keyConst
            : undefined;
        if (map !== undefined && (map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS)) {
          // map-in-map: the value is the inner map (or NULL)
          if (map.inner === undefined) fail(EINVAL, 'map-in-map without an inner map');
          f.regs[0] = mkReg('map_ptr', { map: map.inner, nullable: true, id: ++this.nextId });
        } else if (k !== undefined && k < BigInt(map!.maxEntries) && this.privileged)
          f.regs[0] = mkReg('map_value', { map });
        else f.regs[0] = mkReg('map_value', { map, nullable: true, id: ++this.nextId });
        break;
      }
      case 'ringbuf_mem_or_null': {
        const id = ++this.nextId;
        st.refs = [...st.refs, { id, insn: pc }];
        f.regs[0] = mkReg('mem', { nullable: true, id, ref: id, memSize });
        break;
      }
    }
    if (id === 12) {
      // tail_call continues when the call fails, with R0 unset (the helper returns void to the
      // verifier, as in Linux)
      if (st.refs.length > 0) fail(EINVAL, 'tail_call would lead to reference leak');
    }
  }

  /** The value of a `size`-byte key on the stack when every byte is known (zero or a spilled constant). */
  constKey(st: State, reg: Reg, size: number): bigint | undefined {
    if (reg.t !== 'stack' || !S.isConst(reg.s) || size > 8) return undefined;
    const o = reg.off + Number(S.signed(reg.s.tv));
    if (o < -MAX_BPF_STACK || o + size > 0) return undefined;
    const fr = st.frames[reg.frame]!;
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) {
      const b = MAX_BPF_STACK + o + k;
      const t = fr.stype[b]!;
      let byte: bigint;
      if (t === ST_ZERO) byte = 0n;
      else if (t === ST_SPILL) {
        const sp = fr.spill[b >> 3];
        if (sp === undefined || sp.t !== 'scalar' || !S.isConst(sp.s)) return undefined;
        byte = (sp.s.tv >> BigInt((b & 7) * 8)) & 0xffn;
      } else return undefined;
      v = (v << 8n) | byte;
    }
    return v;
  }

  sizeArg(regno: number, reg: Reg, zeroOk: boolean): { min: bigint; max: bigint } {
    if (reg.t !== 'scalar') fail(EACCES, `R${regno} type=${typeStr(reg)} expected=scalar`);
    const s = reg.s;
    if (s.smin < 0n) fail(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
    if (s.umin === 0n && !zeroOk)
      fail(EACCES, `R${regno} invalid zero-sized read: u64=[${s.umin},${s.umax}]`);
    if (s.umax >= 1n << 29n)
      fail(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
    return { min: s.umin, max: s.umax };
  }

  memArg(st: State, regno: number, reg: Reg, size: number, init: boolean, _kind: string): void {
    this.memArgRange(st, regno, reg, { min: BigInt(size), max: BigInt(size) }, init);
  }

  /** A helper reads (`init`) or writes `size` bytes through `reg`. */
  memArgRange(
    st: State,
    regno: number,
    reg: Reg,
    size: { min: bigint; max: bigint },
    init: boolean,
    /** A global function's argument: Linux names only `fp` as the expected type. */
    globalArg = false,
  ): void {
    const n = Number(size.max);
    if (n === 0) return;
    switch (reg.t) {
      case 'stack': {
        const what = init ? 'read from' : 'write to';
        const fr = st.frames[reg.frame]!;
        // [o, o + span): every byte the helper may touch (a variable offset: from its smallest to
        // its largest value, as Linux's check_stack_range_initialized)
        let o: number;
        let span = n;
        let at = (k: number): string => `off ${o}+${k}`;
        if (S.isConst(reg.s)) {
          o = reg.off + Number(S.signed(reg.s.tv));
          if (o < -MAX_BPF_STACK) fail(EACCES, `invalid ${what} stack R${regno} off=${o} size=${n}`);
          if (o + n > 0) fail(EINVAL, `invalid ${what} stack R${regno} off=${o} size=${n}`);
          if (init && !this.privileged && o < -allocatedStack(fr))
            fail(EACCES, `invalid read from stack R${regno} off=${reg.off} size=${n}`);
        } else {
          const v = reg.s;
          const tn = `(0x${v.tv.toString(16)}; 0x${v.tm.toString(16)})`;
          if (v.smax >= BigInt(MAX_VAR_OFF) || v.smin <= -BigInt(MAX_VAR_OFF))
            fail(EACCES, `invalid unbounded variable-offset ${what} stack R${regno}`);
          o = reg.off + Number(v.smin);
          span = Number(v.smax - v.smin) + n;
          const bad = `invalid variable-offset ${what} stack R${regno} var_off=${tn} off=${reg.off} size=${n}`;
          if (o < -MAX_BPF_STACK) fail(EACCES, bad);
          if (o + span > 0) fail(EINVAL, bad);
          if (!this.privileged)
            fail(EACCES, `R${regno} variable offset stack access prohibited for !root, var_off=${tn}`);
          at = (k: number): string => `var_off ${tn}+${k}`;
        }
        this.noteDepth(fr.subprog, -o);
        for (let k = 0; k < span; k++) {
          const b = MAX_BPF_STACK + o + k;
          const t = fr.stype[b]!;
          if (init) {
            if (t === ST_INVALID && !this.privileged)
              fail(EACCES, `invalid read from stack R${regno} ${at(k)} size ${n}`);
            if (t === ST_SPILL && fr.spill[b >> 3]!.t !== 'scalar' && !this.privileged)
              fail(EACCES, `invalid read from stack R${regno} ${at(k)} size ${n}`);
          } else {
            // the helper writes: the bytes become misc, spilled registers there are lost
            own(fr);
            if (t === ST_SPILL) {
              const slot = b >> 3;
              fr.spill[slot] = undefined;
              for (let q = 0; q < 8; q++)
                if (fr.stype[slot * 8 + q] === ST_SPILL) fr.stype[slot * 8 + q] = ST_MISC;
            }
            fr.stype[b] = ST_MISC;
          }
        }
        return;
      }
      case 'map_value': {
        const m = reg.map!;
        if (!init && (m.flags & MapFlag.RDONLY_PROG) !== 0)
          fail(EACCES, `write into map forbidden, value_size=${m.valueSize} off=${reg.off} size=${n}`);
        this.boundsCheck(
          regno,
          reg,
          0,
          n,
          m.valueSize,
          (o) => `invalid access to map value, value_size=${m.valueSize} off=${o} size=${n}`,
        );
        return;
      }
      case 'mem':
        if (reg.nullable) break;
        this.boundsCheck(
          regno,
          reg,
          0,
          n,
          reg.memSize,
          (o) => `invalid access to memory, mem_size=${reg.memSize} off=${o} size=${n}`,
        );
        return;
      case 'pkt':
      case 'pkt_meta':
        if (!init && !packetWritable(this.progType))
          fail(EACCES, 'helper access to the packet is not allowed');
        this.access(st, regno, reg, 0, 1, false);
        if (reg.off + n > reg.range)
          fail2(
            EACCES,
            `invalid access to packet, off=${reg.off} size=${n}, R${regno}(id=${reg.id},off=${reg.off},r=${reg.range})`,
            `R${regno} offset is outside of the packet`,
          );
        return;
      default:
        break;
    }
    if (globalArg) fail(EACCES, `R${regno} type=${typeStr(reg)} expected=fp`);
    fail(
      EACCES,
      `R${regno} type=${typeStr(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`,
    );
  }
}

/**
 * Fields of `struct bpf_map` a privileged program may read through a map pointer (Linux reads
 * them through vmlinux BTF; signed loaders read `map->sha` and `map->excl`): the ones the
 * machine's engine serves, `sha[32]` at offset 0 and the 4-byte `excl` flag at offset 32.
 */
function mapStructField(reg: Reg, off: number, size: number): boolean {
  if (reg.off !== 0 || !S.isConst(reg.s) || reg.s.tv !== 0n) return false;
  if (off >= 0 && off + size <= 32 && off % size === 0) return true;
  return off === 32 && size === 4;
}

/**
 * What a load through a map value pointer reads when the map is read-only to programs and frozen
 * (Linux's bpf_map_is_rdonly + bpf_map_direct_read): the bytes themselves, little-endian and
 * zero-extended, at a constant offset of a plain array map; undefined otherwise. Linux can take
 * the address only of a one-element array: a load from a frozen read-only array of more elements
 * fails with ENOTSUPP and no log line.
 */
function readOnlyValue(reg: Reg, off: number, size: number): bigint | undefined {
  const m = reg.map;
  if (m === undefined || (m.flags & MapFlag.RDONLY_PROG) === 0 || m.frozen !== true) return undefined;
  if (m.type !== MapType.ARRAY || !S.isConst(reg.s)) return undefined;
  if (m.maxEntries !== 1) fail(ENOTSUPP, '');
  const bytes = m.directValue?.();
  if (bytes === undefined) return undefined;
  const at = reg.off + off + Number(S.signed(reg.s.tv));
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[at + k] ?? 0);
  return v;
}

function truncate(s: Scalar, size: number): Scalar {
  if (size >= 8) return s;
  const m = (1n << BigInt(size * 8)) - 1n;
  return S.isConst(s) ? S.constant(s.tv & m) : S.urange(0n, m);
}

function EBADF_OR_INVAL(byIdx: boolean): number {
  return byIdx ? EFAULT : 9;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// --- state comparison ------------------------------------------------------------------------------

class IdMap {
  /** Made on the first nonzero id (most comparisons have none). */
  fwd: Map<number, number> | undefined;
  back: Map<number, number> | undefined;
  check(a: number, b: number): boolean {
    if (a === 0 && b === 0) return true;
    if (a === 0 || b === 0) return false;
    if (this.fwd === undefined || this.back === undefined) {
      this.fwd = new Map([[a, b]]);
      this.back = new Map([[b, a]]);
      return true;
    }
    const f = this.fwd.get(a);
    const r = this.back.get(b);
    if (f === undefined && r === undefined) {
      this.fwd.set(a, b);
      this.back.set(b, a);
      return true;
    }
    return f === b && r === a;
  }
}

function regSafe(old: Reg, cur: Reg, exact: boolean, ids: IdMap): boolean {
  if (old.t === 'not_init') return exact ? cur.t === 'not_init' : true;
  if (old.t !== cur.t) return false;
  if (old.t === 'scalar') return exact ? S.equal(old.s, cur.s) : S.within(old.s, cur.s);
  if (old.off !== cur.off || old.nullable !== cur.nullable || old.map !== cur.map) return false;
  if (old.frame !== cur.frame || old.memSize !== cur.memSize) return false;
  if (
    exact
      ? !S.equal(old.s, cur.s) || old.range !== cur.range
      : !S.within(old.s, cur.s) || old.range > cur.range
  )
    return false;
  if (!ids.check(old.id, cur.id)) return false;
  if (!ids.check(old.ref, cur.ref)) return false;
  return true;
}

/**
 * Whether `cur` is covered by `old` (`exact`: equal). Registers of the top frame outside `live` do
 * not matter; neither do the values of its scalar registers outside `precise` (no check needs
 * them: Linux's imprecise scalars), as long as they are scalars in both.
 */
function statesEqual(old: State, cur: State, live: number, exact: boolean, precise = 0xffff): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const ids = new IdMap();
  for (let k = 0; k < old.frames.length; k++) {
    const of = old.frames[k]!;
    const cf = cur.frames[k]!;
    if (of.callsite !== cf.callsite) return false;
    const top = k === old.frames.length - 1;
    for (let r = 0; r < 10; r++) {
      if (top && !(live & (1 << r))) continue;
      const o = of.regs[r]!;
      const c = cf.regs[r]!;
      if (top && !(precise & (1 << r)) && o.t === 'scalar' && c.t === 'scalar') continue;
      if (!regSafe(o, c, exact, ids)) return false;
    }
    // Copy-on-write: a stack still shared with the checkpoint is the same stack; only the ids of
    // its spilled registers must still map consistently with the registers' ids.
    if (of.stype === cf.stype && of.spill === cf.spill) {
      for (const sp of of.spill) if (sp !== undefined && !regSafe(sp, sp, exact, ids)) return false;
      continue;
    }
    for (let b = 0; b < MAX_BPF_STACK; b++) {
      const ot = of.stype[b]!;
      const ct = cf.stype[b]!;
      if (ot === ST_INVALID) {
        if (exact && ct !== ST_INVALID) return false;
        continue;
      }
      if (ot === ST_MISC) {
        if (ct === ST_MISC || (!exact && ct === ST_ZERO)) continue;
        if (!exact && ct === ST_SPILL && cf.spill[b >> 3]?.t === 'scalar') continue;
        return false;
      }
      if (ot === ST_ZERO) {
        if (ct !== ST_ZERO) return false;
        continue;
      }
      // spill: compare once per slot
      if (ct !== ST_SPILL) return false;
      if ((b & 7) === 0 || of.stype[b - 1] !== ST_SPILL) {
        const os = of.spill[b >> 3];
        const cs = cf.spill[b >> 3];
        if (os === undefined || cs === undefined) return false;
        if (!regSafe(os, cs, exact, ids)) return false;
      }
    }
  }
  if (old.refs.length !== cur.refs.length) return false;
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id, cur.refs[k]!.id)) return false;
  return true;
}
