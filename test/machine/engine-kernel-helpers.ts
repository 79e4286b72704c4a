/**
 * Programs that exercise helpers the same way on the machine and on the kernel (XDP test_run),
 * for the helper differential tests.
 */
import { assembleConformance } from '../../src/isa/asm/conformance.js';
import type { Insn } from '../../src/isa/insn.js';

/**
 * strtol/strtoul over `text` (stored on the stack, not NUL-terminated unless it contains one):
 * `part` 'ret' returns the helper's return value, 'res' the 32-bit fold of the result slot
 * (initialized to 0x1111 so an untouched slot is visible).
 */
export function strtoProgram(text: Uint8Array, flags: number, signed: boolean, part: 'ret' | 'res'): Insn[] {
  if (text.length > 32) throw new RangeError('at most 32 bytes');
  const lines: string[] = [];
  for (let i = 0; i < 32; i++) lines.push(`stb [%r10-${64 - i}], ${i < text.length ? text[i] : 0}`);
  lines.push(
    'stdw [%r10-8], 0x1111',
    'mov %r1, %r10',
    'add %r1, -64',
    `mov %r2, ${text.length}`,
    `mov %r3, ${flags}`,
    'mov %r4, %r10',
    'add %r4, -8',
    `call ${signed ? 105 : 106}`,
  );
  if (part === 'res') lines.push('ldxdw %r0, [%r10-8]', 'mov %r1, %r0', 'rsh %r1, 32', 'xor %r0, %r1');
  lines.push('mov32 %r0, %r0', 'exit');
  return assembleConformance(lines.join('\n'));
}
