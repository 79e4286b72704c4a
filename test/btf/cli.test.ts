import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Btf, BtfExt } from '../../src/btf/index.js';
import { parseBtfFile, readFileWhole } from '../../src/cli/commands/btf.js';
import { elfSectionData } from '../../src/elf/index.js';
import { FormatError } from '../../src/util/errors.js';
import { DATA, data, hasTool, run, same, vmlinux } from './helpers.js';

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), 'cli-harness.ts');
const tsbpf = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', HARNESS, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });

describe('tsbpf btf dump', () => {
  it(
    'prints raw BTF of an object like bpftool',
    { skip: hasTool('bpftool') ? false : 'bpftool not installed' },
    () => {
      const r = tsbpf('btf', 'dump', join(DATA, 'kinds.bpfeb.o'));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        r.stdout,
        run('bpftool', ['btf', 'dump', 'file', join(DATA, 'kinds.bpfeb.o'), 'format', 'raw']),
      );
    },
  );
  it('prints C and JSON', () => {
    const c = tsbpf('btf', 'dump', join(DATA, 'kinds.bpfel.btf'), '--format', 'c');
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /struct node \{/);
    const j = tsbpf('btf', 'dump', join(DATA, 'kinds.bpfel.o'), '--json');
    assert.equal(j.status, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.types.find((t: { name: string }) => t.name === 'node').kind, 'STRUCT');
  });
  it('exits 1 with one line naming the place for malformed input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'btf-cli-'));
    const bytes = data('kinds.bpfel.btf').slice();
    bytes[24 + 12 * 3 + 8] = 0x77; // bits of INT [3]
    writeFileSync(join(dir, 'bad.btf'), bytes);
    const r = tsbpf('btf', 'dump', join(dir, 'bad.btf'));
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /bad\.btf: \.BTF\/types\[3\] \(offset 68\): INT bits/);
    writeFileSync(join(dir, 'short.btf'), bytes.subarray(0, 2000));
    const s = tsbpf('btf', 'dump', join(dir, 'short.btf'), '--format', 'c');
    assert.equal(s.status, 1);
    assert.match(s.stderr, /\.BTF\/header \(offset 16\): string section/);
    assert.equal(tsbpf('btf', 'dump', join(dir, 'bad.btf'), '--format', 'x').status, 2);
  });
});

describe('readFileWhole / parseBtfFile', () => {
  it('reads regular files, empty files and files whose size stat does not know', () => {
    const dir = mkdtempSync(join(tmpdir(), 'btf-read-'));
    for (const name of ['kinds.bpfel.btf', 'kinds.bpfeb.o']) {
      const got = readFileWhole(join(DATA, name));
      assert.equal(got.byteOffset, 0);
      assert.ok(same(got, readFileSync(join(DATA, name))));
    }
    writeFileSync(join(dir, 'empty'), new Uint8Array(0));
    assert.equal(readFileWhole(join(dir, 'empty')).length, 0);
    // procfs reports size 0: read on until EOF, growing past the first 64 KiB chunk
    const maps = readFileWhole('/proc/self/maps');
    assert.ok(maps.length > 0);
    assert.match(new TextDecoder().decode(maps), /\[stack\]/);
    const big = new Uint8Array(200_000).map((_, i) => i * 7);
    writeFileSync(join(dir, 'big'), big);
    assert.ok(same(readFileWhole(join(dir, 'big')), big));
    assert.throws(() => readFileWhole(join(dir, 'missing')), /missing: no such file/);
  });
  it('parses raw BTF in place and names the file in errors', () => {
    const b = parseBtfFile(join(DATA, 'kinds.bpfel.btf'));
    assert.ok(same(b.serialize(), data('kinds.bpfel.btf')));
    const vm = vmlinux();
    if (vm) assert.equal(parseBtfFile('/sys/kernel/btf/vmlinux').typeCount, Btf.parse(vm).typeCount);
    const dir = mkdtempSync(join(tmpdir(), 'btf-read-'));
    writeFileSync(join(dir, 'short.btf'), data('kinds.bpfel.btf').subarray(0, 30));
    assert.throws(
      () => parseBtfFile(join(dir, 'short.btf')),
      (e: unknown) => e instanceof FormatError && /short\.btf: \.BTF\/header/.test(e.where),
    );
  });
});

