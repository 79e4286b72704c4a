/**
 * The verifier corpus: programs loaded into both the kernel and the machine's verifier.
 *
 * - `conf/*`: the BPF conformance suite as XDP programs (license MIT), as test/kernel does;
 * - `fix/*`: every program of the BPF C fixtures (test/fixtures/*.bpfel.o) whose type the machine
 *   loads, linked with its subprograms, maps relocated to MAP_IDX/MAP_IDX_VALUE loads;
 * - `hand/*`: hand-written programs, one or more per rejection reason (programs.ts);
 * - `gen/*`: generated families: ctx offset/size sweeps per program type, map value
 *   off-by-one, stack bounds and alignment, packet bounds, loops of growing bounds.
 *
 * Map references in assembly are `map[idx:K]` / `map_value[idx:K]+OFF` into the program's
 * `maps` list, passed as fd_array.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { linkProgram } from '../../src/elf/link.js';
import { parseObject } from '../../src/elf/object.js';
import { assembleConformance } from '../../src/isa/asm/conformance.js';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { parseConformanceData } from '../../src/isa/conformance-data.js';
import type { Insn } from '../../src/isa/insn.js';
import { LD_IMM64, Pseudo } from '../../src/isa/opcodes.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import { buildGlobals, type FuncInfoRecord, GLOBALS } from './globals.js';
import { HAND } from './programs.js';

/** A map a corpus program uses. */
export interface CorpusMap {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Exclusive to a program with this hash: 'self' (the program's own) or 'other' (a wrong one). */
  excl?: 'self' | 'other';
  /** Freeze after creation (global .rodata). */
  freeze?: boolean;
}

/** One corpus program. */
export interface CorpusProgram {
  name: string;
  progType: number;
  insns: Insn[];
  maps: CorpusMap[];
  license: string;
  /** expected attach type (XDP for the conformance suite). */
  attachType?: number;
  /** BPF_F_SLEEPABLE (syscall programs). */
  sleepable?: boolean;
  /** Program BTF (loaded as prog_btf_fd) and its func_info records. */
  btf?: Uint8Array;
  funcInfo?: FuncInfoRecord[];
}

const ROOT = new URL('../../', import.meta.url).pathname;
const SUITE = join(ROOT, '../shared/conformance/tests');

function conformance(): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  for (const file of readdirSync(SUITE).sort()) {
    if (!file.endsWith('.data')) continue;
    const t = parseConformanceData(readFileSync(join(SUITE, file), 'utf8'), file);
    let insns: Insn[];
    try {
      insns =
        t.raw !== undefined
          ? decodeRaw(t.raw)
          : assembleConformance(t.asm ?? '', { file, lineBase: t.asmLine });
    } catch {
      continue;
    }
    out.push({
      name: `conf/${file}`,
      progType: ProgType.XDP,
      insns,
      maps: [],
      license: 'MIT',
      attachType: 37,
    });
  }
  return out;
}

function decodeRaw(raw: Uint8Array): Insn[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Insn[] = [];
  for (let p = 0; p + 8 <= raw.length; p += 8) {
    const code = raw[p]!;
    const insn: Insn = {
      code,
      dst: raw[p + 1]! & 15,
      src: raw[p + 1]! >> 4,
      off: dv.getInt16(p + 2, true),
      imm: dv.getInt32(p + 4, true),
    };
    if (code === LD_IMM64 && p + 16 <= raw.length) {
      out.push({ ...insn, imm2: dv.getInt32(p + 12, true) });
      p += 8;
    } else out.push(insn);
  }
  return out;
}

const LOADABLE = new Set<number>([
  ProgType.SOCKET_FILTER,
  ProgType.SCHED_CLS,
  ProgType.XDP,
  ProgType.SYSCALL,
]);

