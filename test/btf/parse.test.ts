import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BTF_KIND, Btf, BtfExt, formatRaw } from '../../src/btf/index.js';
import { FormatError } from '../../src/util/errors.js';
import { builtSample } from './fuzz-lib.js';
import { DATA, data, hasTool, run, same, vmlinux } from './helpers.js';

const bpftool = hasTool('bpftool');
const vm = vmlinux();

describe('btf parse: fixtures', () => {
  for (const t of ['bpfel', 'bpfeb']) {
    it(`parses kinds.${t}.btf and round-trips it byte-exactly`, () => {
      const bytes = data(`kinds.${t}.btf`);
      const btf = Btf.parse(bytes);
      assert.equal(btf.endian, t === 'bpfel' ? 'little' : 'big');
      assert.ok(same(btf.serialize(), bytes));
      const node = btf.findId('node', BTF_KIND.STRUCT)!;
      assert.equal(btf.sizeOf(node), 144);
      assert.equal(btf.alignOf(node), 8);
      const bits = btf.findId('bits', BTF_KIND.STRUCT)!;
      assert.deepEqual(btf.member(bits, 'd'), { type: btf.findId('u64'), bitOffset: 15, bitfieldSize: 40 });
      assert.equal(btf.member(node, 'z'), undefined);
      assert.equal(btf.fieldPath(node, 'anon.z')?.bitOffset, 1088 + 32);
      assert.equal(btf.fieldPath(node, ['anon', 'x'])?.bitOffset, 1088);
      assert.equal(btf.alignOf(btf.findId('packed_one', BTF_KIND.STRUCT)!), 1);
      assert.equal(btf.sizeOf(btf.member(node, 'arr')!.type), 32);
      assert.equal(btf.sizeOf(btf.findId('s8_var', BTF_KIND.VAR)!), 1);
      assert.equal(btf.resolve(btf.findId('u32')!), btf.findId('unsigned int', BTF_KIND.INT));
      // CO-RE style access: node.arr[2][1] is 0:6:2:1; node.anon.<anon union>.z is 0:12:1:1
      assert.deepEqual(btf.accessString(node, '0:6:2:1'), {
        type: btf.findId('int', BTF_KIND.INT),
        bitOffset: 384 + 2 * 64 + 32,
        bitfieldSize: 0,
        names: ['arr', '', ''],
      });
      assert.equal(btf.accessString(node, '0:12:1:1').bitOffset, 1088 + 32);
      assert.equal(btf.accessString(node, '1').bitOffset, 144 * 8);
      assert.equal(btf.accessString(bits, '0:3').bitfieldSize, 40);
      assert.throws(() => btf.accessString(node, '0:99'), /member 99/);
      assert.throws(() => btf.accessString(node, '0:x'), /malformed/);
    });
    it(`parses kinds.${t}.btf.ext and round-trips it`, () => {
      const btf = Btf.parse(data(`kinds.${t}.btf`));
      const bytes = data(`kinds.${t}.btf.ext`);
      const ext = BtfExt.parse(bytes, { btf });
      assert.ok(same(ext.serialize(), bytes));
      assert.equal(ext.funcInfoRecSize, 8);
      assert.equal(ext.lineInfoRecSize, 16);
      const text = ext.funcInfo.find((s) => s.sectionName === '.text');
      assert.ok(text);
      assert.deepEqual(text.records.map((r) => btf.nameOf(r.typeId)).sort(), ['entry', 'helper']);
      const li = ext.lineInfo[0]!.records[0]!;
      assert.match(btf.str(li.fileNameOff), /kinds\.c$/);
      assert.ok(li.line > 0);
    });
  }
  it('gives the same types in both byte orders', () => {
    const le = Btf.parse(data('kinds.bpfel.btf'));
    const be = Btf.parse(data('kinds.bpfeb.btf'));
    assert.equal(formatRaw(le), formatRaw(be));
    be.endian = 'little';
    assert.ok(same(be.serialize(), data('kinds.bpfel.btf')));
  });
  it('matches bpftool raw dumps of the fixtures', { skip: bpftool ? false : 'bpftool not installed' }, () => {
    for (const t of ['bpfel', 'bpfeb']) {
      const ours = formatRaw(Btf.parse(data(`kinds.${t}.btf`)));
      assert.equal(
        ours,
        run('bpftool', ['btf', 'dump', 'file', join(DATA, `kinds.${t}.btf`), 'format', 'raw']),
      );
    }
  });
});

describe('btf parse: vmlinux', { skip: vm ? false : '/sys/kernel/btf/vmlinux not readable' }, () => {
  it('round-trips the kernel BTF byte-exactly, also through big endian', () => {
    const btf = Btf.parse(vm!);
    assert.ok(btf.typeCount > 1000);
    assert.ok(same(btf.serialize(), vm!));
    btf.endian = 'big';
    const be = btf.serialize();
    assert.equal(be[0], 0xeb);
    const back = Btf.parse(be);
    assert.equal(back.endian, 'big');
    back.endian = 'little';
    assert.ok(same(back.serialize(), vm!));
  });
  it('answers queries on kernel types', () => {
    const btf = Btf.parse(vm!);
    btf.validate();
    const ts = btf.findId('task_struct', BTF_KIND.STRUCT)!;
    assert.ok(ts > 0);
    assert.ok(btf.sizeOf(ts) > 1000);
    const pid = btf.member(ts, 'pid')!;
    assert.equal(btf.nameOf(btf.resolve(pid.type)), 'int');
    assert.equal(btf.sizeOf(pid.type), 4);
    const mapOps = btf.findId('bpf_map_ops', BTF_KIND.STRUCT)!;
    assert.equal(btf.alignOf(mapOps), 8);
  });
  it('matches bpftool raw dump of vmlinux', { skip: bpftool ? false : 'bpftool not installed' }, () => {
    const ours = formatRaw(Btf.parse(vm!));
    const theirs = run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw']);
    assert.equal(ours.length, theirs.length);
    assert.ok(ours === theirs);
  });
});

