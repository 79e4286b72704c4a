/**
 * Kernel probe: which invalid encodings Linux refuses up front, and which only when its verifier
 * walk (do_check) visits the instruction (not part of `npm test`; test/machine/walk-checks.test.ts
 * runs the same cases against the kernel and the machine).
 *
 * Every case is one instruction with an invalid encoding (a reserved field set, an unknown
 * opcode, an invalid register, ...) or one that writes the frame pointer r10, loaded as a GPL socket filter in two placements:
 *
 * - dead: `r1 = 0; if r1 == 0 goto +N; <the instruction>; r0 = 0; exit`, a branch the verifier
 *   proves dead (the control-flow checks still see it);
 * - live: every register and the stack slot at fp-8 written first, then the instruction, then
 *   `r0 = 0; exit`.
 *
 * For each placement it prints the kernel's answer (`ok <retval>` after one test run, or the errno
 * and the log's error line), the machine's answer, and whether they agree. Run as root:
 * `node --import tsx bench/verifier/probe-dead-reserved.ts` (`--json` for machine-readable output).
 *
 * @module
 */

import { pathToFileURL } from 'node:url';
import { encode, type Insn } from '../../src/isa/index.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { ProgType } from '../../src/uapi/constants.js';
import { errorLine } from '../../test/verifier/harness.js';

/** One probed instruction with its two programs. */
export interface ReservedCase {
  /** What is wrong with the instruction. */
  name: string;
  /** The instruction on a branch the verifier proves dead. */
  dead: Uint8Array;
  /** The instruction on the only path. */
  live: Uint8Array;
}

const raw = (code: number, dst: number, src: number, off: number, imm: number, imm2?: number): Insn =>
  imm2 === undefined ? { code, dst, src, off, imm } : { code, dst, src, off, imm, imm2 };
const mov = (dst: number, imm: number): Insn => raw(0xb7, dst, 0, 0, imm);
const movReg = (dst: number, src: number): Insn => raw(0xbf, dst, src, 0, 0);
const exit = (): Insn => raw(0x95, 0, 0, 0, 0);
const slotsOf = (insns: readonly Insn[]): number => insns.reduce((n, i) => n + (i.code === 0x18 ? 2 : 1), 0);

interface Spec {
  name: string;
  /** The instruction. */
  probe: Insn;
  /** It ends a path (exit): `r0 = 0` goes before it. */
  exits?: boolean;
  /** It reads the skb in r6 (LD_ABS/LD_IND). */
  skb?: boolean;
  /** Instructions after the main program's exit (a subprogram it calls). */
  tail?: Insn[];
}

/** Writes r0..r9 and fp-8, so that only the probed instruction matters. */
function livePrefix(skb: boolean): Insn[] {
  const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => !skb || r !== 6).map((r) => mov(r, 0));
  return [...(skb ? [movReg(6, 1)] : []), raw(0x7a, 10, 0, -8, 0), ...regs];
}

function build(s: Spec): ReservedCase {
  const body = s.exits ? [mov(0, 0), s.probe] : [s.probe];
  const tail = s.tail ?? [];
  const dead = [mov(1, 0), raw(0x15, 1, 0, slotsOf(body), 0), ...body, mov(0, 0), exit(), ...tail];
  const live = [...livePrefix(s.skb === true), ...(s.exits ? body : [s.probe, mov(0, 0), exit()]), ...tail];
  return { name: s.name, dead: encode(dead), live: encode(live) };
}

const specs: Spec[] = [];
const r = (name: string, probe: Insn, more: Omit<Spec, 'name' | 'probe'> = {}) =>
  specs.push({ name, probe, ...more });

