// The verifier corpus on the kernel and on the machine's verifier (test/verifier/corpus.ts).
//
// - verdicts: the machine never accepts what the kernel rejects; where it rejects what the kernel
//   accepts, the program is listed in known-differences.json with the reason;
// - error lines: the machine's error line equals the kernel's for at least 90% of the programs
//   both reject;
// - the comparison runs against the recording (kernel-verdicts.json) everywhere, and re-checks
//   the recording against the live kernel when bpf(2) is usable.
//
// `UPDATE_VERIFIER_CORPUS=1` rewrites the recording from the running kernel.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { kernel, skip } from '../kernel/kernel.js';
import { corpus } from './corpus.js';
import { type Answer, kernelAnswer, machineAnswer, readRecord, writeRecord } from './harness.js';

const KNOWN = JSON.parse(readFileSync(new URL('./known-differences.json', import.meta.url), 'utf8')) as {
  differences: Record<string, string>;
};

if (process.env.UPDATE_VERIFIER_CORPUS === '1') {
  const k = kernel();
  const rec: Record<string, Answer> = {};
  for (const p of corpus()) rec[p.name] = kernelAnswer(k, p);
  writeRecord(rec);
}

const record = readRecord();

describe('verifier corpus', () => {
  const programs = corpus();

  test('the corpus has at least 400 programs, every one recorded', () => {
    assert.ok(programs.length >= 400, `${programs.length} programs`);
    const missing = programs.filter((p) => record[p.name] === undefined).map((p) => p.name);
    assert.deepEqual(missing, [], 'run with UPDATE_VERIFIER_CORPUS=1 to record the kernel');
  });

  test('verdicts equal the kernel recording; error lines match for >= 90% of rejections', () => {
    const unsound: string[] = [];
    const unlisted: string[] = [];
    const listedButEqual: string[] = [];
    let both = 0;
    let sameLine = 0;
    const lineDiffs: string[] = [];
    for (const p of programs) {
      const k = record[p.name];
      if (k === undefined) continue;
      // Programs that make the kernel walk its whole 1M-instruction budget take seconds here too:
      // bench/verifier runs them (VERIFIER_SLOW=1 runs them here).
      if (k.line?.startsWith('BPF program is too large') && process.env.VERIFIER_SLOW !== '1') continue;
      const m = machineAnswer(p);
      if (k.verdict === 'rejected' && m.verdict === 'accepted')
        unsound.push(`${p.name}: kernel says ${k.line}`);
      if (k.verdict === 'accepted' && m.verdict === 'rejected' && KNOWN.differences[p.name] === undefined)
        unlisted.push(`${p.name}: ${m.line}`);
      if (k.verdict === m.verdict && KNOWN.differences[p.name] !== undefined) listedButEqual.push(p.name);
      if (k.verdict === 'rejected' && m.verdict === 'rejected') {
        both++;
        if (k.line === m.line) sameLine++;
        else lineDiffs.push(`${p.name}: kernel '${k.line}' machine '${m.line}'`);
      }
    }
    assert.deepEqual(unsound, [], 'the machine accepted programs the kernel rejects');
    assert.deepEqual(unlisted, [], 'rejections the kernel accepts must be listed in known-differences.json');
    assert.deepEqual(listedButEqual, [], 'known-differences.json lists programs that no longer differ');
    assert.ok(both > 0);
    const rate = sameLine / both;
    assert.ok(rate >= 0.9, `error lines match for ${sameLine}/${both}:\n${lineDiffs.join('\n')}`);
  });

  test('the recording is what the running kernel says', { skip }, () => {
    const k = kernel();
    const stale: string[] = [];
    for (const p of programs) {
      const live = kernelAnswer(k, p);
      const rec = record[p.name];
      if (
        rec === undefined ||
        rec.verdict !== live.verdict ||
        rec.line !== live.line ||
        rec.errno !== live.errno
      )
        stale.push(`${p.name}: recorded ${JSON.stringify(rec)} live ${JSON.stringify(live)}`);
    }
    assert.deepEqual(stale, []);
  });
});
