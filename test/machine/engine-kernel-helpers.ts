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

/**
 * Raw BTF for a program with a main function and one callback (`bpf_loop`), which the kernel
 * needs as func_info: types int, void *, main(void *ctx), cb(int idx, void *ctx).
 */
export function callbackBtf(): Uint8Array {
  const strs = '\0int\0ctx\0main\0idx\0cb\0';
  const off = (n: string) => strs.indexOf(`\0${n}\0`) + 1;
  const words: number[] = [
    // 1: int
    off('int'),
    (1 << 24) | 0,
    4,
    (1 << 24) | 32,
    // 2: void *
    0,
    2 << 24,
    0,
    // 3: int (void *ctx)
    0,
    (13 << 24) | 1,
    1,
    off('ctx'),
    2,
    // 4: main
    off('main'),
    12 << 24,
    3,
    // 5: int (int idx, void *ctx)
    0,
    (13 << 24) | 2,
    1,
    off('idx'),
    1,
    off('ctx'),
    2,
    // 6: cb
    off('cb'),
    12 << 24,
    5,
  ];
  const typeLen = words.length * 4;
  const str = new TextEncoder().encode(strs);
  const out = new Uint8Array(24 + typeLen + str.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, str.length, true);
  for (let i = 0; i < words.length; i++) dv.setUint32(24 + i * 4, words[i]! >>> 0, true);
  out.set(str, 24 + typeLen);
  return out;
}

/** func_info records (insn_off in slots, type id) for main at 0 and cb at `cbSlot`. */
export function callbackFuncInfo(cbSlot: number): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0, true);
  dv.setUint32(4, 4, true);
  dv.setUint32(8, cbSlot, true);
  dv.setUint32(12, 6, true);
  return out;
}

/**
 * bpf_snprintf(out = r10-64 (32 bytes), 32, fmt = the map value at `fmtFd`, data = two u64
 * [a, b] at r10-16): `part` -1 returns the helper's result, 0..7 the `part`-th 32-bit word of the
 * output buffer.
 */
export function snprintfProgram(fmtFd: number, a: number, b: number, part: number): Insn[] {
  return assembleConformance(`lddw %r3, map_value[fd:${fmtFd}]+0
stdw [%r10-16], ${a}
stdw [%r10-8], ${b}
stdw [%r10-64], 0
stdw [%r10-56], 0
stdw [%r10-48], 0
stdw [%r10-40], 0
mov %r1, %r10
add %r1, -64
mov %r2, 32
mov %r4, %r10
add %r4, -16
mov %r5, 16
call 165
${part >= 0 ? `ldxw %r0, [%r10-${64 - 4 * part}]` : ''}
exit`);
}
