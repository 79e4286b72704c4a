import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as I from '../../src/isa/index.js';
import {
  add32Imm,
  add64Imm,
  addrSpaceCast,
  arsh64Reg,
  atomicAdd32,
  atomicAdd64,
  atomicCmpxchg64,
  atomicFetchAdd64,
  atomicOr64,
  atomicXchg32,
  be16,
  bswap16,
  bswap64,
  call,
  callKfunc,
  callLocal,
  callx,
  decode,
  div64Imm,
  encode,
  encodingError,
  exit,
  FP,
  gotol,
  type Insn,
  ja,
  jeqImm,
  jlt32Imm,
  jsgtReg,
  LabelError,
  label,
  ldAbsW,
  ldBtfId,
  ldFunc,
  ldImm64,
  ldIndH,
  ldMapFd,
  ldMapIdx,
  ldMapIdxValue,
  ldMapValue,
  ldsxB,
  ldsxW,
  ldxDW,
  ldxW,
  le64,
  loadAcquireDW,
  lsh64Imm,
  mayGoto,
  mov32Imm,
  mov32Reg,
  mov64Imm,
  mov64Reg,
  movsx32,
  movsx64,
  mul64Reg,
  neg32,
  neg64,
  ProgramBuilder,
  program,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R10,
  sdiv32Reg,
  sdiv64Imm,
  smod64Reg,
  storeReleaseW,
  stW,
  stxB,
  stxDW,
  sub32Reg,
} from '../../src/isa/index.js';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const enc = (i: Insn | Insn[], endian: 'little' | 'big' = 'little') =>
  hex(encode(Array.isArray(i) ? i : [i], { endian }));

