import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { linkProgram } from '../../src/elf/link.js';
import { parseObject } from '../../src/elf/object.js';
import { ProgType } from '../../src/elf/sections.js';
import { encode } from '../../src/isa/codec.js';
import { backends } from '../backend/backends.js';
import { fixture } from './fixtures.js';

const subprogs = parseObject(fixture('subprogs', 'bpfel'));

test('linkProgram lays out the program then its subprograms, resolving calls and function pointers', () => {
  const l = linkProgram(subprogs, 'tc_first');
  assert.deepEqual(
    l.functions.map((f) => f.name),
    ['tc_first', 'global_helper', 'run_loop', 'mix', 'loop_step'],
  );
  const starts = new Map(l.functions.map((f) => [f.slot, f.name]));
  let slot = 0;
  let calls = 0;
  let ptrs = 0;
  for (const insn of l.insns) {
    if (insn.code === 0x85 && insn.src === 1) {
      assert.ok(starts.has(slot + insn.imm + 1), `call at ${slot} lands on a function`);
      calls++;
    }
    if (insn.code === 0x18 && insn.src === 4) {
      assert.equal(starts.get(slot + insn.imm + 1), 'loop_step');
      ptrs++;
    }
    slot += insn.code === 0x18 ? 2 : 1;
  }
  assert.equal(calls, 4);
  assert.equal(ptrs, 1);
  assert.deepEqual(l.relocations, []);
  assert.equal(l.funcInfo.length, 5);
  assert.deepEqual(
    l.funcInfo.map((f) => f.slot),
    l.functions.map((f) => f.slot),
  );
  assert.throws(() => linkProgram(subprogs, 'mix'), RangeError);
});

test('linkProgram keeps map, data and extern relocations, re-indexed', () => {
  const g = parseObject(fixture('globals', 'bpfel'));
  const l = linkProgram(g, 'account');
  assert.equal(l.relocations.length, 9);
  for (const r of l.relocations) assert.equal(l.insns[r.insn]!.code, 0x18);
  const e = parseObject(fixture('externs', 'bpfeb'));
  const le = linkProgram(e, 'on_newtask');
  assert.deepEqual(
    le.relocations.filter((r) => r.kind === 'extern' && r.externKind === 'kfunc').map((r) => r.insn),
    e.programs[0]!.relocations.filter((r) => r.kind === 'extern' && r.externKind === 'kfunc').map(
      (r) => r.insn,
    ),
  );
});

describe('a linked program with bpf-to-bpf calls loads and runs', () => {
  for (const bc of backends()) {
    it(`on ${bc.name}`, { skip: bc.skip }, () => {
      const b = bc.backend();
      const l = linkProgram(subprogs, 'tc_third');
      assert.equal(l.program.type, ProgType.SCHED_CLS);
      const fd = b.progLoad({
        progType: l.program.type,
        insns: encode(l.insns),
        license: l.program.license,
        progName: l.program.name,
      });
      try {
        // __sk_buff with priority (offset 32) = 5: global_helper(5) = mix(5, 0) & 0xff = (155 ^ 7).
        const ctx = new Uint8Array(192);
        new DataView(ctx.buffer).setUint32(32, 5, true);
        const r = b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), ctxIn: ctx });
        assert.equal(r.retval, (5 * 31) ^ 7);
      } finally {
        fd.close();
      }
    });
  }
});