// ALU and ALU64
r('dst r11 (mov64 imm)', raw(0xb7, 11, 0, 0, 0));
r('dst r11 (add64 imm)', raw(0x07, 11, 0, 0, 1));
r('ALU op 0xe0 (ALU64 K)', raw(0xe7, 0, 0, 0, 0));
r('ALU op 0xf0 (ALU64 K)', raw(0xf7, 0, 0, 0, 0));
r('ALU64 END with X bit', raw(0xdf, 0, 0, 0, 16));
r('END imm 8', raw(0xd4, 0, 0, 0, 8));
r('END src 1', raw(0xd4, 0, 1, 0, 16));
r('END off 1', raw(0xd4, 0, 0, 1, 16));
r('bswap64 imm 8', raw(0xd7, 0, 0, 0, 8));
r('NEG with X bit', raw(0x8f, 0, 1, 0, 0));
r('NEG imm 1', raw(0x87, 0, 0, 0, 1));
r('NEG src 1', raw(0x87, 0, 1, 0, 0));
r('NEG off 1', raw(0x87, 0, 0, 1, 0));
r('ALU32 NEG imm 1', raw(0x84, 0, 0, 0, 1));
r('MOV K src 1', raw(0xb7, 0, 1, 0, 0));
r('MOV K off 1', raw(0xb7, 0, 0, 1, 0));
r('ALU32 MOV K src 1', raw(0xb4, 0, 1, 0, 0));
r('MOV X imm 1', raw(0xbf, 0, 1, 0, 1));
r('MOV X src r11', raw(0xbf, 0, 11, 0, 0));
r('movsx64 off 7', raw(0xbf, 0, 1, 7, 0));
r('movsx32 off 32', raw(0xbc, 0, 1, 32, 0));
r('ALU32 MOV X off 1 (addr_space_cast in ALU32)', raw(0xbc, 0, 1, 1, 1));
r('addr_space_cast imm 2', raw(0xbf, 0, 1, 1, 2));
r('addr_space_cast imm 0', raw(0xbf, 0, 1, 1, 0));
r('ADD K off 1', raw(0x07, 0, 0, 1, 1));
r('DIV K off 2', raw(0x37, 0, 0, 2, 1));
r('ALU32 SUB K off 1', raw(0x14, 0, 0, 1, 1));
r('ADD X imm 1', raw(0x0f, 0, 1, 0, 1));
r('ADD K src 1', raw(0x07, 0, 1, 0, 1));
r('ADD X src r11', raw(0x0f, 0, 11, 0, 0));
r('ADD X off 1', raw(0x0f, 0, 1, 1, 0));
// JMP and JMP32
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
r('pseudo CALL off 1', raw(0x85, 0, 1, 1, 2), { tail: [mov(0, 0), exit()] });
r('pseudo CALL dst 1', raw(0x85, 1, 1, 0, 2), { tail: [mov(0, 0), exit()] });
r('callx r1 (0x8d)', raw(0x8d, 1, 0, 0, 0));
r('kfunc CALL off 1 (fd_array index, no fd_array)', raw(0x85, 0, 2, 1, 1));
r('JMP32 EXIT', raw(0x96, 0, 0, 0, 0), { exits: true });
r('EXIT imm 1', raw(0x95, 0, 0, 0, 1), { exits: true });
r('EXIT dst 1', raw(0x95, 1, 0, 0, 0), { exits: true });
r('EXIT src 1', raw(0x95, 0, 1, 0, 0), { exits: true });
r('EXIT with X bit', raw(0x9d, 0, 0, 0, 0), { exits: true });
r('JCOND in JMP32', raw(0xe6, 0, 0, 0, 0));
r('JCOND with X bit', raw(0xed, 0, 0, 0, 0));
r('JCOND src 1', raw(0xe5, 0, 1, 0, 0));
r('may_goto dst 1', raw(0xe5, 1, 0, 0, 0));
r('may_goto imm 1', raw(0xe5, 0, 0, 0, 1));
r('JEQ X imm 1', raw(0x1d, 0, 1, 0, 1));
r('JEQ K src 1', raw(0x15, 0, 1, 0, 0));
r('JEQ X src r11', raw(0x1d, 0, 11, 0, 0));
r('JEQ K dst r11', raw(0x15, 11, 0, 0, 0));
r('JMP32 JGT K src 1', raw(0x26, 0, 1, 0, 0));
r('JMP32 JGT X imm 1', raw(0x2e, 0, 1, 0, 1));
// LD
r('LD IMM size W (0x00)', raw(0x00, 0, 0, 0, 0));
r('ld_imm64 src 7', raw(0x18, 0, 7, 0, 0, 0));
r('ld_imm64 off 1', raw(0x18, 0, 0, 1, 0, 0));
r('ld_imm64 dst r11', raw(0x18, 11, 0, 0, 0, 0));
r('LD_ABS DW (0x38)', raw(0x38, 0, 0, 0, 0), { skb: true });
r('LD_ABS dst 1', raw(0x20, 1, 0, 0, 0), { skb: true });
r('LD_ABS off 1', raw(0x20, 0, 0, 1, 0), { skb: true });
r('LD_ABS src 1', raw(0x20, 0, 1, 0, 0), { skb: true });
r('LD_IND dst 1', raw(0x40, 1, 2, 0, 0), { skb: true });
r('LD_IND src r11', raw(0x40, 0, 11, 0, 0), { skb: true });
r('LD mode MEM (0x60)', raw(0x60, 0, 0, 0, 0));
// LDX
r('LDX mode ABS (0x21)', raw(0x21, 0, 10, -8, 0));
r('LDSX DW (0x99)', raw(0x99, 0, 10, -8, 0));
r('LDX imm 1', raw(0x61, 0, 10, -8, 1));
r('LDX DW imm 1', raw(0x79, 0, 10, -8, 1));
r('LDX src r11', raw(0x61, 0, 11, -8, 0));
r('LDX dst r11', raw(0x61, 11, 10, -8, 0));
// ST and STX
r('ST mode ATOMIC (0xc2)', raw(0xc2, 10, 0, -8, 0));
r('ST src 1', raw(0x62, 10, 1, -8, 0));
r('ST dst r11', raw(0x62, 11, 0, -8, 0));
r('STX MEM imm 1', raw(0x63, 10, 1, -8, 1));
r('STX DW imm 1', raw(0x7b, 10, 0, -8, 1));
r('STX src r11', raw(0x63, 10, 11, -8, 0));
r('STX dst r11', raw(0x63, 11, 1, -8, 0));
r('atomic op 0x02', raw(0xdb, 10, 1, -8, 0x02));
r('atomic add B', raw(0xd3, 10, 1, -8, 0x00));
r('atomic add H', raw(0xcb, 10, 1, -8, 0x00));
r('atomic add W src r11', raw(0xc3, 10, 11, -8, 0x00));
r('STX mode ABS (0x23)', raw(0x23, 10, 1, -8, 0));
r('load_acquire imm|FETCH (0x101)', raw(0xdb, 0, 10, -8, 0x101));
r('store_release imm|FETCH (0x111)', raw(0xdb, 10, 1, -8, 0x111));
// Valid encodings the walk refuses: writes to the frame pointer (the engine's preparation keeps
// them as faulting instructions, like the invalid encodings above).
r('write r10: mov64 r10, 0', raw(0xb7, 10, 0, 0, 0));
r('write r10: add64 r10, 8', raw(0x07, 10, 0, 0, 8));
r('write r10: ldx r10 = *(u64 *)(r10 - 8)', raw(0x79, 10, 10, -8, 0));
r('write r10: ld_imm64 r10', raw(0x18, 10, 0, 0, 1, 0));
r('write r10: atomic fetch_add, src r10', raw(0xdb, 10, 10, -8, 0x01));
r('write r10: load_acquire into r10', raw(0xdb, 10, 10, -8, 0x100));

