// Unit tests of the verifier where the kernel cannot be asked on this machine (unprivileged
// loads: unprivileged_bpf_disabled=2 here), the log levels, and the scalar domain.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { verify } from '../../src/machine/verifier/index.js';
import * as S from '../../src/machine/verifier/scalar.js';
import { MapType, ProgType } from '../../src/uapi/constants.js';

const ARR = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 };

function unpriv(text: string, progType: number = ProgType.SOCKET_FILTER): ReturnType<typeof verify> {
  return verify(assembleLlvm(text), { progType, privileged: false, maps: () => ARR });
}

describe('unprivileged loaders (the kernel is not asked: unprivileged BPF is disabled on this host)', () => {
  test('pointer leaks are refused', () => {
    assert.equal(unpriv('r0 = r1\nexit').error, 'R0 leaks addr as return value');
    assert.equal(
      unpriv('r1 = map_value[fd:0]+0 ll\n*(u64 *)(r1 + 0) = r10\nr0 = 0\nexit').error,
      'R10 leaks addr into map',
    );
    assert.equal(unpriv('w0 = w1\nr0 = 0\nexit').error, 'R1 partial copy of pointer');
    assert.equal(unpriv('r2 = r10\nr2 -= r1\nr0 = 0\nexit').error, 'R2 pointer -= pointer prohibited');
    assert.equal(unpriv('r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit').ok, true);
  });
  test('pointer comparisons, back-edges, uninitialized stack and bpf-to-bpf calls are refused', () => {
    assert.equal(unpriv('r0 = 0\nif r1 > r10 goto +0\nexit').error, 'R10 pointer comparison prohibited');
    assert.equal(unpriv('r0 = 0\nl:\nr0 += 1\nif r0 < 4 goto l\nexit').error, 'back-edge from insn 2 to 1');
    assert.equal(unpriv('r0 = *(u64 *)(r10 - 8)\nexit').error, 'invalid read from stack R10 off=-8 size=8');
    assert.match(unpriv('call f\nexit\nf:\nr0 = 0\nexit').error ?? '', /allowed for CAP_BPF/);
  });
  test('the same programs load privileged', () => {
    for (const t of [
      'r0 = r1\nexit',
      'r0 = 0\nl:\nr0 += 1\nif r0 < 4 goto l\nexit',
      'r0 = *(u64 *)(r10 - 8)\nexit',
    ])
      assert.equal(verify(assembleLlvm(t), { progType: ProgType.SOCKET_FILTER }).ok, true, t);
  });
});

describe('log levels', () => {
  const prog = assembleLlvm('r0 = 1\nif r0 > 0 goto +1\nr0 = 2\nexit');
  test('level 0: the summary line only (accepted) or the error line and the summary', () => {
    const ok = verify(prog, { progType: ProgType.XDP });
    assert.deepEqual(ok.log.length, 1);
    assert.match(
      ok.log[0]!,
      /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/,
    );
    const bad = verify(assembleLlvm('r0 = r5\nexit'), { progType: ProgType.XDP });
    assert.deepEqual(bad.log.slice(0, 1), ['R5 !read_ok']);
  });
  test('level 2: every instruction with the register state after it', () => {
    const r = verify(prog, { progType: ProgType.XDP, logLevel: 2 });
    assert.ok(r.log.includes(`${'0: (b7) r0 = 1'.padEnd(38)}; R0=1`), r.log.join('\n'));
    assert.ok(r.log.includes('0: R0=1 R1=ctx() R10=fp0'), r.log.join('\n'));
    assert.ok(r.log.some((l) => l.startsWith('3: (95) exit')));
  });
  test('level 1: the failing path', () => {
    const r = verify(assembleLlvm('r0 = 1\nr1 = *(u64 *)(r1 + 0)\nexit'), {
      progType: ProgType.XDP,
      logLevel: 1,
    });
    // as Linux prints it (checked against its log for the same program)
    assert.deepEqual(r.log.slice(0, -1), [
      '0: R1=ctx() R10=fp0',
      `${'0: (b7) r0 = 1'.padEnd(38)}; R0=1`,
      '1: (79) r1 = *(u64 *)(r1 +0)',
      'invalid bpf_context access off=0 size=8',
    ]);
  });
});

