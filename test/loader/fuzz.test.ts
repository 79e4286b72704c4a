/**
 * Robustness: mutated fixtures (the ELF tests' structured mutator) go through open, BTF fix-up
 * and relocation (no backend) and end in a result, a FormatError or a LoaderError, nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BpfObject, LoaderError } from '../../src/loader/index.js';
import { FormatError } from '../../src/util/errors.js';
import { type Field, fixture, fixtureNames, mutate, mutationArb, structuralFields } from '../elf/fixtures.js';
import { hostOptions } from './helpers.js';

test('fuzz: mutated objects relocate or fail with FormatError/LoaderError only', () => {
  const opts = hostOptions(2);
  const inputs: { bytes: Uint8Array; fields: Field[] }[] = fixtureNames().map((n) => {
    const bytes = fixture(n, 'bpfel');
    return { bytes, fields: structuralFields(bytes) };
  });
  const seen = { ok: 0, format: 0, loader: 0 };
  fc.assert(
    fc.property(
      fc.nat(inputs.length - 1),
      fc.array(mutationArb(), { minLength: 1, maxLength: 3 }),
      (i, muts) => {
        const input = inputs[i]!;
        const bytes = mutate(input.bytes, input.fields, muts, true);
        try {
          const obj = BpfObject.open(bytes, opts);
          const unknown = obj.programs.get('unknown');
          if (unknown) unknown.autoload = false;
          obj.loadableBtf();
          obj.relocate();
          seen.ok++;
        } catch (e) {
          if (e instanceof FormatError) seen.format++;
          else if (e instanceof LoaderError) seen.loader++;
          else throw e;
        }
      },
    ),
    {
      numRuns: Number(process.env.TSBPF_FUZZ_RUNS ?? 600),
      seed: Number(process.env.TSBPF_FUZZ_SEED ?? 0x10ad),
    },
  );
  assert.ok(seen.ok > 0 && seen.format > 0, JSON.stringify(seen));
});
