import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  assembleConformance,
  assembleLlvm,
  type ConformanceTest,
  decode,
  disassembleConformance,
  disassembleLlvm,
  encode,
  encodingError,
  type Insn,
  parseConformanceData,
} from '../../src/isa/index.js';
import { FormatError } from '../../src/util/errors.js';
import { ENGINE_NEGATIVES } from './conformance-corpus.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance');
const TESTS = join(ROOT, 'tests');
const NEGATIVE = join(ROOT, 'negative');

function load(dir: string, name: string): ConformanceTest {
  return parseConformanceData(readFileSync(join(dir, name), 'utf8'), name);
}

function program(t: ConformanceTest): Insn[] {
  return assembleConformance(t.asm!, { file: t.file, lineBase: t.asmLine });
}

const files = readdirSync(TESTS)
  .filter((f) => f.endsWith('.data'))
  .sort();
const negatives = readdirSync(NEGATIVE)
  .filter((f) => f.endsWith('.data'))
  .sort();

describe('conformance corpus (../shared/conformance/tests)', () => {
  it('has the 313 tests', () => assert.equal(files.length, 313));

  it('every test parses and assembles; every program decodes (validated)', () => {
    for (const f of files) {
      const t = load(TESTS, f);
      assert.ok(t.asm !== undefined, f);
      assert.ok(t.result !== undefined || t.error !== undefined, `${f}: no result`);
      const bytes = encode(program(t));
      decode(bytes);
    }
  });

  it('conformance text round trip: asm -> bytes -> conformance text -> bytes (offsets and labels)', () => {
    for (const f of files) {
      const t = load(TESTS, f);
      const bytes = encode(program(t));
      const insns = decode(bytes, { validate: false });
      for (const labels of [false, true]) {
        const text = disassembleConformance(insns, { labels });
        assert.deepEqual(encode(assembleConformance(text)), bytes, `${f} (labels ${labels})\n${text}`);
      }
    }
  });

  it('LLVM syntax round trip: conformance asm -> bytes -> LLVM text -> bytes, LE and BE', () => {
    for (const f of files) {
      const t = load(TESTS, f);
      const insns = program(t);
      for (const endian of ['little', 'big'] as const) {
        const bytes = encode(insns, { endian });
        const text = disassembleLlvm(decode(bytes, { endian, validate: false }), { annotate: true, endian });
        assert.deepEqual(encode(assembleLlvm(text), { endian }), bytes, `${f} ${endian}\n${text}`);
      }
    }
  });

  it('-- raw sections decode to the same program as -- asm', () => {
    let n = 0;
    for (const f of files) {
      const t = load(TESTS, f);
      if (t.raw === undefined) continue;
      n++;
      assert.deepEqual(decode(t.raw), program(t), f);
    }
    assert.ok(n >= 1);
  });

  it('reads -- mem, -- result, -- c and -- no register offset', () => {
    const mem = load(TESTS, 'ldxh.data');
    assert.ok(mem.mem !== undefined && mem.mem.length > 0);
    const prime = load(TESTS, 'prime.data');
    assert.match(prime.c ?? '', /uint64_t entry/);
    assert.equal(prime.result, 1n);
    assert.equal(load(TESTS, 'callx.data').noRegisterOffset, 'call instruction');
    assert.equal(load(TESTS, 'lddw.data').result, 0x1122334455667788n);
  });

  it('the implicit exit label of the suite (prime.data: `ja exit`)', () => {
    const p = program(load(TESTS, 'prime.data'));
    const k = p.findIndex((i) => i.code === 0x05);
    assert.equal(p[k + 1 + p[k]!.off]!.code, 0x95);
  });
});

describe('conformance negatives (../shared/conformance/negative)', () => {
  it('has the 60 negative tests', () => assert.equal(negatives.length, 60));

  for (const f of negatives) {
    const engine = ENGINE_NEGATIVES.get(f);
    it(`${f}: ${engine === undefined ? 'rejected with a FormatError' : 'engine-dependent, assembles'}`, () => {
      const text = readFileSync(join(NEGATIVE, f), 'utf8');
      const attempt = () => {
        const t = parseConformanceData(text, f);
        if (t.asm !== undefined) decode(encode(program(t)));
        if (t.raw !== undefined) decode(t.raw);
        return t;
      };
      if (engine !== undefined) {
        const t = attempt();
        assert.ok(t.error !== undefined || t.result !== undefined);
        if (t.raw !== undefined) {
          const i = decode(t.raw)[0]!;
          assert.equal(encodingError(i), undefined);
        }
        return;
      }
      assert.throws(attempt, (e: unknown) => {
        assert.ok(e instanceof FormatError, `${f}: ${String(e)}`);
        assert.match(e.where, new RegExp(`^(${f.replace('.', '\\.')}:\\d+:\\d+|slot \\d+)$`));
        return true;
      });
    });
  }
});