describe('scalar domain', () => {
  // anywhere, and near the edges where 32- and 64-bit bounds part ways (0, 2^31, 2^32, 2^63, 2^64)
  const arbU64 = fc.oneof(
    fc.bigInt({ min: 0n, max: S.U64_MAX }),
    ...[0n, 1n << 31n, 1n << 32n, 1n << 63n, S.U64_MAX - 300n].map((c) =>
      fc.bigInt({ min: c, max: c + 300n }),
    ),
  );
  const arbRange = fc.tuple(arbU64, arbU64).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [bigint, bigint]);
  const ops: S.AluName[] = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh', 'div', 'mod'];
  const concrete = S.concrete;
  const admits = (s: S.Scalar, v: bigint): boolean => S.within(s, S.constant(v));
  test('every ALU result admits the concrete result of any admitted operands (64 and 32 bits)', () => {
    fc.assert(
      fc.property(
        arbRange,
        arbRange,
        fc.constantFrom(...ops),
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        (ra, rb, op, is64, i, j) => {
          const a = S.urange(ra[0], ra[1]);
          const b =
            op === 'lsh' || op === 'rsh' || op === 'arsh'
              ? S.constant(BigInt(i % (is64 ? 64 : 32)))
              : S.urange(rb[0], rb[1]);
          const va = ra[0] + ((ra[1] - ra[0]) * BigInt(i % 97)) / 96n;
          const vb = S.isConst(b) ? b.tv : rb[0] + ((rb[1] - rb[0]) * BigInt(j % 97)) / 96n;
          const r = (is64 ? S.alu64 : S.alu32)(op, a, b);
          return admits(r, concrete(op, va, vb, is64));
        },
      ),
      { numRuns: 3000 },
    );
  });
  test('branch refinement keeps every value that satisfies the condition (64 and 32 bits)', () => {
    const cmps: S.CmpOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle'];
    // does `x OP y` hold in `bits`-bit arithmetic (64, or 32: the low halves)
    const holds = (op: S.CmpOp, x0: bigint, y0: bigint, bits: number): boolean => {
      const x = BigInt.asUintN(bits, x0);
      const y = BigInt.asUintN(bits, y0);
      const sx = BigInt.asIntN(bits, x0);
      const sy = BigInt.asIntN(bits, y0);
      return {
        eq: x === y,
        ne: x !== y,
        gt: x > y,
        ge: x >= y,
        lt: x < y,
        le: x <= y,
        sgt: sx > sy,
        sge: sx >= sy,
        slt: sx < sy,
        sle: sx <= sy,
        set: (x & y) !== 0n,
      }[op];
    };
    // values first (often close to each other and to an edge), then ranges around them (often
    // ending right at the value: off-by-one refinements show there)
    const arbVal = fc.oneof(
      fc.bigInt({ min: 0n, max: S.U64_MAX }),
      ...[0n, 1n << 31n, 1n << 32n, 1n << 63n, S.U64_MAX - 3n].map((c) => fc.bigInt({ min: c, max: c + 3n })),
    );
    const arbDelta = fc.oneof(
      fc.constant(0n),
      fc.bigInt({ min: 0n, max: 4n }),
      fc.bigInt({ min: 0n, max: S.U64_MAX }),
    );
    const around = (v: bigint, d1: bigint, d2: bigint): S.Scalar =>
      S.urange(v > d1 ? v - d1 : 0n, v + d2 > S.U64_MAX ? S.U64_MAX : v + d2);
    fc.assert(
      fc.property(
        fc.tuple(arbVal, arbDelta, arbDelta),
        fc.tuple(arbVal, arbDelta, arbDelta),
        fc.constantFrom(...cmps),
        fc.boolean(),
        ([va, da1, da2], [vb, db1, db2], op, is64) => {
          if (!holds(op, va, vb, is64 ? 64 : 32)) return true;
          const a = around(va, da1, da2);
          const b = around(vb, db1, db2);
          const a2 = S.copy(a);
          S.refine(op, a2, b, is64);
          const taken = S.branchTaken(op, a, b, is64);
          return !S.isEmpty(a2) && admits(a2, va) && taken !== 0;
        },
      ),
      { numRuns: 6000 },
    );
  });
});
