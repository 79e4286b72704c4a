/**
 * Helpers against the kernel: the same programs run on the machine and through
 * BPF_PROG_TEST_RUN (XDP), and must return the same value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { prepareProgram, Vm, xdpContext } from '../../src/machine/engine/index.js';
import { kernelHelpers } from '../../src/machine/helpers/index.js';
import { ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from '../kernel/kernel.js';
import { strtoProgram } from './engine-kernel-helpers.js';

const STRINGS = [
  '0',
  '12',
  '-12',
  '  42',
  '0x1f',
  '0X1F',
  '077',
  '08',
  '-0x10',
  'abc',
  '+5',
  '12abc',
  ' \t\n7',
  '0x',
  '0xg',
  '-',
  '00',
  '-0',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  '18446744073709551616',
  '7\u00008',
  'ffff',
  '-ffff',
  '   ',
];
const FLAGS = [0, 8, 10, 16, 7, 0x20 | 10];

function onMachine(insns: Insn[]): number {
  const vm = new Vm({}, { helpers: kernelHelpers() });
  return Number(vm.run(prepareProgram(insns), xdpContext(vm, new Uint8Array(64)).args).r0 & 0xffffffffn);
}

describe('helpers vs kernel', { skip }, () => {
  it('strtol and strtoul: return values and results', () => {
    const k = kernel();
    const diffs: string[] = [];
    for (const s of STRINGS) {
      const text = new TextEncoder().encode(s);
      for (const flags of FLAGS) {
        for (const signed of [true, false]) {
          for (const part of ['ret', 'res'] as const) {
            const insns = strtoProgram(text, flags, signed, part);
            const fd = k.progLoad({ progType: ProgType.XDP, insns: encode(insns), license: 'GPL' });
            let want: number;
            try {
              want = k.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64) }).retval >>> 0;
            } finally {
              fd.close();
            }
            const got = onMachine(insns);
            if (got !== want)
              diffs.push(
                `${signed ? 'strtol' : 'strtoul'}(${JSON.stringify(s)}, ${flags}) ${part}: kernel ${want | 0}, machine ${got | 0}`,
              );
          }
        }
      }
    }
    assert.deepEqual(diffs, []);
  });
});
