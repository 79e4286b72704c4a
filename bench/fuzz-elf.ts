/**
 * Fuzzes the ELF object parser: mutates the committed fixtures (bit flips, byte edits,
 * truncations, edits of count/offset/index fields of the ELF header, section headers, symbols and
 * relocations) and checks that every input gives an ObjectSpec or a FormatError, nothing else.
 *
 * Usage: node --import tsx bench/fuzz-elf.ts [cases=100000] [seed=1]
 * Exit status 1 when any input threw something else (each distinct failure is printed once with a
 * replayable mutation list).
 */
import fc from 'fast-check';
import {
  type Field,
  fixture,
  fixtureNames,
  type Mutation,
  mutate,
  mutationArb,
  parseOutcome,
  structuralFields,
} from '../test/elf/fixtures.js';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const inputs: { name: string; bytes: Uint8Array; fields: Field[]; le: boolean }[] = [];
for (const name of fixtureNames()) {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    const bytes = fixture(name, target);
    inputs.push({
      name: `${name}.${target}`,
      bytes,
      fields: structuralFields(bytes),
      le: target === 'bpfel',
    });
  }
}
const show = (m: readonly Mutation[]): string =>
  JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

let specs = 0;
let formatErrors = 0;
let failures = 0;
let slowest = 0;
let slowestCase = '';
const distinct = new Map<string, string>();
const reasons = new Map<string, number>();
const t0 = performance.now();
fc.assert(
  fc.property(
    fc.nat(inputs.length - 1),
    fc.array(mutationArb(), { minLength: 1, maxLength: 3 }),
    (i, muts) => {
      const input = inputs[i]!;
      const bytes = mutate(input.bytes, input.fields, muts, input.le);
      const s = performance.now();
      try {
        const out = parseOutcome(bytes);
        if (out.ok) specs++;
        else {
          formatErrors++;
          const key = out.error.where.replace(/\d+/g, 'N').split('/')[0]!;
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
      } catch (e) {
        failures++;
        const err = e as Error;
        const key = `${err.name}: ${err.message?.split('\n')[0]} @ ${err.stack?.split('\n')[1]?.trim()}`;
        if (!distinct.has(key)) distinct.set(key, `${input.name} ${show(muts)}\n${err.stack}`);
      }
      const dt = performance.now() - s;
      if (dt > slowest) {
        slowest = dt;
        slowestCase = `${input.name} ${show(muts)}`;
      }
    },
  ),
  { numRuns: cases, seed },
);
const ms = performance.now() - t0;
console.log(
  `fuzz-elf: ${cases} cases over ${inputs.length} fixture objects, seed ${seed}, ${(ms / 1000).toFixed(1)} s`,
);
console.log(`  ObjectSpec: ${specs}  FormatError: ${formatErrors}  other exceptions: ${failures}`);
console.log(`  slowest single parse: ${slowest.toFixed(1)} ms (${slowestCase})`);
const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
console.log(`  most frequent error places: ${top.map(([k, n]) => `${k} ${n}`).join(', ')}`);
for (const [k, v] of distinct) console.log(`\nFAIL ${k}\n${v}`);
process.exitCode = failures === 0 ? 0 : 1;
