/**
 * Kernel acceptance probe of the instruction encodings (not part of `npm test`).
 *
 * Loads tiny programs with BPF_PROG_LOAD (SOCKET_FILTER, license GPL) through the kernel backend
 * (`src/sys/kernel`, which adds the verifier log on failure), and prints a Markdown table: each case, what `encodingError` says, the
 * kernel's verdict (errno and the last log line) and whether the two agree on the ENCODING.
 * Rejections for semantic reasons (uninitialized register, bad jump target, ...) are marked as such.
 *
 * It then loads `--random=N` (default 300) programs from `arbLoadableProgram` (test/isa/arbitraries.ts),
 * which must all be accepted.
 *
 * Run as root: `node --import tsx bench/probe-isa.ts` (`--json` for machine-readable output).

 */

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { BTF_KIND, Btf } from '../src/btf/index.js';
import * as I from '../src/isa/index.js';
import { encode, encodingError, type Insn } from '../src/isa/index.js';
import { BpfError, VerifierError } from '../src/sys/errors.js';
import { kernelBackend } from '../src/sys/kernel/index.js';
import { MapFlag, MapType, ProgType } from '../src/uapi/constants.js';
import { arbLoadableProgram } from '../test/isa/arbitraries.js';

const kernel = kernelBackend();

interface Verdict {
  ok: boolean;
  errno: string;
  log: string;
}

/** Loads `insns` as a GPL socket filter; on refusal, the errno and the last log line that matters. */
function load(insns: readonly Insn[], fdArray: readonly number[] = []): Verdict {
  try {
    const fd = kernel.progLoad({
      progType: ProgType.SOCKET_FILTER,
      insns: encode(insns),
      license: 'GPL',
      ...(fdArray.length > 0 ? { fdArray: Int32Array.from(fdArray) } : {}),
    });
    fd.close();
    return { ok: true, errno: '', log: '' };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const lines = e instanceof VerifierError ? e.log.split('\n') : [];
    const last = lines.filter((l) => l.trim() !== '' && !/^processed \d+ insns/.test(l)).at(-1);
    return { ok: false, errno: e.code, log: last ?? '' };
  }
}

function arrayMap(): number {
  return kernel.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }).release();
}

const vmlinux = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));

/** BTF id of a vmlinux type by kind and name. */
function vmlinuxId(kind: 'VAR' | 'FUNC', name: string): number | undefined {
  return vmlinux.findId(name, BTF_KIND[kind]);
}

function arenaMap(): number {
  return kernel
    .mapCreate({
      mapType: MapType.ARENA,
      keySize: 0,
      valueSize: 0,
      maxEntries: 1,
      mapFlags: MapFlag.MMAPABLE,
      mapExtra: 1n << 32n, // the arena's user address
    })
    .release();
}

const close = (fd: number): void => kernel.close(fd);

const raw = (code: number, dst: number, src: number, off: number, imm: number, imm2?: number): Insn =>
  imm2 === undefined ? { code, dst, src, off, imm } : { code, dst, src, off, imm, imm2 };

const { R0, R1, R10 } = I;
/** Builder functions by name (for the loops below). */
const ns: Record<string, unknown> = { ...I };
const byName = (name: string) => ns[name] as (...args: unknown[]) => Insn;
/** Initializes the stack slot at fp-8 and r0..r9, so only the probed instruction matters. */
const prefix: Insn[] = [
  I.stDW(R10, -8, 0),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => I.mov64Imm(I.dstReg(n), 0)),
];
const suffix: Insn[] = [I.mov64Imm(R0, 0), I.exit()];
const wrap = (...mid: Insn[]): Insn[] => [...prefix, ...mid, ...suffix];

interface Case {
  group: string;
  name: string;
  insns: Insn[];
  /** fd_array given at load. */
  fdArray?: number[];
  /** The probed instruction (for encodingError). */
  probe: Insn;
}
const cases: Case[] = [];
function add(group: string, name: string, probe: Insn, insns?: Insn[]): void {
  cases.push({ group, name, probe, insns: insns ?? wrap(probe) });
}

