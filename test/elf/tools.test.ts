/**
 * The ELF reader and object model agree with llvm-readelf, llvm-objdump and bpftool on every
 * fixture, in both byte orders. Each comparison skips (with the reason) when its tool is absent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseObject, relocTypeName } from '../../src/elf/object.js';
import { parseElf, SymType } from '../../src/elf/reader.js';
import { fixture, fixtureNames, fixturePath } from './fixtures.js';

function run(tool: string, args: string[]): string | undefined {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error !== undefined) return undefined;
  assert.equal(r.status, 0, `${tool} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function have(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).error === undefined;
}

const TARGETS = ['bpfel', 'bpfeb'] as const;
const names = fixtureNames();

test('fixtures exist', () => {
  assert.ok(names.length >= 7, `fixtures: ${names.join(', ')}`);
});

for (const name of names) {
  for (const target of TARGETS) {
    const file = fixturePath(name, target);
    const bytes = fixture(name, target);

    test(`${name}.${target}: sections, symbols and relocations agree with llvm-readelf`, (t) => {
      if (!have('llvm-readelf')) return t.skip('llvm-readelf is not installed');
      const elf = parseElf(bytes);
      // Sections: [Nr] Name Type Address Off Size ES Flg Lk Inf Al
      const secOut = run('llvm-readelf', ['-S', '--wide', file])!;
      const rows = [...secOut.matchAll(/^\s*\[\s*(\d+)\]\s(.*)$/gm)].filter((m) => !m[2]!.startsWith('Name'));
      assert.equal(rows.length, elf.sections.length);
      for (const m of rows) {
        const idx = Number(m[1]);
        const cols = m[2]!.trim().split(/\s+/);
        const s = elf.sections[idx]!;
        // The name is absent for section 0; Flg may be empty, so read from the right.
        const [al, inf, lk] = [cols.at(-1)!, cols.at(-2)!, cols.at(-3)!];
        const nameCol = idx === 0 ? '' : cols[0]!;
        const hex = cols.filter((c) => /^[0-9a-f]{6,}$/.test(c));
        // hex: address, offset, size
        assert.equal(s.name, nameCol, `section ${idx} name`);
        assert.equal(s.offset, Number.parseInt(hex[1]!, 16), `section ${idx} offset`);
        assert.equal(s.size, Number.parseInt(hex[2]!, 16), `section ${idx} size`);
        assert.equal(s.link, Number(lk), `section ${idx} link`);
        assert.equal(s.info, Number(inf), `section ${idx} info`);
        assert.equal(s.addralign, Number(al), `section ${idx} align`);
      }
      // Symbols: Num: Value Size Type Bind Vis Ndx Name
      const symOut = run('llvm-readelf', ['-s', '--wide', file])!;
      const syms = elf.symbols();
      const symRows = [
        ...symOut.matchAll(/^\s*(\d+):\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s?(.*)$/gm),
      ];
      assert.equal(symRows.length, syms.length);
      const TYPES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE'];
      const BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];
      for (const m of symRows) {
        const y = syms[Number(m[1])]!;
        assert.equal(y.value, Number.parseInt(m[2]!, 16), `sym ${y.index} value`);
        assert.equal(y.size, Number(m[3]), `sym ${y.index} size`);
        assert.equal(TYPES[y.type], m[4], `sym ${y.index} type`);
        assert.equal(BINDS[y.bind], m[5], `sym ${y.index} bind`);
        const ndx = m[7] === 'UND' ? 0 : m[7] === 'ABS' ? 0xfff1 : Number(m[7]);
        assert.equal(y.shndx, ndx, `sym ${y.index} ndx`);
        // Section symbols print their section's name.
        const expectName = y.type === SymType.SECTION ? elf.sections[y.shndx]!.name : y.name;
        assert.equal(expectName, m[8] ?? '', `sym ${y.index} name`);
      }
      // Relocations, per section.
      const relOut = run('llvm-readelf', ['-r', '--wide', file])!;
      const blocks = relOut.split(/\nRelocation section /).slice(1);
      const relSecs = elf.relocationSections();
      assert.equal(blocks.length, relSecs.length);
      for (const block of blocks) {
        const secName = /^'([^']+)'/.exec(block)![1]!;
        const rs = elf.section(secName)!;
        const rels = elf.relocations(rs);
        const lines = [...block.matchAll(/^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+[0-9a-f]+\s+(.*)$/gm)];
        assert.equal(lines.length, rels.length, `${secName} entries`);
        lines.forEach((m, i) => {
          const r = rels[i]!;
          const y = syms[r.symbol]!;
          assert.equal(r.offset, Number.parseInt(m[1]!, 16), `${secName}[${i}] offset`);
          assert.equal(relocTypeName(r.type), m[3], `${secName}[${i}] type`);
          const symName = y.type === SymType.SECTION ? elf.sections[y.shndx]!.name : y.name;
          assert.equal(symName, m[4]!.trim(), `${secName}[${i}] symbol`);
        });
      }
    });

    test(`${name}.${target}: instruction counts and code relocations agree with llvm-objdump`, (t) => {
      if (!have('llvm-objdump')) return t.skip('llvm-objdump is not installed');
      const spec = parseObject(bytes);
      const out = run('llvm-objdump', ['-d', '-r', '--no-show-raw-insn', file])!;
      // Per function: instruction lines and relocation lines.
      const counts = new Map<string, { insns: number; relocs: string[] }>();
      const funcNames = new Set(spec.functions.map((f) => f.name));
      let cur: { insns: number; relocs: string[] } | undefined;
      for (const line of out.split('\n')) {
        const fn = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
        // Local labels (LBB0_2) also get headers: they continue the current function.
        if (fn && funcNames.has(fn[1]!)) {
          cur = { insns: 0, relocs: [] };
          counts.set(fn[1]!, cur);
          continue;
        }
        if (line.startsWith('Disassembly of section')) cur = undefined;
        if (cur === undefined) continue;
        if (/^\s+\d+:\t/.test(line)) cur.insns++;
        const rel = /^\s+([0-9a-f]+):\s+(R_BPF_\w+)\s+(.*)$/.exec(line);
        if (rel) cur.relocs.push(rel[2]!);
      }
      for (const f of spec.functions) {
        const c = counts.get(f.name);
        assert.ok(c, `llvm-objdump has no function ${f.name}`);
        assert.equal(f.insns.length, c.insns, `${f.name} instruction count`);
        const ours = f.relocations.filter((r) => r.elfType !== 'none').map((r) => r.elfType);
        assert.deepEqual(ours, c.relocs, `${f.name} relocations`);
      }
    });

    test(`${name}.${target}: BTF type count agrees with bpftool`, (t) => {
      if (!have('bpftool')) return t.skip('bpftool is not installed');
      const spec = parseObject(bytes);
      assert.ok(spec.btf, 'fixture has BTF');
      const out = run('bpftool', ['btf', 'dump', 'file', file]);
      if (out === undefined) return t.skip('bpftool could not run');
      const n = [...out.matchAll(/^\[(\d+)\] /gm)].length;
      assert.equal(spec.btf.typeCount - 1, n);
    });

    test(`${name}.${target}: programs, maps and global variables agree with libbpf (bpftool gen skeleton)`, (t) => {
      if (!have('bpftool')) return t.skip('bpftool is not installed');
      if (target === 'bpfeb') return t.skip('libbpf opens only objects of the host byte order');
      const spec = parseObject(bytes);
      const r = spawnSync('bpftool', ['gen', 'skeleton', file, 'name', 'x'], {
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      });
      assert.equal(r.error, undefined, 'bpftool gen skeleton could not run');
      if (spec.maps.some((m) => m.origin === 'legacy')) {
        // libbpf 1.x refuses legacy `maps` definitions; the object model reads them.
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /legacy map definitions/);
        return;
      }
      assert.equal(r.status, 0, r.stderr);
      const progs = [...r.stdout.matchAll(/^\t\tstruct bpf_program \*(\w+);/gm)].map((m) => m[1]);
      assert.deepEqual(
        progs,
        spec.programs.map((p) => p.name),
      );
      const maps = [...r.stdout.matchAll(/^\t\tstruct bpf_map \*(\w+);/gm)].map((m) => m[1]).sort();
      const ours = spec.maps.map((m) => (m.origin === 'data' ? m.name.slice(1).replace(/\./g, '_') : m.name));
      if (spec.externs.some((e) => e.kind === 'kconfig')) ours.push('kconfig');
      assert.deepEqual(maps, ours.sort());
      // Each global-data struct lists the section's global variables (padding aside).
      for (const m of spec.maps) {
        if (m.origin !== 'data') continue;
        const ident = m.name.slice(1).replace(/\./g, '_');
        const body = new RegExp(`struct x__${ident} \\{([^}]*)\\} \\*${ident};`).exec(r.stdout);
        assert.ok(body, `skeleton struct for ${m.name}`);
        const fields = [...body[1]!.matchAll(/(\w+)(\[\d+\])?;/g)]
          .map((f) => f[1])
          .filter((f) => !f!.startsWith('__pad'));
        assert.deepEqual(
          fields,
          m.variables.filter((v) => v.global).map((v) => v.name),
          m.name,
        );
      }
    });
  }
}
