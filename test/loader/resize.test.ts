/**
 * Resizing global data (libbpf's bpf_map__set_value_size on `.bss`, `.data.*`, `.rodata.*`), on
 * both backends: the map is created with the new value size and a BTF whose DATASEC and last
 * array variable match it, the initial data is zero-extended or truncated, and the programs that
 * use the section load (or are refused by the verifier when they read past a truncated end).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBtf } from '../../src/btf/index.js';
import { BpfObject, LoaderError, ProgramLoadError } from '../../src/loader/index.js';
import { backends } from '../backend/backends.js';
import { objectBytes } from './helpers.js';

const u32s = (...xs: number[]) => new Uint8Array(Uint32Array.from(xs).buffer);

const bc0 = () =>
  backends()
    .find((x) => x.name === 'machine')!
    .backend();

function open(cpus: number): BpfObject {
  return BpfObject.open(objectBytes('resize'), { cpus });
}

describe('resize: refused', () => {
  test('the last variable is not an array', () => {
    const obj = open(2);
    assert.throws(
      () => obj.maps.get('.data.flat')!.setValueSize(8),
      (e: unknown) =>
        e instanceof LoaderError &&
        e.map === '.data.flat' &&
        /cannot be resized: its last variable 'not_array' is not an array/.test(e.message),
    );
  });
  test('the new size does not divide into elements, or drops the last variable', () => {
    const obj = open(2);
    const t = obj.maps.get('.data.table')!;
    assert.throws(() => t.setValueSize(22), /element size \(4\) of its last variable 'table' at offset 4/);
    assert.throws(() => t.setValueSize(4), /cannot be resized/);
    assert.throws(() => t.setValueSize(0), RangeError);
    assert.equal(t.valueSize, 20, 'unchanged after refusals');
  });
  test('variables follow the resize; refused once loaded', () => {
    const obj = open(2);
    const bss = obj.maps.get('.bss')!;
    bss.setValueSize(40);
    assert.equal(bss.valueSize, 40);
    const vars = new Map(bss.variables.map((v) => [v.name, [v.offset, v.size]]));
    assert.deepEqual(vars.get('scratch'), [8, 32]);
    assert.deepEqual(vars.get('idx'), [0, 4]);
    assert.equal(bss.initialValue!.length, 40);
    obj.programs.get('big')!.autoload = false;
    obj.load(bc0()).close();
    assert.throws(() => bss.setValueSize(48), /already created/);
  });
  test('the loaded BTF: DATASEC size, last entry size, a new array type of the new length', () => {
    const obj = open(2);
    obj.maps.get('.data.table')!.setValueSize(4 + 4 * 16);
    obj.maps.get('.rodata.limits')!.setValueSize(4);
    const btf = parseBtf(obj.loadableBtf()!);
    const ds = btf.type(btf.findId('.data.table', 15)!);
    assert.equal(ds.kind, 'DATASEC');
    if (ds.kind !== 'DATASEC') return;
    assert.equal(ds.size, 68);
    const last = ds.vars.find((v) => btf.nameOf(v.type) === 'table')!;
    assert.deepEqual([last.offset, last.size], [4, 64]);
    const vt = btf.type(last.type);
    assert.ok(vt.kind === 'VAR');
    const at = btf.type(vt.kind === 'VAR' ? vt.type : 0);
    assert.ok(at.kind === 'ARRAY' && at.nelems === 16 && btf.sizeOf(at.type) === 4);
    const ro = btf.type(btf.findId('.rodata.limits', 15)!);
    assert.ok(ro.kind === 'DATASEC' && ro.size === 4 && ro.vars[0]!.size === 4);
  });
});

for (const bc of backends()) {
  describe(`resize on ${bc.name}`, { skip: bc.skip }, () => {
    test('as compiled: `small` loads, `big` (reads table[0..15]) is refused by the verifier', () => {
      const b = bc.backend();
      const obj = open(bc.cpus);
      using c = (() => {
        obj.programs.get('big')!.autoload = false;
        return obj.load(b);
      })();
      assert.equal(c.maps.get('.data.table')!.valueSize, 20);
      const obj2 = open(bc.cpus);
      obj2.programs.get('small')!.autoload = false;
      assert.throws(() => obj2.load(b).close(), ProgramLoadError);
    });

    test('grown: new value size, zero-extended data, `big` loads and reads the new elements', () => {
      const b = bc.backend();
      const obj = open(bc.cpus);
      const t = obj.maps.get('.data.table')!;
      t.setValueSize(4 + 4 * 16);
      const init = t.initialValue!;
      assert.deepEqual([...init.subarray(0, 20)], [...u32s(4, 10, 11, 12, 13)]);
      assert.ok(init.subarray(20).every((x) => x === 0));
      t.setVariable('table', u32s(...Array.from({ length: 16 }, (_, i) => 100 + i)));
      obj.maps.get('.bss')!.setValueSize(8 + 8 * 5);
      obj.maps.get('.bss')!.setVariable('idx', 15);
      using c = obj.load(b);
      const lt = c.maps.get('.data.table')!;
      assert.equal(lt.valueSize, 68);
      assert.equal(lt.info().valueSize, 68);
      const v = lt.formatValue(lt.lookup(0)!) as { nr: number; table: number[] };
      assert.equal(v.nr, 4);
      assert.equal(v.table.length, 16);
      assert.equal(v.table[15], 115);
      assert.equal(c.maps.get('.bss')!.info().valueSize, 48);
      assert.equal(c.programs.get('big')!.testRun({ dataIn: new Uint8Array(64) }).retval, 115);
      // `small` sees idx = 15 >= 4 and returns -1; scratch[1] (in the grown .bss) counts its runs.
      assert.equal(c.programs.get('small')!.testRun({ dataIn: new Uint8Array(64) }).retval, 0xffffffff);
      const bss = c.maps.get('.bss')!;
      const sv = bss.formatValue(bss.lookup(0)!) as { scratch: (number | bigint)[] };
      assert.equal(sv.scratch.length, 5);
      assert.equal(BigInt(sv.scratch[1]!), 1n);
    });

    test('shrunk: truncated data; `small` still loads and reads the kept elements, `big` is refused', () => {
      const b = bc.backend();
      const obj = open(bc.cpus);
      obj.maps.get('.data.table')!.setValueSize(4 + 4 * 2);
      assert.deepEqual([...obj.maps.get('.data.table')!.initialValue!], [...u32s(4, 10, 11)]);
      obj.maps.get('.rodata.limits')!.setValueSize(4);
      // `small` reads limits[1], now past the end of .rodata.limits: refused too.
      obj.programs.get('big')!.autoload = false;
      assert.throws(() => obj.load(b).close(), ProgramLoadError);
      const obj2 = open(bc.cpus);
      obj2.maps.get('.data.table')!.setValueSize(4 + 4 * 4);
      obj2.maps.get('.rodata.limits')!.setValueSize(8);
      obj2.maps.get('.bss')!.setValueSize(24);
      obj2.maps.get('.bss')!.setVariable('idx', 3);
      obj2.programs.get('big')!.autoload = false;
      using c = obj2.load(b);
      assert.equal(c.maps.get('.bss')!.info().valueSize, 24);
      // table[3] + limits[1] + not_array - 1 = 13 + 8 + 1 - 1
      assert.equal(c.programs.get('small')!.testRun({ dataIn: new Uint8Array(64) }).retval, 21);
    });
  });
}
