/**
 * Relocation checked against LLVM's view of the objects: for every relocation `llvm-objdump -d -r`
 * prints inside a program (or a subprogram linked into it), the relocated instruction is what the
 * symbol (from `llvm-readelf -s`) calls for: MAP_FD for maps, MAP_VALUE + (symbol value + addend)
 * for global data, BPF_PSEUDO_FUNC / bpf-to-bpf calls landing on the right linked function,
 * kfunc calls and typed ksyms with the vmlinux BTF id, kconfig externs in `.kconfig`.
 * Needs no backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BTF_KIND } from '../../src/btf/index.js';
import { LD_IMM64, Pseudo } from '../../src/isa/opcodes.js';
import { BpfObject } from '../../src/loader/index.js';
import { hostOptions, objdumpRelocs, objectBytes, objectPath, readelfSymbols } from './helpers.js';

const FIXTURES = ['core', 'externs', 'globals', 'legacy', 'mapinmap', 'maps', 'sections', 'subprogs'];

for (const name of FIXTURES) {
  test(`${name}: relocated instructions agree with llvm-objdump -r and llvm-readelf -s`, () => {
    const path = objectPath(name);
    const dump = objdumpRelocs(path);
    const syms = readelfSymbols(path);
    const opts = hostOptions(2);
    const vmlinux = opts.kernelBtf as import('../../src/btf/index.js').Btf;
    const obj = BpfObject.open(objectBytes(name), opts);
    const unknown = obj.programs.get('unknown');
    if (unknown) unknown.autoload = false;
    let checked = 0;
    for (const r of obj.relocate()) {
      const slotOf: number[] = [];
      const bySlot = new Map<number, number>();
      let s = 0;
      r.insns.forEach((x, i) => {
        slotOf.push(s);
        bySlot.set(s, i);
        s += x.code === LD_IMM64 ? 2 : 1;
      });
      const starts = new Map(r.linked.functions.map((f) => [f.name, f.slot]));
      for (const lf of r.linked.functions) {
        const f = obj.spec.functions.find((x) => x.name === lf.name)!;
        const base = f.offset / 8;
        for (const [secSlot, rel] of dump.get(f.section) ?? []) {
          if (secSlot < base || secSlot >= base + f.slots) continue;
          const slot = lf.slot + secSlot - base;
          const i = bySlot.get(slot)!;
          const insn = r.insns[i]!;
          const sym = syms.get(rel.symbol)!;
          const where = `${r.program.name} slot ${slot} (${rel.type} ${rel.symbol})`;
          const ref = r.mapRefs.find((m) => m.index === i);
          checked++;
          if (rel.type === 'R_BPF_64_64') {
            const map = obj.maps.get(rel.symbol);
            if (map !== undefined && map.spec.origin !== 'data') {
              assert.equal(insn.src, Pseudo.MAP_FD, where);
              assert.equal(ref?.map, rel.symbol, where);
            } else if (
              sym.type === 'FUNC' ||
              (sym.type === 'SECTION' && obj.spec.functions.some((x) => x.section === rel.symbol))
            ) {
              const targetSec = sym.value / 8 + Number(rel.imm) / 8;
              const target = obj.spec.functions.find(
                (x) => x.section === sym.section && x.offset / 8 === targetSec,
              )!;
              assert.equal(insn.src, Pseudo.FUNC, where);
              assert.equal(slot + insn.imm + 1, starts.get(target.name), where);
            } else if (sym.section === 'UND') {
              const ext = obj.spec.externs.find((e) => e.name === rel.symbol)!;
              if (ext.kind === 'kconfig') {
                assert.equal(insn.src, Pseudo.MAP_VALUE, where);
                assert.equal(ref?.map, '.kconfig', where);
              } else if (ext.type && obj.spec.btf!.btf.skipModifiers(ext.type) !== 0) {
                assert.equal(insn.src, Pseudo.BTF_ID, where);
                assert.equal(insn.imm, vmlinux.findId(rel.symbol, BTF_KIND.VAR), where);
              } else assert.equal(insn.src, 0, where);
            } else {
              assert.equal(insn.src, Pseudo.MAP_VALUE, where);
              assert.equal(ref?.map, sym.section, where);
              assert.equal(insn.imm2, sym.value + Number(rel.imm), where);
            }
          } else if (rel.type === 'R_BPF_64_32') {
            if (sym.section === 'UND') {
              assert.equal(insn.src, 2, where);
              assert.equal(insn.imm, vmlinux.findId(rel.symbol, BTF_KIND.FUNC), where);
              assert.equal(insn.off, 0, where);
            } else {
              const targetSec = sym.value / 8 + Number(rel.imm) + 1;
              const target = obj.spec.functions.find(
                (x) => x.section === sym.section && x.offset / 8 === targetSec,
              )!;
              assert.equal(insn.src, 1, where);
              assert.equal(slot + insn.imm + 1, starts.get(target.name), where);
            }
          } else assert.fail(`unexpected ${where}`);
        }
      }
    }
    if (!['sections', 'core'].includes(name)) assert.ok(checked > 0, 'no relocation checked');
  });
}