// --- features -------------------------------------------------------------------------------
const sizes = ['B', 'H', 'W', 'DW'] as const;
for (const s of sizes) {
  add('feature', `load_acquire ${s}`, byName(`loadAcquire${s}`)(R0, R10, -8));
  add('feature', `store_release ${s}`, byName(`storeRelease${s}`)(R10, -8, R1));
}
{
  const mg = I.mayGoto(1);
  add('feature', 'may_goto +1', mg, [...prefix, mg, I.mov64Imm(R0, 1), ...suffix]);
  // jeq skips the gotol, so both paths reach every instruction.
  const gl = I.gotol(1);
  add('feature', 'gotol +1', gl, [...prefix, I.jeqImm(R1, 0, 1), gl, I.mov64Imm(R0, 1), ...suffix]);
}
add('feature', 'movsx64 8', I.movsx64(R0, R1, 8));
add('feature', 'movsx64 16', I.movsx64(R0, R1, 16));
add('feature', 'movsx64 32', I.movsx64(R0, R1, 32));
add('feature', 'movsx32 8', I.movsx32(R0, R1, 8));
add('feature', 'movsx32 16', I.movsx32(R0, R1, 16));
for (const s of ['B', 'H', 'W'] as const) add('feature', `ldsx ${s}`, byName(`ldsx${s}`)(R0, R10, -8));
for (const op of ['sdiv', 'smod'] as const)
  for (const w of ['32', '64'] as const) {
    add('feature', `${op}${w} imm`, byName(`${op}${w}Imm`)(R0, 3));
    add(
      'feature',
      `${op}${w} reg`,
      byName(`${op}${w}Reg`)(R0, R1),
      wrap(I.mov64Imm(R1, 3), byName(`${op}${w}Reg`)(R0, R1)),
    );
  }
for (const w of [16, 32, 64] as const) add('feature', `bswap${w}`, byName(`bswap${w}`)(R0));
for (const a of [
  'Add',
  'Or',
  'And',
  'Xor',
  'FetchAdd',
  'FetchOr',
  'FetchAnd',
  'FetchXor',
  'Xchg',
  'Cmpxchg',
] as const)
  for (const w of ['32', '64'] as const)
    add('feature', `atomic ${a}${w}`, byName(`atomic${a}${w}`)(R10, -8, R1));
add('feature', 'callx r1 (reg in dst, as LLVM encodes)', I.callx(R1));
add('feature', 'callx r1 (reg in src)', raw(0x8d, 0, 1, 0, 0));
add('feature', 'callx r1 (reg in imm)', raw(0x8d, 0, 0, 0, 1));
add('feature', 'addr_space_cast 1->0 without arena', I.addrSpaceCast(R0, R1, 0, 1));
/** Saves the context (skb) in r6 before the prefix clears r1, for LD_ABS/LD_IND. */
const skb = (probe: Insn): Insn[] => [
  I.mov64Reg(I.R6, R1),
  ...prefix.filter((_, k) => k !== 7),
  probe,
  ...suffix,
];
add('feature', 'ld_abs W (skb in r6)', I.ldAbsW(0), skb(I.ldAbsW(0)));
add('feature', 'ld_ind W (skb in r6)', I.ldIndW(I.R2, 0), [
  I.mov64Reg(I.R6, R1),
  I.mov64Imm(I.R2, 0),
  I.ldIndW(I.R2, 0),
  ...suffix,
]);
add('feature', 'ld_imm64 plain', I.ldImm64(R0, 0x1122334455667788n));