describe('isa builder: bytes', () => {
  // Reference bytes from `llvm-mc -triple bpfel -show-encoding` (LLVM 14), for the LLVM syntax in
  // the comment; bpfeb where marked.
  const llvm: [string, Insn, string][] = [
    ['r0 = 1', mov64Imm(R0, 1), 'b7 00 00 00 01 00 00 00'],
    ['w1 = w2', mov32Reg(R1, R2), 'bc 21 00 00 00 00 00 00'],
    ['r1 += 2', add64Imm(R1, 2), '07 01 00 00 02 00 00 00'],
    ['w3 -= w4', sub32Reg(R3, R4), '1c 43 00 00 00 00 00 00'],
    ['w3 -= 5', I.sub32Imm(R3, 5), '14 03 00 00 05 00 00 00'],
    ['r5 *= r6', mul64Reg(R5, R6), '2f 65 00 00 00 00 00 00'],
    ['r0 /= 7', div64Imm(R0, 7), '37 00 00 00 07 00 00 00'],
    ['r0 = -r0', neg64(R0), '87 00 00 00 00 00 00 00'],
    ['w0 = -w0', neg32(R0), '84 00 00 00 00 00 00 00'],
    ['r1 <<= 3', lsh64Imm(R1, 3), '67 01 00 00 03 00 00 00'],
    ['r1 s>>= r2', arsh64Reg(R1, R2), 'cf 21 00 00 00 00 00 00'],
    ['r0 = be16 r0', be16(R0), 'dc 00 00 00 10 00 00 00'],
    ['r0 = le64 r0', le64(R0), 'd4 00 00 00 40 00 00 00'],
    ['r0 = *(u32 *)(r1 + 4)', ldxW(R0, R1, 4), '61 10 04 00 00 00 00 00'],
    ['r0 = *(u64 *)(r10 - 8)', ldxDW(R0, R10, -8), '79 a0 f8 ff 00 00 00 00'],
    ['*(u64 *)(r10 - 8) = r1', stxDW(R10, -8, R1), '7b 1a f8 ff 00 00 00 00'],
    ['*(u8 *)(r1 + 0) = r2', stxB(R1, 0, R2), '73 21 00 00 00 00 00 00'],
    ['lock *(u64 *)(r10 - 8) += r1', atomicAdd64(R10, -8, R1), 'db 1a f8 ff 00 00 00 00'],
    ['lock *(u32 *)(r10 - 8) += w1', atomicAdd32(R10, -8, R1), 'c3 1a f8 ff 00 00 00 00'],
    ['lock *(u64 *)(r10 - 8) |= r1', atomicOr64(R10, -8, R1), 'db 1a f8 ff 40 00 00 00'],
    [
      'r1 = 0x1122334455667788 ll',
      ldImm64(R1, 0x1122334455667788n),
      '18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11',
    ],
    ['r0 = *(u32 *)skb[12]', ldAbsW(12), '20 00 00 00 0c 00 00 00'],
    ['r0 = *(u16 *)skb[r2]', ldIndH(R2, 0), '48 20 00 00 00 00 00 00'],
    ['if r1 == 0 goto +3', jeqImm(R1, 0, 3), '15 01 03 00 00 00 00 00'],
    ['if r1 s> r2 goto -1', jsgtReg(R1, R2, -1), '6d 21 ff ff 00 00 00 00'],
    ['if w1 < 5 goto +0', jlt32Imm(R1, 5, 0), 'a6 01 00 00 05 00 00 00'],
    ['goto +7', ja(7), '05 00 07 00 00 00 00 00'],
    ['call 1', call(1), '85 00 00 00 01 00 00 00'],
    ['exit', exit(), '95 00 00 00 00 00 00 00'],
  ];
  for (const [text, insn, bytes] of llvm) {
    it(`${text} (llvm-mc)`, () => assert.equal(enc(insn), bytes));
  }
  it('big endian matches llvm-mc -triple bpfeb', () => {
    assert.equal(
      enc(ldImm64(R1, 0x1122334455667788n), 'big'),
      '18 10 00 00 55 66 77 88 00 00 00 00 11 22 33 44',
    );
    assert.equal(enc(ldxW(R0, R1, 4), 'big'), '61 01 00 04 00 00 00 00');
  });

  // Instructions LLVM 14 cannot assemble: fields as RFC 9669 and the kernel's UAPI define them;
  // bench/probe-isa.ts shows Linux 6.18 loads each of these.
  const rfc: [string, Insn, Partial<Insn>][] = [
    ['sdiv64 imm: DIV with off 1', sdiv64Imm(R0, 3), { code: 0x37, off: 1, imm: 3 }],
    ['sdiv32 reg', sdiv32Reg(R0, R1), { code: 0x3c, src: 1, off: 1 }],
    ['smod64 reg', smod64Reg(R2, R1), { code: 0x9f, dst: 2, src: 1, off: 1 }],
    ['movsx64 16', movsx64(R0, R1, 16), { code: 0xbf, src: 1, off: 16 }],
    ['movsx32 8', movsx32(R0, R1, 8), { code: 0xbc, src: 1, off: 8 }],
    ['ldsx B', ldsxB(R0, R1, 1), { code: 0x91, src: 1, off: 1 }],
    ['ldsx W', ldsxW(R0, R1, -4), { code: 0x81, src: 1, off: -4 }],
    ['bswap16: ALU64 END K', bswap16(R3), { code: 0xd7, dst: 3, imm: 16 }],
    ['bswap64', bswap64(R3), { code: 0xd7, dst: 3, imm: 64 }],
    ['fetch add', atomicFetchAdd64(R10, -8, R1), { code: 0xdb, dst: 10, src: 1, off: -8, imm: 0x01 }],
    ['xchg32', atomicXchg32(R10, -8, R1), { code: 0xc3, dst: 10, src: 1, off: -8, imm: 0xe1 }],
    ['cmpxchg64', atomicCmpxchg64(R10, -8, R1), { code: 0xdb, dst: 10, src: 1, off: -8, imm: 0xf1 }],
    [
      'load_acquire DW: dst loaded from src',
      loadAcquireDW(R0, R1, 8),
      { code: 0xdb, dst: 0, src: 1, off: 8, imm: 0x100 },
    ],
    ['store_release W', storeReleaseW(R1, 8, R2), { code: 0xc3, dst: 1, src: 2, off: 8, imm: 0x110 }],
    ['may_goto', mayGoto(2), { code: 0xe5, off: 2 }],
    ['gotol', gotol(70000), { code: 0x06, imm: 70000 }],
    ['kfunc call', callKfunc(1234, 2), { code: 0x85, src: 2, off: 2, imm: 1234 }],
    ['local call', callLocal(-5), { code: 0x85, src: 1, imm: -5 }],
    ['callx (LLVM: register in dst)', callx(R2), { code: 0x8d, dst: 2 }],
    ['addr_space_cast(r1, 0, 1)', addrSpaceCast(R0, R1, 0, 1), { code: 0xbf, src: 1, off: 1, imm: 1 }],
    ['addr_space_cast(r1, 1, 0)', addrSpaceCast(R0, R1, 1, 0), { code: 0xbf, src: 1, off: 1, imm: 0x10000 }],
    ['st W', stW(R10, -4, 7), { code: 0x62, dst: 10, off: -4, imm: 7 }],
    ['ldMapFd', ldMapFd(R1, 5), { code: 0x18, dst: 1, src: 1, imm: 5, imm2: 0 }],
    ['ldMapValue', ldMapValue(R1, 5, 16), { code: 0x18, dst: 1, src: 2, imm: 5, imm2: 16 }],
    ['ldBtfId', ldBtfId(R1, 77, 3), { code: 0x18, dst: 1, src: 3, imm: 77, imm2: 3 }],
    ['ldFunc', ldFunc(R2, 4), { code: 0x18, dst: 2, src: 4, imm: 4, imm2: 0 }],
    ['ldMapIdx', ldMapIdx(R1, 0), { code: 0x18, dst: 1, src: 5, imm: 0, imm2: 0 }],
    ['ldMapIdxValue', ldMapIdxValue(R1, 2, 8), { code: 0x18, dst: 1, src: 6, imm: 2, imm2: 8 }],
  ];
  for (const [what, insn, fields] of rfc) {
    it(what, () => {
      const full: Insn = { code: 0, dst: 0, src: 0, off: 0, imm: 0, ...fields };
      assert.deepEqual(insn, full);
    });
  }

  it('every instruction the builder makes is a valid encoding (callx included)', () => {
    for (const [, insn] of [...llvm, ...rfc]) {
      assert.equal(encodingError(insn), undefined, JSON.stringify(insn));
    }
  });

  it('covers every ALU op in both widths and operand forms', () => {
    const ops = [
      'add',
      'sub',
      'mul',
      'div',
      'sdiv',
      'or',
      'and',
      'lsh',
      'rsh',
      'mod',
      'smod',
      'xor',
      'mov',
      'arsh',
    ];
    const seen = new Set<number>();
    const table = I as unknown as Record<string, (a: unknown, b: unknown) => Insn>;
    for (const op of ops)
      for (const w of ['32', '64'])
        for (const form of ['Imm', 'Reg']) {
          const fn = table[`${op}${w}${form}`];
          assert.equal(typeof fn, 'function', `${op}${w}${form}`);
          const insn = fn!(R1, form === 'Imm' ? 3 : R2);
          assert.equal(encodingError(insn), undefined);
          assert.equal(insn.code & 7, w === '64' ? 7 : 4);
          assert.equal((insn.code & 8) !== 0, form === 'Reg');
          seen.add(insn.code | (insn.off << 8));
        }
    assert.equal(seen.size, ops.length * 4);
  });

  it('le/be/bswap widths', () => {
    assert.deepEqual(
      [I.le16, I.le32, I.le64, I.be16, I.be32, I.be64, I.bswap16, I.bswap32, I.bswap64].map((f) => {
        const i = f(R0);
        return `${i.code.toString(16)}/${i.imm}`;
      }),
      ['d4/16', 'd4/32', 'd4/64', 'dc/16', 'dc/32', 'dc/64', 'd7/16', 'd7/32', 'd7/64'],
    );
  });

  it('ldImm64 splits 64-bit values, signed or unsigned, bigint or number', () => {
    assert.deepEqual(ldImm64(R0, -1n), { code: 0x18, dst: 0, src: 0, off: 0, imm: -1, imm2: -1 });
    assert.deepEqual(ldImm64(R0, 0xffffffffffffffffn), ldImm64(R0, -1n));
    assert.deepEqual(ldImm64(R0, 0x1_0000_0001), { code: 0x18, dst: 0, src: 0, off: 0, imm: 1, imm2: 1 });
    assert.equal(I.imm64(ldImm64(R0, 0x8000000000000000n)), 0x8000000000000000n);
  });

  it('imm32 operands take unsigned 32-bit values as their bit pattern', () => {
    assert.equal(mov32Imm(R0, 0xffffffff).imm, -1);
    assert.equal(add32Imm(R0, 0x80000000).imm, -0x80000000);
  });
});