describe('tsbpf btf dump --ext', () => {
  const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
  for (const t of ['bpfel', 'bpfeb']) {
    it(`lists func_info, line_info and CO-RE relocations of core.${t}.o; offsets match the instructions`, () => {
      const file = join(FIX, `core.${t}.o`);
      const r = tsbpf('btf', 'dump', file, '--ext');
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /^func_info section 'lsm\/bprm_check_security' \(1 records\):\n\tinsn 0: \[\d+\] FUNC 'check_exec'$/m,
      );
      assert.match(r.stdout, /^\tinsn \d+: \.\/core\.c:18:14\t__u32 pid = BPF_CORE_READ\(task, tgid\);$/m);
      assert.match(r.stdout, /^\tinsn \d+: FIELD_BYTE_OFFSET \[\d+\] struct task_struct\.tgid \(0:\d+\)$/m);
      assert.match(r.stdout, /^\tinsn \d+: TYPE_EXISTS \[\d+\] struct task_struct \(0\)$/m);
      const j = tsbpf('btf', 'dump', file, '--ext', '--json');
      assert.equal(j.status, 0, j.stderr);
      const v = JSON.parse(j.stdout) as {
        coreRelo: {
          section: string;
          records: { insn: number; kind: string; typeId: number; access: string }[];
        }[];
        lineInfo: { records: unknown[] }[];
      };
      const bytes = readFileSync(file);
      const btf = Btf.parse(elfSectionData(bytes, '.BTF')!);
      const ext = BtfExt.parse(elfSectionData(bytes, '.BTF.ext')!, { btf });
      assert.deepEqual(
        v.lineInfo.map((s) => s.records.length),
        ext.lineInfo.map((s) => s.records.length),
      );
      // every FIELD_BYTE_OFFSET record sits on an instruction whose immediate is the member's
      // offset in the local BTF: the section name, instruction index, type and access all decode
      let checked = 0;
      for (const sec of v.coreRelo) {
        const code = elfSectionData(bytes, sec.section)!;
        const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
        for (const rec of sec.records) {
          if (rec.kind !== 'FIELD_BYTE_OFFSET') continue;
          const idx = rec.access.split(':').map(Number);
          let type = rec.typeId;
          let bits = 0;
          for (const i of idx.slice(1)) {
            const m = btf.members(type)[i]!;
            bits += m.bitOffset;
            type = m.type;
          }
          // loads and stores (classes LD..STX: 0x01..0x03) carry it in `off`, the others in `imm`
          const cls = code[rec.insn * 8]! & 0x07;
          const got =
            cls >= 1 && cls <= 3
              ? dv.getInt16(rec.insn * 8 + 2, t === 'bpfel')
              : dv.getInt32(rec.insn * 8 + 4, t === 'bpfel');
          assert.equal(got, bits / 8, `${sec.section} insn ${rec.insn}`);
          checked++;
        }
      }
      assert.ok(checked >= 8);
    });
  }
  it('refuses raw BTF and C format (usage, exit 2)', () => {
    assert.equal(tsbpf('btf', 'dump', join(DATA, 'kinds.bpfel.btf'), '--ext').status, 2);
    assert.equal(tsbpf('btf', 'dump', join(DATA, 'kinds.bpfel.o'), '--ext', '--format', 'c').status, 2);
  });
  it('names the place for a malformed .BTF.ext (exit 1, one line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'btf-ext-'));
    const bytes = new Uint8Array(readFileSync(join(DATA, 'kinds.bpfel.o')));
    const ext = elfSectionData(bytes, '.BTF.ext')!;
    // the func_info record size field, right after the 32-byte header
    ext[32] = 3;
    writeFileSync(join(dir, 'bad.o'), bytes);
    const r = tsbpf('btf', 'dump', join(dir, 'bad.o'), '--ext');
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /bad\.o: \.BTF\.ext\/func_info/);
  });
});