describe('btf split', () => {
  it('builds split BTF on a base, parses it back with the base, bpftool agrees', () => {
    const baseBytes = data('kinds.bpfel.btf');
    const base = Btf.parse(baseBytes);
    const split = new Btf({ base });
    assert.equal(split.startId, base.typeCount);
    const int = base.findId('int', BTF_KIND.INT)!;
    const s = split.addStruct('mod_thing', 16, [
      { name: 'next', type: split.nextId + 1, bitOffset: 0 },
      { name: 'x', type: int, bitOffset: 64 },
    ]);
    split.addPtr(s);
    split.addTypedef('mod_thing_t', s);
    const bytes = split.serialize();
    const back = Btf.parse(bytes, { base });
    assert.ok(same(back.serialize(), bytes));
    assert.equal(back.nameOf(s), 'mod_thing');
    assert.equal(back.nameOf(int), 'int');
    assert.equal(back.findId('mod_thing_t'), s + 2);
    assert.equal(back.sizeOf(s + 2), 16);
    // strings shared with the base are not repeated
    assert.equal(
      back.members(s)[1]!.nameOff < base.strings.totalLength,
      base.strings.find('x') !== undefined,
    );
    if (bpftool) {
      const dir = mkdtempSync(join(tmpdir(), 'btf-split-'));
      writeFileSync(join(dir, 'split.btf'), bytes);
      const theirs = run('bpftool', [
        '-B',
        join(DATA, 'kinds.bpfel.btf'),
        'btf',
        'dump',
        'file',
        join(dir, 'split.btf'),
        'format',
        'raw',
      ]);
      assert.equal(formatRaw(back), theirs);
    }
  });
  it('rejects split BTF whose type ids point past the end', () => {
    const base = Btf.parse(data('kinds.bpfel.btf'));
    const split = new Btf({ base });
    split.addPtr(base.typeCount + 5);
    assert.throws(
      () => Btf.parse(split.serialize(), { base }),
      (e: unknown) => e instanceof FormatError && e.where === `.BTF/types[${base.typeCount}]`,
    );
  });
});

describe('btf builder', () => {
  it('builds every kind in both byte orders; bpftool reads them as we do', () => {
    const le = builtSample('little');
    const be = builtSample('big');
    const a = Btf.parse(le);
    const b = Btf.parse(be);
    assert.equal(formatRaw(a), formatRaw(b));
    assert.ok(same(a.serialize(), le));
    b.endian = 'little';
    assert.ok(same(b.serialize(), le));
    const kinds = new Set<string>();
    for (let id = 1; id < a.typeCount; id++) kinds.add(a.type(id).kind);
    assert.equal(kinds.size, 19);
    if (bpftool) {
      const dir = mkdtempSync(join(tmpdir(), 'btf-built-'));
      for (const [name, bytes] of [
        ['le.btf', le],
        ['be.btf', be],
      ] as const) {
        writeFileSync(join(dir, name), bytes);
        assert.equal(formatRaw(a), run('bpftool', ['btf', 'dump', 'file', join(dir, name), 'format', 'raw']));
      }
    }
  });
  it('appends to a parsed BTF without disturbing what was there', () => {
    const bytes = data('kinds.bpfel.btf');
    const btf = Btf.parse(bytes);
    const before = btf.typeCount;
    const id = btf.addTypedef('node_t', btf.findId('node', BTF_KIND.STRUCT)!);
    assert.equal(id, before);
    assert.equal(btf.addString('node'), btf.type(btf.findId('node', BTF_KIND.STRUCT)!).nameOff);
    const out = btf.serialize();
    const again = Btf.parse(out);
    assert.equal(again.sizeOf(id), 144);
    for (let i = 1; i < before; i++) assert.deepEqual(again.type(i), Btf.parse(bytes).type(i));
  });
});

describe('btf.ext builder', () => {
  it('builds .BTF.ext from scratch in both byte orders and parses it back', () => {
    const btf = Btf.parse(data('kinds.bpfel.btf'));
    const sec = btf.addString('xdp');
    const ext = new BtfExt();
    ext.funcInfo.push({ sectionNameOff: sec, sectionName: 'xdp', records: [{ insnOff: 0, typeId: 4 }] });
    ext.lineInfo.push({
      sectionNameOff: sec,
      sectionName: 'xdp',
      records: [{ insnOff: 8, fileNameOff: sec, lineOff: sec, line: 1234, col: 7 }],
    });
    ext.coreRelo.push({
      sectionNameOff: sec,
      sectionName: 'xdp',
      records: [{ insnOff: 16, typeId: 27, accessStrOff: btf.addString('0:1'), kind: 0 }],
    });
    for (const endian of ['little', 'big'] as const) {
      ext.endian = endian;
      const bytes = ext.serialize();
      const back = BtfExt.parse(bytes, { btf });
      assert.equal(back.endian, endian);
      assert.ok(same(back.serialize(), bytes));
      assert.deepEqual(back.lineInfo[0]!.records[0], ext.lineInfo[0]!.records[0]);
      assert.deepEqual(back.coreRelo[0]!.records, ext.coreRelo[0]!.records);
      assert.equal(back.funcInfo[0]!.sectionName, 'xdp');
    }
  });
});