describe('isa builder: operand checks', () => {
  const rangeErr = (re: RegExp) => (e: unknown) => e instanceof RangeError && re.test((e as Error).message);
  it('throws RangeError naming the operand', () => {
    assert.throws(() => mov64Imm(R0, 2 ** 32), rangeErr(/^mov64Imm: imm 4294967296 is not a 32-bit integer/));
    assert.throws(() => mov64Imm(R0, -(2 ** 31) - 1), rangeErr(/mov64Imm: imm/));
    assert.throws(() => mov64Imm(R0, 1.5), rangeErr(/mov64Imm: imm 1.5/));
    assert.throws(() => ldxW(R0, R1, 0x8000), rangeErr(/^ldxW: off 32768 is not a signed 16-bit integer/));
    assert.throws(() => stxDW(R10, -0x8001, R1), rangeErr(/stxDW: off -32769/));
    assert.throws(() => stW(R10, 0, 2 ** 33), rangeErr(/stW: imm/));
    assert.throws(() => jeqImm(R1, 0, 0x8000), rangeErr(/jeqImm: offset 32768/));
    assert.throws(() => callKfunc(1, 0x10000), rangeErr(/callKfunc: fdIdx/));
    assert.throws(() => call(0x80000000), rangeErr(/call: helperId/));
    assert.throws(() => ldMapFd(R1, -0x80000001), rangeErr(/ldMapFd: fd/));
    assert.throws(() => ldImm64(R1, 1n << 64n), rangeErr(/ldImm64: value/));
    assert.throws(() => ldImm64(R1, 2 ** 60), rangeErr(/ldImm64: value .* safe integer/));
    assert.throws(() => movsx64(R0, R1, 12 as 8), rangeErr(/movsx64: bits 12 must be one of 8, 16, 32/));
    assert.throws(() => addrSpaceCast(R0, R1, 1, 1), rangeErr(/addrSpaceCast/));
  });
  it('leaves verifier matters alone: shift widths, division by zero, far jumps', () => {
    assert.equal(lsh64Imm(R0, 100).imm, 100);
    assert.equal(I.lsh32Imm(R0, -1).imm, -1);
    assert.equal(div64Imm(R0, 0).imm, 0);
    assert.equal(ja(-0x8000).off, -0x8000);
    assert.equal(gotol(-0x80000000).imm, -0x80000000);
  });
  it('rejects non-registers and the frame pointer as destination at run time too', () => {
    const anyFn = (f: unknown) => f as (...a: unknown[]) => Insn;
    assert.throws(() => anyFn(mov64Imm)(R10, 1), /mov64Imm: dst cannot be r10/);
    assert.throws(
      () => anyFn(mov64Reg)(R0, 5),
      (e: unknown) => e instanceof TypeError && /src must be a register/.test(String(e)),
    );
    assert.throws(
      () => anyFn(mov64Imm)(R0, R1),
      (e: unknown) => e instanceof TypeError && /imm must be a number, got r1/.test(String(e)),
    );
    assert.throws(() => anyFn(ldxW)({ num: 0, name: 'r0' }, R1, 0), TypeError);
    assert.throws(() => anyFn(loadAcquireDW)(FP, R1, 0), /cannot be r10/);
    // R10 as a base or a source is fine.
    assert.equal(stxDW(FP, -8, R10).src, 10);
    assert.equal(mov64Reg(R1, R10).src, 10);
  });
  it('registers', () => {
    assert.equal(I.reg(3), R3);
    assert.equal(I.dstReg(0), R0);
    assert.throws(() => I.dstReg(10), RangeError);
    assert.throws(() => I.reg(11), RangeError);
    assert.ok(I.isReg(R10) && !I.isDstReg(R10) && I.isDstReg(R5));
    assert.equal(String(R5), 'r5');
    assert.equal(I.REGS.length, 11);
  });
});

