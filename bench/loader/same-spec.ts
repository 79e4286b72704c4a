/**
 * Checks that the ELF/BTF open path gives exactly the same results as another copy of the source
 * (e.g. `git archive HEAD src | tar -x -C /tmp/old`): every fixture object, and many mutants of
 * each (random bytes flipped), parse to deep-equal specs or fail with the same error message.
 * Used to keep speed work on src/elf behaviour-identical.
 *
 *   node --import tsx bench/loader/same-spec.ts /tmp/old/src [mutants-per-object]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseObject } from '../../src/elf/index.js';

const oldSrc = process.argv[2];
if (oldSrc === undefined) throw new Error('usage: same-spec.ts OLD_SRC_DIR [mutants]');
const M = Number(process.argv[3] ?? 200);
const old = (await import(join(oldSrc, 'elf', 'index.ts'))) as typeof import('../../src/elf/index.js');

const dirs = ['test/fixtures', 'test/loader/fixtures'];
let seed = 12345;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

/** A canonical text of a value: classes from the two copies compare by their data. */
function canon(v: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (ArrayBuffer.isView(x)) return Array.from(x as Uint8Array);
    if (x instanceof Map) return { map: [...x.entries()] };
    if (x instanceof Set) return { set: [...x] };
    if (typeof x === 'function') return undefined;
    if (x !== null && typeof x === 'object') {
      if (seen.has(x)) return '[seen]';
      seen.add(x);
    }
    return x;
  });
}

function run(f: typeof parseObject, b: Uint8Array): string {
  try {
    const spec = f(b);
    // The BTF by its serialized bytes (its lazily built indexes are not part of the result).
    return canon({ ok: { ...spec, btf: spec.btf && { ...spec.btf, btf: spec.btf.btf.serialize() } } });
  } catch (e) {
    return canon({ err: `${(e as Error).name}: ${(e as Error).message}` });
  }
}

let cases = 0;
let diffs = 0;
for (const d of dirs) {
  for (const name of readdirSync(d).filter((x) => x.endsWith('.o'))) {
    const bytes = new Uint8Array(readFileSync(join(d, name)));
    const inputs = [bytes];
    for (let i = 0; i < M; i++) {
      const m = bytes.slice();
      const k = 1 + rnd(4);
      for (let j = 0; j < k; j++) m[rnd(m.length)] = rnd(256);
      inputs.push(m);
    }
    for (const b of inputs) {
      cases++;
      const a = run(old.parseObject, b);
      const c = run(parseObject, b);
      if (a !== c) {
        diffs++;
        if (diffs < 5) {
          let i = 0;
          while (a[i] === c[i]) i++;
          console.log(`DIFF ${name} at ${i}:\n  ${a.slice(i - 80, i + 200)}\n  ${c.slice(i - 80, i + 200)}`);
        }
      }
    }
  }
}
console.log(`${cases} inputs, ${diffs} differences`);
if (diffs > 0) process.exit(1);
