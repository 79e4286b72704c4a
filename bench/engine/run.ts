/**
 * bench/engine: the standard benchmark programs of ../shared/bench on the machine's interpreter
 * and, in the same run, on the kernel JIT through BPF_PROG_TEST_RUN (its `duration`).
 *
 *   node --import tsx bench/engine/run.ts [--rounds 9] [--wall] [--json]
 *
 * Each figure is the median over rounds of the mean ns/run of one round; machine and kernel
 * rounds alternate so both see the same machine load. The machine's time is the process's CPU
 * time (`--wall` for wall-clock time); the kernel's is test_run's `duration`. The target column is the issue's goal for
 * this interpreter (within 2x of a good C interpreter, ubpf: ~70x the kernel JIT on alu_loop,
 * ~190x on mem_sum). Exits 1 when an engine returns the wrong r0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelBench, machineBench, type RunType } from '../../src/cli/commands/bench.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Insn } from '../../src/isa/insn.js';
import type { EngineMap, MapResolver } from '../../src/machine/engine/env.js';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { MapType } from '../../src/uapi/constants.js';

const SHARED = join(import.meta.dirname, '../../../shared/bench');
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 9;
const json = args.includes('--json');
// CPU time by default (steadier when other jobs share the cores); --wall for wall-clock time.
const clock = args.includes('--wall') ? 'wall' : 'cpu';

function asm(name: string): Insn[] {
  return assemble(readFileSync(join(SHARED, name), 'utf8'), { syntax: 'conformance', file: name });
}

const data4k = new Uint8Array(readFileSync(join(SHARED, 'data4k.bin')));
const d3520 = data4k.slice(0, 3520);

interface Case {
  name: string;
  expect: bigint;
  machine: { file: string; type: RunType; data: Uint8Array; repeat: number; map?: boolean };
  kernel: { file: string; type: RunType; data: Uint8Array; repeat: number; map?: boolean };
  target?: number;
}

// mem_sum_map.asm: `lddw %r1, 0x4d4150` is a placeholder for a MAP_FD load of a one-entry array
// whose 4096-byte value is data4k.bin.
const PLACEHOLDER = 0x4d4150;
function withMapFd(insns: Insn[], fd: number): Insn[] {
  return insns.map((x) =>
    x.code === 0x18 && x.imm === PLACEHOLDER ? { ...x, src: 1, imm: fd, imm2: 0 } : x,
  );
}
const machineMapValue = data4k.slice();
const machineMap: EngineMap = {
  id: 1,
  type: MapType.ARRAY,
  keySize: 4,
  valueSize: 4096,
  maxEntries: 1,
  lookup: (key) =>
    new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true) === 0 ? machineMapValue : undefined,
  update: () => -1,
  delete: () => -1,
};
const resolver: MapResolver = { map: (_kind, n) => (n === 1 ? machineMap : undefined) };
let kernelMapFd = -1;
function kernelMap(): number {
  if (kernelMapFd < 0) {
    const k = kernelBackend();
    const m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 1 });
    k.mapUpdateElem(m.fd, new Uint8Array(4), data4k);
    kernelMapFd = m.fd;
    kept.push(m);
  }
  return kernelMapFd;
}
const kept: { close(): void }[] = [];

const cases: Case[] = [
  {
    name: 'alu_loop',
    expect: 0x059069b0n,
    machine: { file: 'alu_loop.asm', type: 'mem', data: new Uint8Array(0), repeat: 40 },
    kernel: { file: 'alu_loop.asm', type: 'socket', data: new Uint8Array(64), repeat: 2000 },
    target: 70,
  },
  {
    name: 'mem_sum 3520 B',
    expect: 0xb1ea1cfan,
    machine: { file: 'mem_sum.asm', type: 'mem', data: d3520, repeat: 2000 },
    kernel: { file: 'mem_sum_xdp.asm', type: 'xdp', data: d3520, repeat: 100000 },
    target: 190,
  },
  {
    name: 'mem_sum_xdp 3520 B',
    expect: 0xb1ea1cfan,
    machine: { file: 'mem_sum_xdp.asm', type: 'xdp', data: d3520, repeat: 2000 },
    kernel: { file: 'mem_sum_xdp.asm', type: 'xdp', data: d3520, repeat: 100000 },
    target: 190,
  },
  {
    name: 'mem_sum_map 4096 B',
    expect: 0xe72e5e66n,
    machine: { file: 'mem_sum_map.asm', type: 'xdp', data: new Uint8Array(64), repeat: 2000, map: true },
    kernel: { file: 'mem_sum_map.asm', type: 'xdp', data: new Uint8Array(64), repeat: 100000, map: true },
    target: 190,
  },
  {
    name: 'call_heavy',
    expect: 0x2710n,
    machine: { file: 'call_heavy.asm', type: 'mem', data: new Uint8Array(0), repeat: 100 },
    kernel: { file: 'call_heavy.asm', type: 'socket', data: new Uint8Array(64), repeat: 2000 },
  },
  {
    name: 'empty',
    expect: 2n,
    machine: { file: 'empty.asm', type: 'mem', data: new Uint8Array(0), repeat: 200000 },
    kernel: { file: 'empty.asm', type: 'socket', data: new Uint8Array(64), repeat: 200000 },
  },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

let bad = false;
const rows: Record<string, unknown>[] = [];
for (const c of cases) {
  const mi = c.machine.map ? withMapFd(asm(c.machine.file), 1) : asm(c.machine.file);
  const ki = c.kernel.map ? withMapFd(asm(c.kernel.file), kernelMap()) : asm(c.kernel.file);
  const res = c.machine.map ? resolver : undefined;
  const ms: number[] = [];
  const ks: number[] = [];
  let mr0 = 0n;
  let kr0 = 0n;
  machineBench(mi, c.machine.type, c.machine.data, c.machine.repeat, undefined, 'wall', res); // warm up
  for (let r = 0; r < rounds; r++) {
    const m = machineBench(mi, c.machine.type, c.machine.data, c.machine.repeat, 0, clock, res);
    ms.push(m.nsPerRun);
    mr0 = m.r0;
    const k = kernelBench(ki, c.kernel.type, c.kernel.data, c.kernel.repeat);
    ks.push(k.nsPerRun);
    kr0 = k.r0;
  }
  const m = median(ms);
  const k = median(ks);
  const ok = mr0 === c.expect && kr0 === (c.expect & 0xffffffffn);
  if (!ok) bad = true;
  rows.push({
    program: c.name,
    machine_ns: Math.round(m),
    kernel_ns: Math.round(k),
    ratio: Number((m / k).toFixed(1)),
    target_ratio: c.target ?? null,
    r0_ok: ok,
  });
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const pad = (s: unknown, n: number) => String(s).padStart(n);
  process.stdout.write(
    `${'program'.padEnd(20)}${pad('machine ns/run', 16)}${pad('kernel ns/run', 15)}${pad('ratio', 9)}${pad('target', 8)}  r0\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${String(r.program).padEnd(20)}${pad(r.machine_ns, 16)}${pad(r.kernel_ns, 15)}${pad(`${r.ratio}x`, 9)}${pad(r.target_ratio ? `${r.target_ratio}x` : '-', 8)}  ${r.r0_ok ? 'ok' : 'WRONG'}\n`,
    );
  }
}
for (const k of kept) k.close();
if (bad) process.exitCode = 1;