// --- reserved-field forms, one per encodingError rule ----------------------------------------
const r = (name: string, insn: Insn, insns?: Insn[]) => add('reserved', name, insn, insns);
r('dst r11 (mov64 imm)', raw(0xb7, 11, 0, 0, 0));
r('ALU op 0xe0 (ALU64 K)', raw(0xe7, 0, 0, 0, 0));
r('ALU op 0xf0 (ALU64 K)', raw(0xf7, 0, 0, 0, 0));
r('ALU64 END with X bit', raw(0xdf, 0, 0, 0, 16));
r('END imm 8', raw(0xd4, 0, 0, 0, 8));
r('END src 1', raw(0xd4, 0, 1, 0, 16));
r('END off 1', raw(0xd4, 0, 0, 1, 16));
r('ALU32 END imm 64 (le64)', raw(0xd4, 0, 0, 0, 64));
r('NEG with X bit', raw(0x8f, 0, 1, 0, 0));
r('NEG imm 1', raw(0x87, 0, 0, 0, 1));
r('NEG src 1', raw(0x87, 0, 1, 0, 0));
r('NEG off 1', raw(0x87, 0, 0, 1, 0));
r('MOV K src 1', raw(0xb7, 0, 1, 0, 0));
r('MOV K off 1', raw(0xb7, 0, 0, 1, 0));
r('MOV X imm 1', raw(0xbf, 0, 1, 0, 1));
r('MOV X src r11', raw(0xbf, 0, 11, 0, 0));
r('movsx64 off 7', raw(0xbf, 0, 1, 7, 0));
r('movsx32 off 32', raw(0xbc, 0, 1, 32, 0));
r('ALU32 MOV X off 1 (addr_space_cast in ALU32)', raw(0xbc, 0, 1, 1, 1));
r('addr_space_cast imm 2', raw(0xbf, 0, 1, 1, 2));
r('addr_space_cast imm 0', raw(0xbf, 0, 1, 1, 0));
r('ADD K off 1', raw(0x07, 0, 0, 1, 1));
r('DIV K off 2', raw(0x37, 0, 0, 2, 1));
r('ADD X imm 1', raw(0x0f, 0, 1, 0, 1));
r('ADD K src 1', raw(0x07, 0, 1, 0, 1));
r('ADD X src r11', raw(0x0f, 0, 11, 0, 0));
r('JMP op 0xf0', raw(0xf5, 0, 0, 0, 0));
r('JA with X bit', raw(0x0d, 0, 0, 0, 0));
r('JA dst 1', raw(0x05, 1, 0, 0, 0));
r('JA src 1', raw(0x05, 0, 1, 0, 0));
r('JA imm 1', raw(0x05, 0, 0, 0, 1));
r('gotol off 1', raw(0x06, 0, 0, 1, 0));
r('gotol dst 1', raw(0x06, 1, 0, 0, 0));
r('JMP32 CALL', raw(0x86, 0, 0, 0, 7));
r('CALL dst 1', raw(0x85, 1, 0, 0, 7));
r('CALL src 3', raw(0x85, 0, 3, 0, 7));
r('helper CALL off 1', raw(0x85, 0, 0, 1, 7));
{
  // call to a subprogram made of `mov r0, 0; exit` after the main program
  const pc = raw(0x85, 0, 1, 1, 2);
  r('pseudo CALL off 1', pc, [...prefix, pc, ...suffix, ...suffix]);
  const ok = I.callLocal(2);
  add('feature', 'pseudo CALL (callLocal +2)', ok, [...prefix, ok, ...suffix, ...suffix]);
}
r('JMP32 EXIT', raw(0x96, 0, 0, 0, 0));
r('EXIT imm 1', raw(0x95, 0, 0, 0, 1), [...prefix, I.mov64Imm(R0, 0), raw(0x95, 0, 0, 0, 1)]);
r('EXIT dst 1', raw(0x95, 1, 0, 0, 0), [...prefix, I.mov64Imm(R0, 0), raw(0x95, 1, 0, 0, 0)]);
r('EXIT off 1', raw(0x95, 0, 0, 1, 0), [...prefix, I.mov64Imm(R0, 0), raw(0x95, 0, 0, 1, 0)]);
r('EXIT with X bit', raw(0x9d, 0, 0, 0, 0), [...prefix, I.mov64Imm(R0, 0), raw(0x9d, 0, 0, 0, 0)]);
r('JCOND in JMP32', raw(0xe6, 0, 0, 0, 0));
r('JCOND with X bit', raw(0xed, 0, 0, 0, 0));
r('JCOND src 1', raw(0xe5, 0, 1, 0, 0));
r('may_goto dst 1', raw(0xe5, 1, 0, 0, 0));
r('may_goto imm 1', raw(0xe5, 0, 0, 0, 1));
r('may_goto off 0', raw(0xe5, 0, 0, 0, 0));
r('JEQ X imm 1', raw(0x1d, 0, 1, 0, 1));
r('JEQ K src 1', raw(0x15, 0, 1, 0, 0));
r('JEQ X src r11', raw(0x1d, 0, 11, 0, 0));
r('LD IMM size W (0x00)', raw(0x00, 0, 0, 0, 0));
r('ld_imm64 src 7', raw(0x18, 0, 7, 0, 0, 0));
r('ld_imm64 off 1', raw(0x18, 0, 0, 1, 0, 0));
r('LD_ABS DW (0x38)', raw(0x38, 0, 0, 0, 0), skb(raw(0x38, 0, 0, 0, 0)));
r('LD_ABS dst 1', raw(0x20, 1, 0, 0, 0), skb(raw(0x20, 1, 0, 0, 0)));
r('LD_ABS off 1', raw(0x20, 0, 0, 1, 0), skb(raw(0x20, 0, 0, 1, 0)));
r('LD_ABS src 1', raw(0x20, 0, 1, 0, 0), skb(raw(0x20, 0, 1, 0, 0)));
r('LD mode MEM (0x60)', raw(0x60, 0, 0, 0, 0));
r('LDX mode ABS (0x21)', raw(0x21, 0, 10, -8, 0));
r('LDSX DW (0x99)', raw(0x99, 0, 10, -8, 0));
r('LDX imm 1', raw(0x61, 0, 10, -8, 1));
r('LDX src r11', raw(0x61, 0, 11, -8, 0));
r('ST mode ATOMIC (0xc2)', raw(0xc2, 10, 0, -8, 0));
r('ST src 1', raw(0x62, 10, 1, -8, 0));
r('STX MEM imm 1', raw(0x63, 10, 1, -8, 1));
r('STX src r11', raw(0x63, 10, 11, -8, 0));
r('atomic op 0x02', raw(0xdb, 10, 1, -8, 0x02));
r('atomic add B', raw(0xd3, 10, 1, -8, 0x00));
r('atomic add H', raw(0xcb, 10, 1, -8, 0x00));
r('STX mode ABS (0x23)', raw(0x23, 10, 1, -8, 0));
r('load_acquire imm|FETCH (0x101)', raw(0xdb, 0, 10, -8, 0x101));
r('store_release imm|FETCH (0x111)', raw(0xdb, 10, 1, -8, 0x111));
r('kfunc CALL off 1 (fd_array index, no fd_array)', raw(0x85, 0, 2, 1, 1));