/** The probed cases: one instruction with an invalid encoding, on a dead branch and on the live path. */
export const RESERVED_CASES: readonly ReservedCase[] = specs.map(build);

/**
 * The order of the checks within one instruction: a reserved field or an invalid register number
 * next to a register read before it is written (r3 is never written; r0 is).
 */
export const ORDER_CASES: readonly { name: string; insns: Uint8Array }[] = (
  [
    ['JEQ X imm 1, dst unwritten', [mov(0, 0), raw(0x1d, 3, 0, 0, 1), exit()]],
    ['JEQ X imm 1, src unwritten', [mov(0, 0), raw(0x1d, 0, 3, 0, 1), exit()]],
    ['JEQ K src 1, dst unwritten', [mov(0, 0), raw(0x15, 3, 1, 0, 0), exit()]],
    ['JEQ X src r11, dst unwritten', [mov(0, 0), raw(0x1d, 3, 11, 0, 0), exit()]],
    ['JEQ X src unwritten, dst r11', [mov(0, 0), raw(0x1d, 11, 3, 0, 0), exit()]],
    ['ADD K off 1, dst unwritten', [mov(0, 0), raw(0x07, 3, 0, 1, 1), exit()]],
    ['ADD X imm 1, src unwritten', [mov(0, 0), raw(0x0f, 0, 3, 0, 1), exit()]],
    ['ADD X src unwritten, dst r11', [mov(0, 0), raw(0x0f, 11, 3, 0, 0), exit()]],
    ['ADD X src r11, dst unwritten', [mov(0, 0), raw(0x0f, 3, 11, 0, 0), exit()]],
    ['MOV X src r11, dst r12', [mov(0, 0), raw(0xbf, 12, 11, 0, 0), exit()]],
    ['MOV X imm 1, src unwritten', [mov(0, 0), raw(0xbf, 0, 3, 0, 1), exit()]],
    ['NEG imm 1, dst unwritten', [mov(0, 0), raw(0x87, 3, 0, 0, 1), exit()]],
    ['END imm 8, dst unwritten', [mov(0, 0), raw(0xd4, 3, 0, 0, 8), exit()]],
    ['STX imm 1, src unwritten', [mov(0, 0), raw(0x7b, 10, 3, -8, 1), exit()]],
    ['STX src unwritten, dst r11', [mov(0, 0), raw(0x7b, 11, 3, -8, 0), exit()]],
    ['STX src r11, dst unwritten', [mov(0, 0), raw(0x7b, 3, 11, -8, 0), exit()]],
    ['ST src 1, dst unwritten', [mov(0, 0), raw(0x7a, 3, 1, -8, 0), exit()]],
    ['atomic op 0x02, src unwritten', [mov(0, 0), raw(0xdb, 10, 3, -8, 2), exit()]],
    ['atomic add B, src unwritten', [mov(0, 0), raw(0xd3, 10, 3, -8, 0), exit()]],
    ['atomic add W, src unwritten, dst r11', [mov(0, 0), raw(0xc3, 11, 3, -8, 0), exit()]],
    ['atomic add W, src r11, dst unwritten', [mov(0, 0), raw(0xc3, 3, 11, -8, 0), exit()]],
    ['atomic imm -1', [mov(0, 0), raw(0xdb, 10, 0, -8, -1), exit()]],
    ['load_acquire src r11', [mov(0, 0), raw(0xdb, 0, 11, -8, 0x100), exit()]],
    ['store_release src r11', [mov(0, 0), raw(0xdb, 10, 11, -8, 0x110), exit()]],
    ['store_release dst unwritten', [mov(0, 0), raw(0xdb, 3, 0, -8, 0x110), exit()]],
    ['LDX src unwritten, dst r11', [mov(0, 0), raw(0x79, 11, 3, 0, 0), exit()]],
    ['EXIT imm 1, r0 unwritten', [raw(0x95, 0, 0, 0, 1)]],
    ['ld_imm64 off 1, dst r11', [raw(0x18, 11, 0, 1, 0, 0), mov(0, 0), exit()]],
    ['LD_IND off 1, src unwritten', [movReg(6, 1), raw(0x40, 0, 3, 1, 0), mov(0, 0), exit()]],
    ['LD_ABS dst 1, r6 unwritten', [raw(0x20, 1, 0, 0, 0), mov(0, 0), exit()]],
    ['CALL dst 1, unknown helper id', [raw(0x85, 1, 0, 0, 99999), mov(0, 0), exit()]],
    ['helper CALL off 1, arguments unwritten', [raw(0x85, 0, 0, 1, 1), mov(0, 0), exit()]],
    ['JCOND src 1 imm 5', [raw(0xe5, 0, 1, 0, 5), mov(0, 0), exit()]],
  ] as [string, Insn[]][]
).map(([name, insns]) => ({ name, insns: encode(insns) }));