describe('isa builder: labels', () => {
  it('resolves forward and backward jumps in slots, counting ld_imm64 as 2', () => {
    const p = program(
      label('top'),
      mov64Imm(R0, 0), // slot 0
      jeqImm(R1, 0, 'out'), // slot 1 -> out = slot 6: off 4
      ldImm64(R2, 1n), // slots 2-3
      ja('top'), // slot 4 -> 0: off -5
      mov64Imm(R0, 1), // slot 5
      label('out'),
      exit(), // slot 6
    );
    assert.equal(p[1]!.off, 4);
    assert.equal(p[3]!.off, -5);
    assert.equal(I.slotCount(p), 7);
    // Round trip through bytes with validation.
    assert.deepEqual(decode(encode(p)), p);
  });
  it('callLocal, ldFunc and gotol put the offset in imm; mayGoto in off', () => {
    const b = new ProgramBuilder();
    b.add(ldFunc(R2, 'cb'), callLocal('func'), mayGoto('end'), gotol('end'), mov64Imm(R0, 0));
    b.label('end').add(exit());
    b.label('func').add(mov64Imm(R0, 1), exit());
    b.label('cb').add(mov64Imm(R0, 2), exit());
    const p = b.build();
    // slots: ldFunc 0-1, call 2, may_goto 3, gotol 4, mov 5, end=6 exit, func=7, cb=9
    assert.equal(p[0]!.imm, 9 - 1);
    assert.equal(p[0]!.imm2, 0);
    assert.equal(p[1]!.imm, 7 - 3);
    assert.equal(p[2]!.off, 6 - 4);
    assert.equal(p[3]!.imm, 6 - 5);
    assert.equal(p[3]!.off, 0);
    assert.equal(b.labelSlot('cb'), 9);
    assert.equal(b.slots, 11);
    assert.equal(b.encode().length, 88);
  });
  it('a label may point past the last instruction', () => {
    assert.equal(program(ja('end'), label('end'))[0]!.off, 0);
  });
  it('unknown label', () => {
    assert.throws(
      () => program(mov64Imm(R0, 0), jeqImm(R1, 0, 'nowhere'), label('x'), exit()),
      (e: unknown) =>
        e instanceof LabelError &&
        e instanceof RangeError &&
        e.label === 'nowhere' &&
        e.message === "jeqImm at slot 1: unknown label 'nowhere' (labels: x)",
    );
  });
  it('duplicate label', () => {
    assert.throws(
      () => program(label('a'), exit(), label('a'), exit()),
      (e: unknown) =>
        e instanceof LabelError && /duplicate label 'a' \(first at slot 0, again at slot 1\)/.test(e.message),
    );
  });
  it('jump offsets out of the 16-bit range, and gotol reaching further', () => {
    const filler = Array.from({ length: 0x8000 }, () => mov64Imm(R0, 0));
    assert.throws(
      () => program(ja('far'), filler, label('far'), exit()),
      (e: unknown) =>
        e instanceof LabelError &&
        /ja at slot 0: label 'far' is 32768 slots away.*\(use gotol\)/.test(e.message),
    );
    assert.equal(program(ja('far'), filler.slice(1), label('far'), exit())[0]!.off, 0x7fff);
    assert.equal(program(gotol('far'), filler, label('far'), exit())[0]!.imm, 0x8000);
    assert.throws(() => program(label('b'), filler, jeqImm(R1, 0, 'b')), /is -32769 slots away/);
  });
  it('labels and references reject empty names', () => {
    assert.throws(() => label(''), TypeError);
    assert.throws(() => ja(''), TypeError);
  });
  it('a label reference is unresolved until built', () => {
    const ref = jeqImm(R1, 0, 'x');
    assert.equal(ref.kind, 'ref');
    assert.equal(ref.field, 'off');
    assert.equal(ref.insn.code, 0x15);
  });
  it('a small program built with labels loads the map and returns through a subprogram', () => {
    const p = program(
      stxDW(R10, -8, R1),
      ldMapIdx(R1, 0),
      mov64Reg(R2, R10),
      add64Imm(R2, -8),
      call(1), // bpf_map_lookup_elem
      jeqImm(R0, 0, 'miss'),
      ldxW(R0, R0, 0),
      callLocal('done'),
      exit(),
      label('miss'),
      mov64Imm(R0, 0),
      exit(),
      label('done'),
      exit(),
    );
    assert.equal(p[5]!.off, 10 - 7);
    assert.equal(p[7]!.imm, 12 - 9);
    for (const i of p) assert.equal(encodingError(i), undefined);
  });
});
