import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  assembleConformance,
  assembleLlvm,
  decode,
  detectSyntax,
  disassembleConformance,
  disassembleLlvm,
  encode,
  type Insn,
} from '../../src/isa/index.js';
import { FormatError } from '../../src/util/errors.js';
import { arbInsnFields, arbProgram } from './arbitraries.js';

const norm = (insns: readonly Insn[]) => decode(encode(insns), { validate: false });

function throwsAt(f: () => unknown, where: string, reason: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${String(e)}`);
    assert.equal(e.where, where);
    assert.match(e.reason, reason);
    return true;
  });
}

describe('assembler/disassembler round trips (fast-check)', () => {
  for (const [name, dis, asm] of [
    ['conformance', disassembleConformance, assembleConformance],
    ['llvm', disassembleLlvm, assembleLlvm],
  ] as const) {
    it(`${name}: assemble(disassemble(p)) == p for random valid programs, with and without labels/annotations`, () => {
      fc.assert(
        fc.property(arbProgram({ maxLength: 40 }), fc.boolean(), fc.boolean(), (p, labels, annotate) => {
          const text = dis(p, { labels, annotate });
          assert.deepEqual(norm(asm(text)), norm(p), text);
        }),
        { numRuns: 300 },
      );
    });
    it(`${name}: any field values round trip (invalid encodings print as .insn)`, () => {
      fc.assert(
        fc.property(fc.array(arbInsnFields, { maxLength: 20 }), (p) => {
          const text = dis(p);
          assert.deepEqual(norm(asm(text)), norm(p), text);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('conformance syntax', () => {
  it('assembles the suite forms', () => {
    const p = assembleConformance(
      [
        'mov %r0, 1',
        'mov32 %r1, 0xffffffff',
        'ldxw %r0, [%r1+4]',
        'lddw %r2, 0x1122334455667788',
        'lock xchg32 [%r10-8], %r1',
        'lock fetch add [%r10-8], %r1',
        'jne %r0, 15, exit',
        'call local f',
        'call %r2',
        'be16 %r0',
        'f: exit',
      ].join('\n'),
    );
    assert.deepEqual(p, [
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
      { code: 0xb4, dst: 1, src: 0, off: 0, imm: -1 },
      { code: 0x61, dst: 0, src: 1, off: 4, imm: 0 },
      { code: 0x18, dst: 2, src: 0, off: 0, imm: 0x55667788, imm2: 0x11223344 },
      { code: 0xc3, dst: 10, src: 1, off: -8, imm: 0xe1 },
      { code: 0xdb, dst: 10, src: 1, off: -8, imm: 0x01 },
      { code: 0x55, dst: 0, src: 0, off: 3, imm: 15 },
      { code: 0x85, dst: 0, src: 1, off: 0, imm: 2 },
      { code: 0x8d, dst: 2, src: 0, off: 0, imm: 0 },
      { code: 0xdc, dst: 0, src: 0, off: 0, imm: 16 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
  });
  it('reads the extensions: pseudo ld_imm64 kinds, kfunc, ldabs/ldind, acquire/release, arena cast', () => {
    const text = [
      'lddw %r1, map[fd:3]',
      'lddw %r1, map_value[fd:3]+8',
      'lddw %r1, btf_id[77, fd:5]',
      'lddw %r1, func[g]',
      'lddw %r1, map[idx:2]',
      'lddw %r1, map_value[idx:2]-4',
      'call kfunc[1234, idx:2]',
      'call runtime 9',
      'ldabsh 12',
      'ldindw %r3, -4',
      'ldacqb %r0, [%r1+2]',
      'streldw [%r1-8], %r2',
      'addr_space_cast %r0, %r1, 1, 0',
      'may_goto g',
      'g: exit',
    ].join('\n');
    const p = assembleConformance(text);
    assert.deepEqual(
      p.map((i) => [i.code, i.dst, i.src, i.off, i.imm, i.imm2]),
      [
        [0x18, 1, 1, 0, 3, 0],
        [0x18, 1, 2, 0, 3, 8],
        [0x18, 1, 3, 0, 77, 5],
        [0x18, 1, 4, 0, 13, 0],
        [0x18, 1, 5, 0, 2, 0],
        [0x18, 1, 6, 0, 2, -4],
        [0x85, 0, 2, 2, 1234, undefined],
        [0x85, 0, 2, 0, 9, undefined],
        [0x28, 0, 0, 0, 12, undefined],
        [0x40, 0, 3, 0, -4, undefined],
        [0xd3, 0, 1, 2, 0x100, undefined],
        [0xdb, 1, 2, -8, 0x110, undefined],
        [0xbf, 0, 1, 1, 0x10000, undefined],
        [0xe5, 0, 0, 0, 0, undefined],
        [0x95, 0, 0, 0, 0, undefined],
      ],
    );
    assert.deepEqual(assembleConformance(disassembleConformance(p)), p);
  });
  it('applies the suite range rules', () => {
    assert.equal(assembleConformance('mov32 %r0, -2147483648')[0]!.imm, -0x80000000);
    assert.equal(assembleConformance('mov32 %r0, 0x80000000')[0]!.imm, -0x80000000);
    throwsAt(() => assembleConformance('mov32 %r0, 2147483648'), '<input>:1:12', /out of the 32-bit range/);
    throwsAt(() => assembleConformance('mov32 %r0, 0x100000000'), '<input>:1:12', /out of the 32-bit range/);
    throwsAt(() => assembleConformance('ldxb %r0, [%r1+0x10000]'), '<input>:1:16', /16-bit range/);
    assert.equal(assembleConformance('lddw %r0, 18446744073709551615')[0]!.imm2, -1);
    throwsAt(() => assembleConformance('lddw %r0, 18446744073709551616'), '<input>:1:11', /64-bit range/);
  });
  it('names file:line:column and what was expected', () => {
    throwsAt(
      () => assembleConformance('mov %r0, 1\n\nor %r0, %r50', { file: 'prog.s' }),
      'prog.s:3:9',
      /^expected a register, found '%r50'$/,
    );
    throwsAt(() => assembleConformance('ldxq %r0, %r1'), '<input>:1:1', /unknown mnemonic 'ldxq'/);
    throwsAt(() => assembleConformance('ldxb %r0, %r1'), '<input>:1:11', /expected a memory operand/);
    throwsAt(() => assembleConformance('lddw %r0'), '<input>:1:9', /expected ','/);
    throwsAt(() => assembleConformance('ja nowhere'), '<input>:1:4', /undefined label 'nowhere'/);
    throwsAt(() => assembleConformance('exit extra'), '<input>:1:6', /expected end of line, found 'extra'/);
    throwsAt(() => assembleConformance('a:\na:\nexit'), '<input>:2:1', /defined twice/);
    throwsAt(
      () =>
        assembleConformance('exit', { file: 'x.data', lineBase: 3 }).concat(
          assembleConformance('lock', { file: 'x.data', lineBase: 3 }),
        ),
      'x.data:4:5',
      /atomic operation/,
    );
  });
});

describe('detectSyntax', () => {
  it('tells the syntaxes apart from the first telling line', () => {
    assert.equal(detectSyntax('# c\nexit\nmov %r0, 1'), 'conformance');
    assert.equal(detectSyntax('L1:\ncall 1\nr0=1'), 'llvm');
    assert.equal(detectSyntax('w1 s>>= 3'), 'llvm');
    assert.equal(detectSyntax('*(u8 *)(r1 + 0) = r2'), 'llvm');
    assert.equal(detectSyntax('if r1 > 2 goto +1'), 'llvm');
    assert.equal(detectSyntax('ldxw %r0, [%r1+4]'), 'conformance');
    assert.equal(detectSyntax('exit'), 'conformance');
  });
});

describe('llvm syntax', () => {
  it('assembles the C-like forms', () => {
    const text = [
      'r0 = 1',
      'w1 += 2',
      'if r1 > 5 goto +2',
      '*(u32 *)(r10 - 8) = r1',
      'r0 = *(u64 *)(r1 + 0)',
      'lock *(u64 *)(r10 - 8) += r1',
      'r1 = 0x1122334455667788 ll',
      'call 1',
      'r0 = (s8)r1',
      'r0 = *(s16 *)(r1 + 2)',
      'gotol +1',
      'r0 = bswap16 r0',
      'r0 s/= r1',
      'callx r1',
      'may_goto -1',
      'w1 = atomic_fetch_xor((u32 *)(r2 - 4), w1)',
      'r0 = cmpxchg_64(r2 + 8, r0, r3)',
      'w0 = load_acquire((u16 *)(r1 + 0))',
      'store_release((u64 *)(r1 + 0), r2)',
      'r1 = map_value[idx:2]+16 ll',
      'exit',
    ].join('\n');
    const p = assembleLlvm(text);
    assert.deepEqual(
      p.map((i) => [i.code, i.dst, i.src, i.off, i.imm]),
      [
        [0xb7, 0, 0, 0, 1],
        [0x04, 1, 0, 0, 2],
        [0x25, 1, 0, 2, 5],
        [0x63, 10, 1, -8, 0],
        [0x79, 0, 1, 0, 0],
        [0xdb, 10, 1, -8, 0],
        [0x18, 1, 0, 0, 0x55667788],
        [0x85, 0, 0, 0, 1],
        [0xbf, 0, 1, 8, 0],
        [0x89, 0, 1, 2, 0],
        [0x06, 0, 0, 0, 1],
        [0xd7, 0, 0, 0, 16],
        [0x3f, 0, 1, 1, 0],
        [0x8d, 1, 0, 0, 0],
        [0xe5, 0, 0, -1, 0],
        [0xc3, 2, 1, -4, 0xa1],
        [0xdb, 2, 3, 8, 0xf1],
        [0xcb, 0, 1, 0, 0x100],
        [0xdb, 1, 2, 0, 0x110],
        [0x18, 1, 6, 0, 2],
        [0x95, 0, 0, 0, 0],
      ],
    );
    assert.deepEqual(assembleLlvm(disassembleLlvm(p)), p);
  });
  it('prints jumps as offsets, or labels on request, and pseudo-calls as labels', () => {
    const p = assembleLlvm('call f\nif r1 == 0 goto out\nr0 = 1\nout:\nexit\nf:\nr0 = 2\nexit');
    assert.equal(disassembleLlvm(p), 'call L4\nif r1 == 0 goto +1\nr0 = 1\nexit\nL4:\nr0 = 2\nexit\n');
    assert.equal(
      disassembleLlvm(p, { labels: true }),
      'call L4\nif r1 == 0 goto L3\nr0 = 1\nL3:\nexit\nL4:\nr0 = 2\nexit\n',
    );
    assert.match(disassembleLlvm(p, { annotate: true }), /^call L4 +# 0: 85 10 00 00 03 00 00 00$/m);
  });
  it('names file:line:column and what was expected', () => {
    throwsAt(
      () => assembleLlvm('r0 = 1\nr11 = 2', { file: 'p.s' }),
      'p.s:2:1',
      /expected a register, found 'r11'/,
    );
    throwsAt(
      () => assembleLlvm('w1 += r2'),
      '<input>:1:7',
      /expected a w register or an immediate, found 'r2'/,
    );
    throwsAt(() => assembleLlvm('if r1 >> 2 goto +1'), '<input>:1:7', /expected a comparison/);
    throwsAt(() => assembleLlvm('r0 = *(u64 *)(r1 + 0x8000)'), '<input>:1:20', /16-bit range/);
    throwsAt(() => assembleLlvm('r0 = 4294967296'), '<input>:1:6', /32-bit range/);
    throwsAt(() => assembleLlvm('frob r0'), '<input>:1:1', /unknown instruction 'frob'/);
    throwsAt(() => assembleLlvm('r1 = be16 r2'), '<input>:1:11', /same register/);
    throwsAt(() => assembleLlvm('goto +1 +2'), '<input>:1:9', /expected end of line/);
  });
});

describe('assemblers on malformed input (fast-check)', () => {
  const TOKENS = [
    ' ',
    ',',
    '[',
    ']',
    '(',
    ')',
    '*',
    '+',
    '-',
    '=',
    '+=',
    's>>=',
    ':',
    '#',
    '\n',
    '%r1',
    'r1',
    'w2',
    'r11',
    '%r99',
    '0x',
    '0xffffffffffffffffff',
    '99999999999999999999',
    '-2147483649',
    '32768',
    'mov',
    'lddw',
    'lock',
    'fetch',
    'call',
    'local',
    'kfunc[',
    'map[fd:',
    'map_value[idx:',
    'func[',
    'btf_id[',
    'if',
    'goto',
    'exit',
    'ja',
    'L1',
    'll',
    '*(u64 *)',
    '*(s8 *)',
    'skb[',
    '.insn',
    'atomic_fetch_add(',
    'xchg_64(',
    'load_acquire(',
    '(s8)',
    'be16',
  ];
  const arbText = fc.oneof(
    fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join('')),
    fc.string({ maxLength: 80 }),
    fc
      .tuple(arbProgram({ maxLength: 8 }), fc.boolean(), fc.nat(), fc.string({ maxLength: 3 }))
      .map(([p, llvm, at, ins]) => {
        const t = llvm ? disassembleLlvm(p) : disassembleConformance(p);
        const k = at % (t.length + 1);
        return t.slice(0, k) + ins + t.slice(k + 1);
      }),
  );
  for (const [name, asm] of [
    ['conformance', assembleConformance],
    ['llvm', assembleLlvm],
  ] as const) {
    it(`${name}: any text assembles or fails with a FormatError naming file:line:column`, () => {
      fc.assert(
        fc.property(arbText, (text) => {
          try {
            const p = asm(text, { file: 'f.s' });
            encode(p);
          } catch (e) {
            assert.ok(e instanceof FormatError, `${String(e)} for ${JSON.stringify(text)}`);
            assert.match(e.where, /^f\.s:\d+:\d+$/);
          }
        }),
        { numRuns: 2000 },
      );
    });
  }
});