/** What a load asks for besides its instructions (default: a GPL socket filter). */
export interface LoadAs {
  progType?: number;
  attachType?: number;
  license?: string;
}

/** `ok <retval>` after one test run, or the errno and the log's error line. */
export function reservedAnswer(b: Backend, insns: Uint8Array, as: LoadAs = {}): string {
  try {
    using fd = b.progLoad({
      progType: as.progType ?? ProgType.SOCKET_FILTER,
      ...(as.attachType !== undefined ? { expectedAttachType: as.attachType } : {}),
      insns,
      license: as.license ?? 'GPL',
      logLevel: 1,
    });
    const run = b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 1 });
    return `ok ${run.retval}`;
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0) return `${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${e.code} (no log)`;
    throw e;
  }
}

async function main(): Promise<void> {
  const { kernelBackend } = await import('../../src/sys/kernel/index.js');
  const kernel = kernelBackend();
  const machine = new Machine();
  const json = process.argv.includes('--json');
  const rows = RESERVED_CASES.map((c) => {
    const kd = reservedAnswer(kernel, c.dead);
    const kl = reservedAnswer(kernel, c.live);
    const md = reservedAnswer(machine, c.dead);
    const ml = reservedAnswer(machine, c.live);
    return {
      name: c.name,
      kind: kd.startsWith('ok') ? 'walk' : 'static',
      kernelDead: kd,
      kernelLive: kl,
      machineDead: md,
      machineLive: ml,
      agree: kd === md && kl === ml,
    };
  });
  const order = ORDER_CASES.map((c) => {
    const k = reservedAnswer(kernel, c.insns);
    const m = reservedAnswer(machine, c.insns);
    return { name: c.name, kernel: k, machine: m, agree: k === m };
  });
  if (json) {
    console.log(JSON.stringify({ cases: rows, order }, null, 2));
    return;
  }
  console.log('| case | Linux checks | kernel dead | kernel live | machine |');
  console.log('|---|---|---|---|---|');
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  for (const x of rows) {
    const m = x.agree ? 'same' : `DIFFERS: dead ${esc(x.machineDead)}; live ${esc(x.machineLive)}`;
    console.log(`| ${x.name} | ${x.kind} | ${esc(x.kernelDead)} | ${esc(x.kernelLive)} | ${m} |`);
  }
  const walked = rows.filter((x) => x.kind === 'walk').length;
  const differ = rows.filter((x) => !x.agree).length;
  console.log(
    `\n${rows.length} cases: ${rows.length - walked} refused up front (also on a dead branch), ${walked} only when walked; machine differs on ${differ}`,
  );
  console.log('\n| order case | kernel | machine |');
  console.log('|---|---|---|');
  for (const x of order)
    console.log(`| ${x.name} | ${esc(x.kernel)} | ${x.agree ? 'same' : esc(x.machine)} |`);
  console.log(`\n${order.length} order cases; machine differs on ${order.filter((x) => !x.agree).length}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
