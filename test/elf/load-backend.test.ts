/**
 * The relocation records are what a loader needs: a minimal loader in this test creates the maps
 * of an object from their MapSpecs (global data with its initial bytes), links each program,
 * points its map and global-data loads at the maps (BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE +
 * offset), and loads it. The kernel's verifier accepts every such program of the fixtures, and a
 * test run gives the same result on the kernel and the machine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkProgram } from '../../src/elf/link.js';
import { type ObjectSpec, parseObject } from '../../src/elf/object.js';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Backend } from '../../src/sys/backend.js';
import { backends } from '../backend/backends.js';
import { fixture } from './fixtures.js';

/** Programs that need nothing but maps and global data (no BTF, externs or attach targets). */
const CASES: [fixture: string, program: string, ctx: 'skb' | 'xdp'][] = [
  ['maps', 'count_flows', 'xdp'],
  ['maps', 'log_packet', 'skb'],
  ['legacy', 'legacy_user', 'skb'],
  ['globals', 'account', 'skb'],
  ['mapinmap', 'dispatch', 'skb'],
  ['subprogs', 'tc_third', 'skb'],
];

function loadAndRun(b: Backend, spec: ObjectSpec, name: string): number {
  const fds = new Map<string, { fd: number; close(): void }>();
  try {
    for (const m of spec.maps) {
      const inner =
        m.inner === undefined
          ? undefined
          : b.mapCreate({
              mapType: m.inner.type,
              keySize: m.inner.keySize,
              valueSize: m.inner.valueSize,
              maxEntries: m.inner.maxEntries,
              mapFlags: m.inner.flags,
            });
      const fd = b.mapCreate({
        mapType: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        mapFlags: m.flags,
        mapExtra: m.mapExtra,
        innerMapFd: inner?.fd,
      });
      inner?.close();
      fds.set(m.name, fd);
      if (m.data !== undefined) b.mapUpdateElem(fd.fd, new Uint8Array(4), m.data, 0);
    }
    const l = linkProgram(spec, name);
    const insns: Insn[] = l.insns.slice();
    for (const r of l.relocations) {
      const insn = insns[r.insn]!;
      if (r.kind === 'map') insns[r.insn] = { ...insn, src: 1, imm: fds.get(r.map)!.fd, imm2: 0 };
      else if (r.kind === 'data')
        insns[r.insn] = { ...insn, src: 2, imm: fds.get(r.map)!.fd, imm2: r.offset };
      else throw new Error(`unexpected ${r.kind} relocation`);
    }
    const prog = b.progLoad({
      progType: l.program.type,
      expectedAttachType: l.program.attachType,
      insns: encode(insns),
      license: l.program.license,
    });
    try {
      const data = new Uint8Array(64);
      for (let i = 0; i < data.length; i++) data[i] = i;
      return b.progTestRun({ progFd: prog.fd, dataIn: data }).retval;
    } finally {
      prog.close();
    }
  } finally {
    for (const fd of fds.values()) fd.close();
  }
}

describe('fixture programs load with their relocations applied, and run alike on both backends', () => {
  const results = new Map<string, Map<string, number>>();
  for (const bc of backends()) {
    it(`on ${bc.name}`, { skip: bc.skip }, () => {
      const b = bc.backend();
      const out = new Map<string, number>();
      for (const [f, p] of CASES) out.set(`${f}/${p}`, loadAndRun(b, parseObject(fixture(f, 'bpfel')), p));
      results.set(bc.name, out);
      // globals.c with a 64-byte packet: hidden_state (.data+8, initially 5) ^ mark 0, plus
      // ports[64 & 3] (.rodata.config, 22): the data relocations and initial bytes are right.
      assert.equal(out.get('globals/account'), 5 + 22);
      // tc_third: global_helper(priority 0) = mix(0, 0) & 0xff = 7, through two linked calls.
      assert.equal(out.get('subprogs/tc_third'), 7);
      assert.equal(out.get('maps/count_flows'), 2); // XDP_PASS
    });
  }
  it('same results', (t) => {
    const k = results.get('kernel');
    const m = results.get('machine');
    if (k === undefined || m === undefined) return t.skip('needs both backends');
    assert.deepEqual([...m], [...k]);
  });
});
