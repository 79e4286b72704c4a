/**
 * The BPF conformance suite (../shared/conformance) on the machine's interpreter and, where the
 * kernel's verifier accepts a test, on the kernel with the same r0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runConformanceDir } from '../../src/cli/commands/conformance.js';
import { parseConformanceData } from '../../src/isa/conformance-data.js';
import { runConformanceTest } from '../../src/machine/engine/conformance.js';
import { skip } from '../kernel/kernel.js';

const SUITE = join(import.meta.dirname, '../../../shared/conformance');
const TESTS = join(SUITE, 'tests');
const NEGATIVE = join(SUITE, 'negative');

function load(dir: string, name: string) {
  return parseConformanceData(readFileSync(join(dir, name), 'utf8'), name);
}

describe('conformance suite on the machine', () => {
  it('all 313 tests pass', () => {
    const recs = runConformanceDir(TESTS, 'machine');
    assert.equal(recs.length, 313);
    const failed = recs.filter((r) => r.status !== 'pass');
    assert.deepEqual(failed, []);
  });

  it('tsbpf conformance prints failures, one JSON record per test with --json, and the summary line', () => {
    const cli = (...args: string[]) => {
      try {
        return {
          out: execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
            encoding: 'utf8',
          }),
          code: 0,
        };
      } catch (e) {
        const err = e as { stdout: string; status: number };
        return { out: err.stdout, code: err.status };
      }
    };
    const ok = cli('conformance', TESTS, '--json');
    const lines = ok.out.trim().split('\n');
    assert.equal(lines.at(-1), '313 passed, 0 failed');
    assert.equal(ok.code, 0);
    const first = JSON.parse(lines[0]!);
    assert.deepEqual(first, { name: 'add.data', status: 'pass', expected: '0x3', actual: '0x3' });
    const neg = cli('conformance', NEGATIVE);
    assert.equal(neg.code, 1);
    assert.match(neg.out, /FAIL incorrect_return_value_high_bits\.data: r0 differs from -- result/);
    assert.match(neg.out.trim().split('\n').at(-1)!, /^\d+ passed, \d+ failed$/);
  });

  it('error.data (or %r0, %r10 reads an uninitialized r0) is rejected at load', () => {
    const o = runConformanceTest(load(NEGATIVE, 'error.data'));
    assert.equal(o.status, 'pass'); // the test expects an error, and gets one
    assert.equal(o.actual, undefined);
    assert.match(o.error ?? '', /r0 is read before it is written/);
  });

  it('incorrect_return_value_high_bits.data is reported as a result mismatch', () => {
    const o = runConformanceTest(load(NEGATIVE, 'incorrect_return_value_high_bits.data'));
    assert.equal(o.status, 'fail');
    assert.equal(o.expected, 0x8977665544332211n);
    assert.equal(o.actual, 0x8877665544332211n);
  });

  it('every negative test is either rejected (as its -- error expects) or fails', () => {
    const recs = runConformanceDir(NEGATIVE, 'machine');
    assert.equal(recs.length, readdirSync(NEGATIVE).filter((n) => n.endsWith('.data')).length);
    for (const r of recs) {
      // No negative test may run to a matching result: a 'pass' is always an expected rejection.
      if (r.status === 'pass') assert.equal(r.actual, undefined, `${r.name} ran`);
      else assert.ok(r.error, `${r.name}: no reason given`);
    }
  });
});

describe('conformance suite on the kernel (XDP test_run)', { skip }, () => {
  it('every test the kernel accepts returns the same r0 (low 32 bits) as on the machine', () => {
    const kernel = runConformanceDir(TESTS, 'kernel');
    const machine = new Map(runConformanceDir(TESTS, 'machine').map((r) => [r.name, r]));
    const accepted = kernel.filter((r) => r.status !== 'rejected');
    assert.ok(accepted.length >= 300, `only ${accepted.length} tests accepted by the kernel`);
    for (const r of accepted) {
      assert.equal(r.status, 'pass', `${r.name}: ${r.error}`);
      const m = machine.get(r.name)!;
      assert.equal(BigInt(r.actual!), BigInt(m.actual!) & 0xffffffffn, r.name);
    }
    // What the kernel refuses: out-of-range shift immediates and callx.
    for (const r of kernel.filter((x) => x.status === 'rejected')) {
      assert.match(r.error ?? '', /<<=|>>=|s>>=|unknown opcode 8d/, r.name);
    }
  });
});
