// Compile-time rules of the builder. Each `// @ts-expect-error` line must NOT type-check: if a
// rule goes away, the directive is unused and `tsc --noEmit` fails. At run time the same calls
// must throw, so the JavaScript-level guards are checked too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  add64Reg,
  addrSpaceCast,
  bswap64,
  call,
  type DstReg,
  FP,
  type Insn,
  jeqImm,
  ldImm64,
  ldxW,
  loadAcquireW,
  mov64Imm,
  mov64Reg,
  movsx32,
  movsx64,
  neg64,
  program,
  R0,
  R1,
  R10,
  type Reg,
  stxDW,
} from '../../src/isa/index.js';

describe('isa builder: compile-time operand kinds', () => {
  it('an immediate operand does not take a register', () => {
    // @ts-expect-error R1 is a register, not an immediate
    assert.throws(() => mov64Imm(R0, R1), TypeError);
  });
  it('a register operand does not take a number', () => {
    // @ts-expect-error 5 is not a register
    assert.throws(() => mov64Reg(R0, 5), TypeError);
    // @ts-expect-error a register number is not a register
    assert.throws(() => ldxW(0, R1, 0), TypeError);
  });
  it('operands in the wrong order do not compile', () => {
    // @ts-expect-error ldxW is (dst, base, off), not (dst, off, base)
    assert.throws(() => ldxW(R0, 4, R1), TypeError);
    // @ts-expect-error stxDW is (base, off, src)
    assert.throws(() => stxDW(R10, R1, -8), TypeError);
  });
  it('the frame pointer R10 is not a destination', () => {
    // @ts-expect-error R10 is read-only
    assert.throws(() => mov64Imm(R10, 1), TypeError);
    // @ts-expect-error R10 is read-only
    assert.throws(() => add64Reg(FP, R1), TypeError);
    // @ts-expect-error R10 is read-only
    assert.throws(() => neg64(R10), TypeError);
    // @ts-expect-error R10 is read-only
    assert.throws(() => bswap64(R10), TypeError);
    // @ts-expect-error loads write their destination
    assert.throws(() => ldxW(R10, R1, 0), TypeError);
    // @ts-expect-error load-acquire writes its destination
    assert.throws(() => loadAcquireW(R10, R1, 0), TypeError);
    // @ts-expect-error ld_imm64 writes its destination
    assert.throws(() => ldImm64(R10, 1n), TypeError);
    // @ts-expect-error R10 is not a DstReg
    const d: DstReg = R10;
    assert.equal(d, R10);
  });
  it('R10 is fine where a register is only read', () => {
    assert.equal(stxDW(R10, -8, R1).dst, 10);
    assert.equal(mov64Reg(R0, R10).src, 10);
    assert.equal(ldxW(R0, FP, -4).src, 10);
    assert.equal((jeqImm(R10, 0, 1) as Insn).dst, 10);
  });
  it('registers cannot be forged from plain objects', () => {
    // @ts-expect-error a plain object lacks the register brand
    const r: Reg = { num: 0, name: 'r0' };
    assert.throws(() => mov64Reg(R0, r), TypeError);
  });
  it('widths are literal types', () => {
    // @ts-expect-error movsx64 takes 8, 16 or 32
    assert.throws(() => movsx64(R0, R1, 12), RangeError);
    // @ts-expect-error movsx32 takes 8 or 16
    assert.throws(() => movsx32(R0, R1, 32), RangeError);
    // @ts-expect-error address spaces are 0 or 1
    assert.throws(() => addrSpaceCast(R0, R1, 2, 0), RangeError);
  });
  it('a helper id is a number; a label reference is not an Insn', () => {
    // @ts-expect-error call takes a helper id
    assert.throws(() => call(R1), TypeError);
    // @ts-expect-error a jump to a label is a LabelRef until the program is built
    const j: Insn = jeqImm(R1, 0, 'out');
    assert.equal((j as unknown as { kind: string }).kind, 'ref');
    const ok: Insn = jeqImm(R1, 0, 3);
    assert.equal(ok.off, 3);
  });
  it('program() takes instructions, labels and references only', () => {
    // @ts-expect-error a number is not a program item
    assert.throws(() => program(5), TypeError);
  });
});
