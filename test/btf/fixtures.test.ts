// Every committed BPF object fixture (test/fixtures, built by the ELF side): its .BTF and .BTF.ext
// parse, round-trip byte-exactly, list like bpftool, and dump to C that clang compiles with the
// same layout.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BPF_CORE_RELO, BTF_KIND, Btf, BtfExt, dumpC, formatRaw } from '../../src/btf/index.js';
import { elfSectionData } from '../../src/elf/index.js';
import { hasTool, run, same } from './helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const objects = (() => {
  try {
    return readdirSync(FIXTURES).filter((f) => f.endsWith('.o'));
  } catch {
    return [];
  }
})();
const bpftool = hasTool('bpftool');
const clang = hasTool('clang');

describe('btf: BPF object fixtures', { skip: objects.length ? false : 'no test/fixtures/*.o' }, () => {
  for (const name of objects) {
    it(`${name}: .BTF and .BTF.ext round-trip; raw listing matches bpftool`, () => {
      const obj = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const raw = elfSectionData(obj, '.BTF');
      assert.ok(raw, 'no .BTF');
      const btf = Btf.parse(raw);
      btf.validate();
      assert.equal(btf.endian, name.includes('bpfeb') ? 'big' : 'little');
      assert.ok(same(btf.serialize(), raw));
      const extBytes = elfSectionData(obj, '.BTF.ext');
      if (extBytes) {
        const ext = BtfExt.parse(extBytes, { btf });
        assert.ok(same(ext.serialize(), extBytes));
        for (const sec of ext.funcInfo)
          for (const r of sec.records) assert.equal(btf.kindOf(r.typeId), BTF_KIND.FUNC, sec.sectionName);
        for (const sec of ext.coreRelo)
          for (const r of sec.records) {
            assert.match(btf.str(r.accessStrOff), /^\d+(:\d+)*$/);
            assert.ok(r.kind <= BPF_CORE_RELO.TYPE_MATCHES);
          }
      }
      if (bpftool)
        assert.equal(
          formatRaw(btf),
          run('bpftool', ['btf', 'dump', 'file', join(FIXTURES, name), 'format', 'raw']),
        );
    });
  }
  it('core objects carry CO-RE relocations', () => {
    const core = objects.filter((o) => o.startsWith('core.'));
    for (const name of core) {
      const obj = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const btf = Btf.parse(elfSectionData(obj, '.BTF')!);
      const ext = BtfExt.parse(elfSectionData(obj, '.BTF.ext')!, { btf });
      assert.ok(ext.coreRelo.reduce((n, s) => n + s.records.length, 0) > 0, name);
      for (const sec of ext.coreRelo)
        for (const r of sec.records) {
          if (r.kind > BPF_CORE_RELO.FIELD_RSHIFT_U64) continue; // field relocations only
          const loc = btf.accessString(r.typeId, btf.str(r.accessStrOff));
          assert.ok(loc.names.length > 0 && loc.bitOffset >= 0, `${name}: ${btf.str(r.accessStrOff)}`);
        }
    }
  });
  it('C dumps of the little-endian fixtures compile', { skip: clang ? false : 'clang not installed' }, () => {
    for (const name of objects.filter((o) => o.includes('bpfel'))) {
      const obj = new Uint8Array(readFileSync(join(FIXTURES, name)));
      const c = dumpC(Btf.parse(elfSectionData(obj, '.BTF')!), { guard: null });
      run('clang', ['-target', 'bpf', '-fsyntax-only', '-x', 'c', '-'], c);
    }
  });
});