// --- run ---------------------------------------------------------------------------------------
const json = process.argv.includes('--json');
let arena = -1;
try {
  arena = arenaMap();
} catch (e) {
  if (!json) console.error(String(e));
}
if (arena >= 0) {
  const cast = I.addrSpaceCast(R0, R1, 0, 1);
  cases.push({
    group: 'feature',
    name: 'addr_space_cast 1->0 with arena map',
    probe: cast,
    insns: [I.ldMapFd(R1, arena), I.addrSpaceCast(R0, R1, 0, 1), ...suffix],
  });
  cases.push({
    group: 'feature',
    name: 'addr_space_cast 0->1 with arena map',
    probe: I.addrSpaceCast(R0, R1, 1, 0),
    insns: [I.ldMapFd(R1, arena), I.mov64Imm(R1, 0), I.addrSpaceCast(R0, R1, 1, 0), ...suffix],
  });
}

// ld_imm64 pseudo kinds and calls that need kernel objects.
const arr = arrayMap();
{
  const f = (name: string, probe: Insn, insns: Insn[], fdArray?: number[]) =>
    cases.push(
      fdArray ? { group: 'feature', name, probe, insns, fdArray } : { group: 'feature', name, probe, insns },
    );
  const useMap = (ld: Insn) => [ld, ...suffix];
  const useValue = (ld: Insn) => [ld, I.ldxDW(R0, R1, 0), I.exit()];
  f('ld_imm64 MAP_FD', I.ldMapFd(R1, arr), useMap(I.ldMapFd(R1, arr)));
  f('ld_imm64 MAP_VALUE off 0', I.ldMapValue(R1, arr, 0), useValue(I.ldMapValue(R1, arr, 0)));
  f('ld_imm64 MAP_IDX (fd_array)', I.ldMapIdx(R1, 0), useMap(I.ldMapIdx(R1, 0)), [arr]);
  f('ld_imm64 MAP_IDX_VALUE (fd_array)', I.ldMapIdxValue(R1, 0, 0), useValue(I.ldMapIdxValue(R1, 0, 0)), [
    arr,
  ]);
  f('ld_imm64 MAP_FD imm2 != 0', raw(0x18, 1, 1, 0, arr, 1), useMap(raw(0x18, 1, 1, 0, arr, 1)));
  f('ld_imm64 MAP_IDX imm2 != 0', raw(0x18, 1, 5, 0, 0, 1), useMap(raw(0x18, 1, 5, 0, 0, 1)), [arr]);
  f(
    'ld_imm64 MAP_VALUE imm2 = 8 (value offset)',
    raw(0x18, 1, 2, 0, arr, 8),
    useMap(raw(0x18, 1, 2, 0, arr, 8)),
  );
  f(
    'ld_imm64 MAP_VALUE imm2 = 8000 (offset past value)',
    raw(0x18, 1, 2, 0, arr, 8000),
    useMap(raw(0x18, 1, 2, 0, arr, 8000)),
  );
  const pa = vmlinuxId('VAR', 'bpf_prog_active');
  if (pa !== undefined)
    f('ld_imm64 BTF_ID (percpu var bpf_prog_active)', I.ldBtfId(R1, pa), useMap(I.ldBtfId(R1, pa)));
  const cb = I.program(
    I.mov64Imm(R1, 1),
    I.ldFunc(I.R2, 'cb'),
    I.mov64Imm(I.R3, 0),
    I.mov64Imm(I.R4, 0),
    I.call(181), // bpf_loop
    ...suffix,
    I.label('cb'),
    ...suffix,
  );
  f('ld_imm64 FUNC (bpf_loop callback)', cb[1]!, cb);
  const cb2 = cb.map((i, k) => (k === 1 ? { ...i, imm2: 1 } : i));
  f('ld_imm64 FUNC imm2 != 0 (bpf_loop callback)', cb2[1]!, cb2);
  const rl = vmlinuxId('FUNC', 'bpf_rcu_read_lock');
  if (rl !== undefined)
    f('ld_imm64 BTF_ID of a FUNC (bpf_rcu_read_lock)', I.ldBtfId(R1, rl), useMap(I.ldBtfId(R1, rl)));
  f('ld_imm64 BTF_ID unknown id 0x7ffffff0', I.ldBtfId(R1, 0x7ffffff0), useMap(I.ldBtfId(R1, 0x7ffffff0)));
  const lock = vmlinuxId('FUNC', 'bpf_rcu_read_lock');
  const unlock = vmlinuxId('FUNC', 'bpf_rcu_read_unlock');
  if (lock !== undefined && unlock !== undefined)
    f('kfunc call (bpf_rcu_read_lock/unlock)', I.callKfunc(lock), [
      I.callKfunc(lock),
      I.callKfunc(unlock),
      ...suffix,
    ]);
}