function fixtures(): CorpusProgram[] {
  const dir = join(ROOT, 'test/fixtures');
  const out: CorpusProgram[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.bpfel.o')) continue;
    let spec: ReturnType<typeof parseObject>;
    try {
      spec = parseObject(new Uint8Array(readFileSync(join(dir, file))));
    } catch {
      continue;
    }
    for (const prog of spec.programs) {
      if (!LOADABLE.has(prog.type)) continue;
      const l = linkProgram(spec, prog.name);
      if (l.relocations.some((r) => r.kind === 'extern')) continue;
      const insns = l.insns.map((i) => ({ ...i }));
      const maps: CorpusMap[] = [];
      const index = new Map<string, number>();
      let bad = false;
      for (const r of l.relocations) {
        if (r.kind === 'extern') continue;
        const ms = spec.maps.find((m) => m.name === r.map);
        if (ms === undefined || ms.inner !== undefined) {
          bad = true;
          break;
        }
        let k = index.get(ms.name);
        if (k === undefined) {
          k = maps.length;
          index.set(ms.name, k);
          maps.push({
            type: ms.type,
            keySize: ms.keySize,
            valueSize: ms.valueSize,
            maxEntries: ms.maxEntries,
            flags: ms.flags | (ms.readonly ? MapFlag.RDONLY_PROG : 0),
            freeze: ms.readonly,
          });
        }
        const old = insns[r.insn]!;
        insns[r.insn] =
          r.kind === 'data'
            ? { ...old, src: Pseudo.MAP_IDX_VALUE, imm: k, imm2: r.offset }
            : { ...old, src: Pseudo.MAP_IDX, imm: k, imm2: 0 };
      }
      if (bad) continue;
      out.push({
        name: `fix/${file.replace('.bpfel.o', '')}/${prog.name}`,
        progType: prog.type,
        insns,
        maps,
        license: prog.license || 'GPL',
        ...(prog.attachType ? { attachType: prog.attachType } : {}),
        ...(prog.sleepable || prog.type === ProgType.SYSCALL ? { sleepable: true } : {}),
      });
    }
  }
  return out;
}

function asm(text: string): Insn[] {
  return assembleLlvm(text);
}

const TYPES: [string, number, number][] = [
  ['socket', ProgType.SOCKET_FILTER, 192],
  ['tc', ProgType.SCHED_CLS, 192],
  ['xdp', ProgType.XDP, 24],
  ['syscall', ProgType.SYSCALL, 64],
];

const SZ: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

