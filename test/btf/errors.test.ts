import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Btf, BtfExt } from '../../src/btf/index.js';
import { FormatError } from '../../src/util/errors.js';
import { data } from './helpers.js';

/** Asserts `f` throws a FormatError at `where` (and `offset`, when given). */
function throwsAt(f: () => unknown, where: string, offset?: number, reason?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${String(e)}`);
    assert.equal(e.where, where, e.message);
    if (offset !== undefined) assert.equal(e.offset, offset, e.message);
    if (reason) assert.match(e.reason, reason);
    return true;
  });
}

function sample(): { bytes: Uint8Array; dv: DataView } {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 }); // [1] at type offset 0
  b.addStruct('s', 8, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'b', type: int, bitOffset: 32 },
  ]); // [2] at type offset 16, members at 28 and 40
  b.addPtr(2); // [3] at type offset 52
  const bytes = b.serialize();
  return { bytes, dv: new DataView(bytes.buffer) };
}

describe('btf errors name the place', () => {
  it('header problems', () => {
    throwsAt(() => Btf.parse(new Uint8Array(10)), '.BTF/header', 0, /shorter/);
    const { bytes, dv } = sample();
    const bad = (edit: (d: DataView, b: Uint8Array) => void) => {
      const c = bytes.slice();
      edit(new DataView(c.buffer), c);
      return c;
    };
    throwsAt(() => Btf.parse(bad((_d, b) => (b[0] = 1))), '.BTF/header', 0, /magic/);
    throwsAt(() => Btf.parse(bad((_d, b) => (b[2] = 2))), '.BTF/header', 2, /version/);
    throwsAt(() => Btf.parse(bad((d) => d.setUint32(4, 9999, true))), '.BTF/header', 4, /hdr_len/);
    throwsAt(() => Btf.parse(bad((d) => d.setUint32(8, 2, true))), '.BTF/header', 8, /aligned/);
    throwsAt(() => Btf.parse(bad((d) => d.setUint32(20, 9999, true))), '.BTF/header', 16, /past the data/);
    const typeLen = dv.getUint32(12, true);
    throwsAt(
      () => Btf.parse(bad((d) => d.setUint32(16, typeLen - 4, true))),
      '.BTF/header',
      undefined,
      /overlap/,
    );
    throwsAt(
      () => Btf.parse(bad((d) => d.setUint32(20, d.getUint32(20, true) - 2, true))),
      '.BTF/header',
      undefined,
      /after the last section/,
    );
    throwsAt(
      () => Btf.parse(bad((_d, b) => (b[b.length - 1] = 0x41))),
      '.BTF/strings',
      bytes.length - 1,
      /NUL/,
    );
    throwsAt(
      () => Btf.parse(bad((_d, b) => (b[24 + typeLen] = 0x41))),
      '.BTF/strings',
      24 + typeLen,
      /first/,
    );
  });
  it('type records: counts past the end, names past the table, ids out of range', () => {
    const { bytes } = sample();
    const edit = (at: number, v: number) => {
      const c = bytes.slice();
      new DataView(c.buffer).setUint32(24 + at, v, true);
      return c;
    };
    // vlen 9 members for struct [2]: runs past the section
    throwsAt(() => Btf.parse(edit(20, 0x04000009)), '.BTF/types[2]', 24 + 20, /9 members run past/);
    // member 1's name offset past the strings
    throwsAt(() => Btf.parse(edit(40, 0xffff)), '.BTF/types[2]/members[1]', 24 + 40, /name offset 65535/);
    // member 1's type id out of range
    throwsAt(
      () => Btf.parse(edit(44, 77)),
      '.BTF/types[2]/members[1]',
      24 + 44,
      /type id 77 is out of range/,
    );
    // PTR [3] to 99
    throwsAt(() => Btf.parse(edit(60, 99)), '.BTF/types[3]', 24 + 60, /type id 99/);
    // unknown kind
    throwsAt(() => Btf.parse(edit(56, 0x1f000000)), '.BTF/types[3]', 24 + 56, /unknown kind 31/);
    // a record cut in the middle: shrink type_len by 4 and move the strings accordingly
    const c = bytes.slice();
    const dv = new DataView(c.buffer);
    const tl = dv.getUint32(12, true);
    const cut = new Uint8Array(c.length - 4);
    cut.set(c.subarray(0, 24 + tl - 4));
    cut.set(c.subarray(24 + tl), 24 + tl - 4);
    const cdv = new DataView(cut.buffer);
    cdv.setUint32(12, tl - 4, true);
    cdv.setUint32(16, tl - 4, true);
    throwsAt(() => Btf.parse(cut), '.BTF/types[3]', 24 + 52, /truncated type/);
  });
  it('queries report cycles instead of hanging', () => {
    const b = new Btf();
    const id = b.nextId;
    b.addConst(id + 1);
    b.addVolatile(id);
    const p = Btf.parse(b.serialize());
    throwsAt(() => p.resolve(id), `.BTF/types[${id}]`, undefined, /cycle/);
    throwsAt(() => p.sizeOf(id), `.BTF/types[${id}]`, undefined, /cycle/);
    const a = new Btf();
    const aid = a.nextId;
    const int = aid + 1;
    a.addArray(aid, int, 2);
    a.addInt('int', 4);
    throwsAt(() => Btf.parse(a.serialize()).sizeOf(aid), `.BTF/types[${aid}]`, undefined, /cycle/);
  });
  it('.BTF.ext problems', () => {
    const btf = Btf.parse(data('kinds.bpfel.btf'));
    const ext = data('kinds.bpfel.btf.ext');
    const edit = (at: number, v: number) => {
      const c = ext.slice();
      new DataView(c.buffer).setUint32(at, v, true);
      return c;
    };
    const hdrLen = new DataView(ext.buffer, ext.byteOffset).getUint32(4, true);
    const funcOff = new DataView(ext.buffer, ext.byteOffset).getUint32(8, true);
    const lineOff = new DataView(ext.buffer, ext.byteOffset).getUint32(16, true);
    const f = hdrLen + funcOff;
    const l = hdrLen + lineOff;
    throwsAt(() => BtfExt.parse(edit(f, 6), { btf }), '.BTF.ext/func_info', f, /record size 6/);
    throwsAt(() => BtfExt.parse(edit(f + 8, 999), { btf }), '.BTF.ext/func_info[0]', f + 8, /999 records/);
    throwsAt(
      () => BtfExt.parse(edit(f + 4, 1 << 30), { btf }),
      '.BTF.ext/func_info[0]',
      f + 4,
      /section name/,
    );
    throwsAt(
      () => BtfExt.parse(edit(f + 16, 5000), { btf }),
      '.BTF.ext/func_info[0]/records[0]',
      f + 16,
      /type id 5000/,
    );
    throwsAt(
      () => BtfExt.parse(edit(l + 4 + 8 + 4, 1 << 30), { btf }),
      '.BTF.ext/line_info[0]/records[0]',
      l + 16,
      /file name/,
    );
    throwsAt(() => BtfExt.parse(edit(12, 3), { btf }), '.BTF.ext/header', undefined);
    throwsAt(() => BtfExt.parse(ext.subarray(0, 20)), '.BTF.ext/header', 0, /shorter/);
  });
  it('builder rejects caller mistakes with RangeError', () => {
    const b = new Btf();
    assert.throws(() => b.addInt('x', 3), RangeError);
    assert.throws(() => b.addTypedef('', 1), RangeError);
    assert.throws(() => b.addArray(1, 1, -1), RangeError);
    assert.throws(() => b.addEnum('e', 4, [{ name: 'A', value: 2 ** 33 }]), RangeError);
    assert.throws(() => b.addString('a\0b'), RangeError);
    assert.throws(() => b.type(5), RangeError);
  });
});
