import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerObj } from '../../src/cli/commands/obj.js';
import { UsageError } from '../../src/cli/common.js';
import { fixture, fixturePath } from './fixtures.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.ts');
const spawnTsbpf = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });

/**
 * Runs `tsbpf obj ...` in this process (the exit-code tests spawn the real CLI): status 0 with
 * the output, 2 for a usage error, 1 for any other error.
 */
function tsbpf(...args: string[]): { status: number; stdout: string; stderr: string } {
  const program = new Command('tsbpf').exitOverride();
  registerObj(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const d of c.commands) d.exitOverride();
  }
  let stdout = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    program.parse(args, { from: 'user' });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e instanceof UsageError ? 2 : 1, stdout, stderr: `tsbpf: ${(e as Error).message}\n` };
  } finally {
    process.stdout.write = write;
  }
}

test('obj show lists programs, maps, externs, relocations and BTF', () => {
  const r = tsbpf('obj', 'show', fixturePath('mapinmap', 'bpfel'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /programs \(3\):/);
  assert.match(r.stdout, /dispatch {2}section socket {2}type SOCKET_FILTER/);
  assert.match(
    r.stdout,
    /outer_arr {2}ARRAY_OF_MAPS {2}key 4 {2}value 4 {2}max_entries 4 .*values \[0\]=inner_a \[3\]=inner_b/,
  );
  assert.match(r.stdout, /jump_table {2}PROG_ARRAY .*values \[1\]=tail_a \[2\]=tail_b/);
  assert.match(r.stdout, /relocations: 3 \(map 3/);
  assert.match(r.stdout, /btf: \d+ types, func_info 3/);
  const e = tsbpf('obj', 'show', fixturePath('externs', 'bpfeb'));
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /CONFIG_BPF_JIT_ALWAYS_ON {2}kconfig {2}weak {2}size 1/);
  assert.match(e.stdout, /bpf_task_acquire {2}kfunc/);
});

test('obj show --json', () => {
  const r = tsbpf('obj', 'show', '--json', fixturePath('subprogs', 'bpfeb'));
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.endian, 'big');
  assert.deepEqual(
    j.programs.map((p: { name: string; type: string; insns: number }) => [p.name, p.type]),
    [
      ['tc_first', 'SCHED_CLS'],
      ['tc_second', 'SCHED_CLS'],
      ['tc_third', 'SCHED_CLS'],
      ['sys_entry', 'SYSCALL'],
    ],
  );
  assert.equal(j.subprograms.length, 4);
  assert.equal(j.relocations.funcPtr, 1);
});

test('obj disasm annotates relocations; --prog limits to a program and its subprograms', () => {
  const r = tsbpf('obj', 'disasm', fixturePath('subprogs', 'bpfel'), '--prog', 'tc_first');
  assert.equal(r.status, 0, r.stderr);
  const heads = [...r.stdout.matchAll(/^(\w+):/gm)].map((m) => m[1]);
  assert.deepEqual(heads, ['tc_first', 'global_helper', 'run_loop', 'mix', 'loop_step']);
  assert.match(r.stdout, /call .*; R_BPF_64_32 global_helper/);
  assert.match(r.stdout, /= 0xc0 ll {2}; R_BPF_64_64 &loop_step|ll {2}; R_BPF_64_64 &loop_step/);
  assert.match(r.stdout, /; call mix/);
  const m = tsbpf('obj', 'disasm', fixturePath('maps', 'bpfeb'));
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /ll {2}; R_BPF_64_64 flows/);
  const g = tsbpf('obj', 'disasm', fixturePath('globals', 'bpfel'));
  assert.match(g.stdout, /; R_BPF_64_64 \.data\+8/);
  const bad = tsbpf('obj', 'disasm', fixturePath('globals', 'bpfel'), '--prog', 'nope');
  assert.equal(bad.status, 2);
});

test('a malformed object exits 1 with one line naming the file and the place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-obj-'));
  const good = fixture('maps', 'bpfel');
  const cases: [string, Uint8Array, RegExp][] = [
    ['trunc.o', good.subarray(0, 200), /trunc\.o: ELF header \(offset 40\): e_shoff/],
    ['empty.o', new Uint8Array(0), /empty\.o: ELF header \(offset 0\)/],
  ];
  const rel = good.slice();
  // Point the first symbol's name far past the string table.
  const dv = new DataView(rel.buffer);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  for (let i = 0; i < shnum; i++) {
    if (dv.getUint32(shoff + i * 64 + 4, true) === 2) {
      const symoff = Number(dv.getBigUint64(shoff + i * 64 + 24, true));
      dv.setUint32(symoff + 24, 0x7fffffff, true);
    }
  }
  cases.push([
    'sym.o',
    rel,
    /sym\.o: \.symtab\[1\] st_name \(offset \d+\): string offset 2147483647 is past/,
  ]);
  for (const [name, bytes, re] of cases) {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    for (const cmd of name === 'sym.o' ? ['show', 'disasm'] : ['show']) {
      const r = spawnTsbpf('obj', cmd, p);
      assert.equal(r.status, 1, `${name} ${cmd}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    }
  }
  const missing = spawnTsbpf('obj', 'show', join(dir, 'nope.o'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file/);
});
