import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Field,
  fixture,
  fixtureNames,
  mutate,
  mutationArb,
  parseOutcome,
  structuralFields,
} from './fixtures.js';

const names = fixtureNames();
const inputs: { name: string; bytes: Uint8Array; fields: Field[]; le: boolean }[] = [];
for (const name of names) {
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

test('fuzz: mutated fixtures give an ObjectSpec or a FormatError, nothing else', () => {
  let formatErrors = 0;
  let specs = 0;
  fc.assert(
    fc.property(
      fc.nat(inputs.length - 1),
      fc.array(mutationArb(), { minLength: 1, maxLength: 3 }),
      (i, muts) => {
        const input = inputs[i]!;
        const out = parseOutcome(mutate(input.bytes, input.fields, muts, input.le));
        if (out.ok) specs++;
        else formatErrors++;
      },
    ),
    { numRuns: 3000, seed: 0x5eed },
  );
  // Both outcomes must occur, or the mutator is not reaching the parser.
  assert.ok(formatErrors > 0 && specs > 0, `specs ${specs}, format errors ${formatErrors}`);
});

test('fuzz: every truncation of one fixture is a FormatError', () => {
  const input = inputs.find((x) => x.name === 'subprogs.bpfel')!;
  const step = Math.max(1, Math.floor(input.bytes.length / 400));
  for (let n = 0; n < input.bytes.length; n += step) {
    const out = parseOutcome(input.bytes.subarray(0, n));
    assert.equal(out.ok, false, `truncated to ${n} bytes parsed`);
  }
});
