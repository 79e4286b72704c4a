import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { progHash } from '../../src/hash/index.js';
import { assembleConformance, assembleLlvm, decode, encode } from '../../src/isa/index.js';
import { toHex } from '../../src/util/hex.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tsbpf-asm-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tsbpf(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SRC = 'mov %r0, 1\njeq %r1, 0, out\nlddw %r1, 0x1122334455667788\nout:\nexit\n';

describe('tsbpf asm / disasm', () => {
  it('asm -o writes raw bytes; disasm prints both syntaxes that read back to the same bytes', () => {
    const s = join(dir, 'p.s');
    const bin = join(dir, 'p.bin');
    writeFileSync(s, SRC);
    const a = tsbpf(['asm', s, '-o', bin]);
    assert.equal(a.code, 0, a.err);
    const bytes = readFileSync(bin);
    assert.equal(bytes.length, 40);
    const llvm = tsbpf(['disasm', bin]);
    assert.equal(llvm.code, 0, llvm.err);
    assert.equal(llvm.out, 'r0 = 1\nif r1 == 0 goto +2\nr1 = 0x1122334455667788 ll\nexit\n');
    const back = tsbpf(['asm', '-', '--syntax', 'llvm', '-o', join(dir, 'q.bin')], llvm.out);
    assert.equal(back.code, 0, back.err);
    assert.deepEqual(readFileSync(join(dir, 'q.bin')), bytes);
    const conf = tsbpf(['disasm', bin, '--syntax', 'conformance', '--labels', '--annotate']);
    assert.equal(conf.code, 0, conf.err);
    assert.match(conf.out, /^jeq %r1, 0, L4 +# 1: 15 01 02 00 00 00 00 00$/m);
    assert.match(conf.out, /^L4:$/m);
    const back2 = tsbpf(['asm', '-'], conf.out); // syntax detected
    assert.equal(back2.code, 0, back2.err);
    assert.equal(back2.out.replaceAll('\n', ''), bytes.toString('hex'));
  });

  it('big endian output and input', () => {
    const s = join(dir, 'be.s');
    writeFileSync(s, 'r1 = *(u32 *)(r2 - 4)\nexit\n');
    const a = tsbpf(['asm', s, '--endian', 'big', '--json']);
    assert.equal(a.code, 0, a.err);
    const j = JSON.parse(a.out);
    assert.equal(j.syntax, 'llvm');
    assert.equal(j.hex, '6112fffc000000009500000000000000');
    writeFileSync(join(dir, 'be.bin'), Buffer.from(j.hex, 'hex'));
    const d = tsbpf(['disasm', join(dir, 'be.bin'), '--endian', 'big', '--json']);
    assert.equal(d.code, 0, d.err);
    const insns = JSON.parse(d.out);
    assert.equal(insns[0].text, 'r1 = *(u32 *)(r2 - 4)');
    assert.equal(insns[0].bytes, '6112fffc00000000');
  });

  it('assembles the -- asm section of a conformance .data file', () => {
    const a = tsbpf(['asm', '../shared/conformance/tests/lddw.data']);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, '1800000088776655\n0000000044332211\n9500000000000000\n');
  });

  it('errors: file:line:col on stderr and exit 1; bad usage exits 2; invalid encodings name the slot', () => {
    const e = tsbpf(['asm', '../shared/conformance/negative/invalid_register.data']);
    assert.equal(e.code, 1);
    assert.equal(
      e.err,
      "tsbpf: ../shared/conformance/negative/invalid_register.data:4:9: expected a register, found '%r50'\n",
    );
    assert.equal(tsbpf(['asm', 'x.s', '--syntax', 'intel']).code, 2);
    assert.equal(tsbpf(['disasm']).code, 2);
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, Buffer.from('b7000000010000000700010001000000', 'hex'));
    const d = tsbpf(['disasm', bad]);
    assert.equal(d.code, 1);
    assert.match(d.err, /^tsbpf: slot 1 \(offset 8\): ALU uses reserved field off\n$/);
    const raw = tsbpf(['disasm', bad, '--no-validate']);
    assert.equal(raw.code, 0, raw.err);
    assert.equal(raw.out, 'r0 = 1\n.insn 0x07, 0, 0, 1, 1\n');
    assert.equal(tsbpf(['asm', join(dir, 'missing.s')]).code, 1);
  });

  it('demo prints both syntaxes and the program hash', () => {
    const r = tsbpf(['demo', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    const bytes = new Uint8Array(Buffer.from(j.bytes, 'hex'));
    assert.equal(j.progHash, toHex(progHash(bytes)));
    assert.deepEqual(encode(assembleLlvm(j.llvm)), bytes);
    assert.deepEqual(encode(assembleConformance(j.conformance)), bytes);
    assert.ok(decode(bytes).some((i) => i.code === 0x18));
    const text = tsbpf(['demo']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, new RegExp(j.progHash));
    assert.match(text.out, /lddw %r1, 0x1122334455667789/);
  });

  it('--help everywhere exits 0', () => {
    for (const c of [
      ['asm', '--help'],
      ['disasm', '--help'],
    ]) {
      const r = tsbpf(c);
      assert.equal(r.code, 0);
      assert.match(r.out, /Usage: tsbpf/);
    }
  });
});