function generated(): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  const add = (
    name: string,
    progType: number,
    text: string,
    maps: CorpusMap[] = [],
    license = 'GPL',
  ): void => {
    out.push({
      name: `gen/${name}`,
      progType,
      insns: asm(text),
      maps,
      license,
      ...(progType === ProgType.SYSCALL ? { sleepable: true } : {}),
      ...(progType === ProgType.XDP ? { attachType: 37 } : {}),
    });
  };
  // ctx reads and writes, every type, offsets around every field.
  for (const [tn, type, size] of TYPES) {
    const offs = new Set<number>([-4]);
    for (let o = 0; o <= size + 4; o += 4) offs.add(o);
    for (const o of [1, 2, 3, 49, 50, 77, 78]) if (o < size) offs.add(o);
    for (const o of [...offs].sort((a, b) => a - b)) {
      for (const s of [1, 2, 4, 8]) {
        if (o % s !== 0 && !(s === 4 && o === 2)) continue;
        const sign = o < 0 ? '-' : '+';
        add(`ctx-read/${tn}/${o}/${s}`, type, `r0 = *(${SZ[s]} *)(r1 ${sign} ${Math.abs(o)})\nr0 = 0\nexit`);
      }
      if (o >= 0 && o % 4 === 0) {
        add(`ctx-write/${tn}/${o}/4`, type, `r2 = 1\n*(u32 *)(r1 + ${o}) = r2\nr0 = 0\nexit`);
      }
    }
  }
  // map value bounds: constant offsets, every size, off-by-one.
  for (const vs of [4, 8, 12, 48]) {
    for (const s of [1, 2, 4, 8]) {
      for (const o of new Set([-1, 0, vs - s, vs - s + 1])) {
        const text = `
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
r1 = *(${SZ[s]} *)(r0 ${o < 0 ? '-' : '+'} ${Math.abs(o)})
out:
r0 = 0
exit`;
        add(`map-value/vs${vs}/s${s}/o${o}`, ProgType.XDP, text, [
          { type: MapType.ARRAY, keySize: 4, valueSize: vs, maxEntries: 4 },
        ]);
      }
    }
  }
  // map value bounds with a variable index: bounds checks with every comparison.
  for (const [cmp, lim, ok] of [
    ['>', 7, true],
    ['>', 8, false],
    ['>=', 8, true],
    ['>=', 9, false],
    ['s>', 7, false],
    ['!=', 3, false],
  ] as const) {
    const text = `
r6 = r1
call 7
r7 = r0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
if r7 ${cmp} ${lim} goto out
r7 <<= 3
r0 += r7
r1 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit`;
    add(`map-var/${cmp}${lim}/${ok ? 'ok' : 'bad'}`, ProgType.XDP, text, [
      { type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1 },
    ]);
  }
  // bounds from every comparison, 64 and 32 bits, both branches: which index reaches the access.
  for (const op of ['<', '<=', '>', '>=', 's<', 's<=', 's>', 's>=', '==', '!='] as const) {
    for (const w of ['r', 'w'] as const) {
      for (const lim of [7, 8]) {
        for (const side of ['taken', 'fall'] as const) {
          const jump = `if ${w}7 ${op} ${lim} goto ${side === 'taken' ? 'use' : 'out'}`;
          const text = `
call 7
r7 = r0
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1
if r0 == 0 goto out
${jump}
${side === 'taken' ? 'goto out' : ''}
use:
r7 <<= 3
r0 += r7
r1 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit`;
          add(`cmp-bounds/${w}${op}${lim}/${side}`, ProgType.XDP, text, [
            { type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1 },
          ]);
        }
      }
    }
  }
  // stack: in-bounds, out of bounds, misaligned, uninitialized reads.
  for (const o of [-512, -520, -8, -4, -6, 0, 8]) {
    for (const s of [1, 4, 8]) {
      add(
        `stack-write/${o}/${s}`,
        ProgType.XDP,
        `r1 = 1\n*(${SZ[s]} *)(r10 ${o < 0 ? '-' : '+'} ${Math.abs(o)}) = r1\nr0 = 0\nexit`,
      );
      add(
        `stack-read-uninit/${o}/${s}`,
        ProgType.XDP,
        `r0 = *(${SZ[s]} *)(r10 ${o < 0 ? '-' : '+'} ${Math.abs(o)})\nr0 = 0\nexit`,
      );
    }
  }
  for (const [w, r, rs] of [
    [8, 8, 8],
    [8, 4, 4],
    [4, 8, 8],
    [4, 4, 4],
    [2, 4, 4],
  ] as const) {
    add(
      `stack-partial/w${w}-r${r}`,
      ProgType.XDP,
      `r1 = 7\n*(${SZ[w]} *)(r10 - 8) = r1\nr0 = *(${SZ[rs]} *)(r10 - 8)\nexit`,
    );
  }
  // packet: bounds-checked accesses of growing size (XDP and tc).
  for (const [tn, type, dOff, eOff] of [
    ['xdp', ProgType.XDP, 0, 4],
    ['tc', ProgType.SCHED_CLS, 76, 80],
  ] as const) {
    for (const check of [0, 4, 8, 14]) {
      for (const [s, o] of [
        [1, 0],
        [4, 0],
        [8, 0],
        [2, 12],
        [4, 10],
        [1, 13],
      ] as const) {
        const body =
          check === 0
            ? `r0 = *(${SZ[s]} *)(r2 + ${o})`
            : `r3 = r2\nr3 += ${check}\nif r3 > r4 goto out\nr0 = *(${SZ[s]} *)(r2 + ${o})`;
        add(
          `pkt/${tn}/check${check}/s${s}o${o}`,
          type,
          `r2 = *(u32 *)(r1 + ${dOff})\nr4 = *(u32 *)(r1 + ${eOff})\n${body}\nout:\nr0 = 0\nexit`,
        );
      }
    }
  }
  // bounded loops of growing trip counts, and loops the kernel cannot bound.
  for (const n of [1, 10, 100, 1000, 30000]) {
    add(`loop/count${n}`, ProgType.XDP, `r0 = 0\nr1 = 0\nl:\nr0 += r1\nr1 += 1\nif r1 < ${n} goto l\nexit`);
  }
  add('loop/infinite', ProgType.XDP, `r0 = 0\nl:\nr0 = 0\ngoto l\nexit`);
  add('loop/self', ProgType.XDP, `r0 = 0\nl:\ngoto l\nexit`);
  add('loop/unknown-bound', ProgType.XDP, `call 7\nr1 = r0\nr0 = 0\nl:\nr1 += -1\nif r1 != 0 goto l\nexit`);
  add(
    'loop/down-from-unknown',
    ProgType.XDP,
    `call 7\nr1 = r0\nr1 &= 15\nr0 = 0\nl:\nif r1 == 0 goto e\nr1 += -1\ngoto l\ne:\nexit`,
  );
  // socket pointers: every read of struct bpf_sock through __sk_buff->sk (sock_common), through
  // bpf_sk_fullsock (sock), and of struct bpf_tcp_sock through bpf_tcp_sock.
  const sockRead = (call: string, o: number, s: number): string => `
r1 = *(u64 *)(r1 + 168)
if r1 == 0 goto out
${call}
r0 = *(${SZ[s]} *)(r1 + ${o})
out:
r0 = 0
exit`;
  for (const s of [1, 2, 4, 8]) {
    for (let o = 0; o <= 84; o += s) {
      add(`sock/common/tc/${o}/${s}`, ProgType.SCHED_CLS, sockRead('', o, s));
      add(
        `sock/full/tc/${o}/${s}`,
        ProgType.SCHED_CLS,
        sockRead('call 95\nif r0 == 0 goto out\nr1 = r0', o, s),
      );
    }
  }
  for (const o of [0, 2, 4, 8, 16, 48, 72, 76, 80]) {
    add(`sock/common/socket/${o}/4`, ProgType.SOCKET_FILTER, sockRead('', o, 4));
  }
  for (const s of [4, 8]) {
    for (let o = 0; o <= 116; o += 4) {
      if (s === 8 && o % 8 !== 0) continue;
      add(
        `sock/tcp/tc/${o}/${s}`,
        ProgType.SCHED_CLS,
        sockRead('call 96\nif r0 == 0 goto out\nr1 = r0', o, s),
      );
    }
  }
  // div/mod/shift by constants.
  for (const op of ['/', '%']) {
    for (const k of [0, 1, 7]) {
      add(`alu/${op === '/' ? 'div' : 'mod'}/${k}`, ProgType.XDP, `r0 = 10\nr0 ${op}= ${k}\nexit`);
      add(`alu/${op === '/' ? 'div' : 'mod'}32/${k}`, ProgType.XDP, `w0 = 10\nw0 ${op}= ${k}\nexit`);
    }
  }
  for (const k of [-1, 0, 31, 32, 63, 64]) {
    add(`alu/lsh/${k}`, ProgType.XDP, `r0 = 1\nr0 <<= ${k}\nexit`);
    add(`alu/lsh32/${k}`, ProgType.XDP, `w0 = 1\nw0 <<= ${k}\nexit`);
  }
  return out;
}

function hand(): CorpusProgram[] {
  return HAND.map((h) => ({
    name: `hand/${h.name}`,
    progType: h.type,
    insns: h.insns ?? asm(h.asm ?? ''),
    maps: h.maps ?? [],
    license: h.license ?? 'GPL',
    ...(h.type === ProgType.SYSCALL ? { sleepable: true } : {}),
    ...(h.type === ProgType.XDP ? { attachType: 37 } : {}),
  }));
}

function globals(): CorpusProgram[] {
  const map = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };
  return GLOBALS.map((gp) => {
    const insns = asm(gp.asm);
    const { btf, funcInfo } = buildGlobals(gp, insns);
    return {
      name: `btf/${gp.name}`,
      progType: gp.type,
      insns,
      maps: gp.maps ?? (gp.asm.includes('map[') ? [map] : []),
      license: 'GPL',
      btf,
      funcInfo,
      ...(gp.type === ProgType.XDP ? { attachType: 37 } : {}),
    };
  });
}

let cached: CorpusProgram[] | undefined;

/** Every corpus program, in a stable order. */
export function corpus(): CorpusProgram[] {
  cached ??= [...conformance(), ...fixtures(), ...hand(), ...generated(), ...globals()];
  return cached;
}
