/**
 * Robustness of the interpreter on arbitrary valid encodings (fast-check): with the
 * uninitialized-register check off, every program either returns or stops with an EngineFault;
 * nothing else escapes, nothing hangs (small budget), and memory outside the program's regions
 * is never written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Insn } from '../../src/isa/insn.js';
import { EngineFault, memContext, Perm, prepareProgram, Vm } from '../../src/machine/engine/index.js';
import { kernelHelpers } from '../../src/machine/helpers/index.js';
import { FormatError } from '../../src/util/errors.js';
import { arbInsn } from '../isa/arbitraries.js';

const EXIT: Insn = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

describe('engine: arbitrary programs', () => {
  it('return or fault with an EngineFault; a bystander region is never written', () => {
    const vm = new Vm({}, { helpers: kernelHelpers(), budget: 5000 });
    let ran = 0;
    let faulted = 0;
    fc.assert(
      fc.property(
        fc.array(arbInsn, { minLength: 1, maxLength: 40 }),
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        (body, mem) => {
          let image: ReturnType<typeof prepareProgram>;
          try {
            image = prepareProgram([...body, EXIT], { checkUninit: false, entryArgs: 2 });
          } catch (e) {
            assert.ok(e instanceof FormatError, String(e));
            return;
          }
          vm.reset();
          const bystander = new Uint8Array(32).fill(0x5a);
          vm.memory.addRegion('rodata', bystander, Perm.R);
          const ctx = memContext(vm, mem.slice());
          try {
            vm.run(image, ctx.args);
            ran++;
          } catch (e) {
            assert.ok(e instanceof EngineFault, `not an EngineFault: ${(e as Error)?.stack ?? e}`);
            assert.ok(e.pc >= 0 && e.pc < image.length, `fault without an instruction: ${e.message}`);
            faulted++;
          }
          assert.ok(bystander.every((b) => b === 0x5a));
        },
      ),
      { numRuns: 3000, seed: 0x5eed },
    );
    assert.ok(ran > 100 && faulted > 100, `ran ${ran}, faulted ${faulted}`);
  });
});