const SEMANTIC =
  /invalid access|R\d+ !read_ok|is invalid|unreachable|jump out of range|back-edge|infinite loop|not allowed|arena|failed to find BTF|failed to find the address|missing btf func_info|invalid btf_id|program must|unknown func|invalid func|cannot|misaligned|pointer arithmetic|invalid mem access/i;
const ENCODING =
  /reserved|unknown opcode|invalid BPF_|invalid bpf_ld_imm64|unrecognized bpf_ld_imm64|unknown insn class|invalid field|invalid insn/i;

interface Row {
  group: string;
  name: string;
  encodingError: string;
  kernel: string;
  log: string;
  agree: string;
}
const rows: Row[] = [];
for (const c of cases) {
  const why = encodingError(c.probe);
  const v = load(c.insns, c.fdArray);
  let agree: string;
  if (v.ok) agree = why === undefined ? 'yes' : 'NO: kernel accepts';
  else if (why !== undefined) agree = 'yes';
  // callx (0x8d) stays a valid encoding on purpose (LLVM emits it, the conformance suite runs
  // it); the kernel's "unknown opcode 8d" is the verifier's refusal, not the decoder's.
  else if (c.probe.code === 0x8d) agree = 'yes (known: valid encoding, refused by the kernel)';
  else if (ENCODING.test(v.log)) agree = 'NO: kernel rejects the encoding';
  else agree = SEMANTIC.test(v.log) ? 'yes (semantic rejection)' : 'check';
  rows.push({
    group: c.group,
    name: c.name,
    encodingError: why ?? 'valid',
    kernel: v.ok ? 'loads' : v.errno,
    log: v.log,
    agree,
  });
}
if (arena >= 0) close(arena);
close(arr);

// Random programs from arbLoadableProgram (test/isa/arbitraries.ts): every one must load.
const seed = Number(process.argv.find((a) => a.startsWith('--seed='))?.slice(7) ?? 42);
const nRandom = Number(process.argv.find((a) => a.startsWith('--random='))?.slice(9) ?? 300);
const samples = fc.sample(arbLoadableProgram({ maxLength: 200 }), { numRuns: nRandom, seed });
let loaded = 0;
const refusals: string[] = [];
for (const p of samples) {
  const v = load(p);
  if (v.ok) loaded++;
  else if (refusals.length < 5) refusals.push(`${v.errno}: ${v.log} (${p.length} insns)`);
}

if (json) {
  console.log(
    JSON.stringify({ cases: rows, random: { programs: samples.length, loaded, refusals } }, null, 2),
  );
} else {
  console.log('| group | case | encodingError | kernel | last log line | agree |');
  console.log('|---|---|---|---|---|---|');
  for (const x of rows)
    console.log(
      `| ${x.group} | ${x.name} | ${x.encodingError} | ${x.kernel} | ${x.log.replace(/\|/g, '\\|')} | ${x.agree} |`,
    );
  const bad = rows.filter((x) => x.agree.startsWith('NO') || x.agree === 'check').length;
  console.log(`\n${rows.length} cases, ${bad} disagreements or unclassified`);
  console.log(`arbLoadableProgram: ${loaded}/${samples.length} random programs loaded (seed ${seed})`);
  for (const r of refusals) console.log(`  refused: ${r}`);
}
