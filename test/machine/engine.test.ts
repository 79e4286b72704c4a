/**
 * The machine's interpreter: faults (bounds, permissions, NULL, call depth, budget), frames,
 * tail calls, contexts, the load-time checks, and the helpers through fake maps and a fake env.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assembleConformance } from '../../src/isa/asm/conformance.js';
import type { Insn } from '../../src/isa/insn.js';
import {
  type EngineEnv,
  EngineFault,
  type EngineMap,
  type EngineRingbuf,
  MAY_GOTO_BUDGET,
  memContext,
  Perm,
  type ProgramImage,
  prepareProgram,
  skbContext,
  Vm,
  xdpContext,
} from '../../src/machine/engine/index.js';
import { kernelHelpers } from '../../src/machine/helpers/index.js';
import { FormatError } from '../../src/util/errors.js';

const asm = (text: string): Insn[] => assembleConformance(text);

/** A fake array map: values live in one buffer, lookups alias it. */
class FakeArray implements EngineMap {
  readonly type = 2;
  readonly keySize = 4;
  readonly storage: Uint8Array;
  progs: (ProgramImage | undefined)[] = [];
  constructor(
    readonly id: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly progAccess: 'rw' | 'ro' | 'wo' = 'rw',
  ) {
    this.storage = new Uint8Array(valueSize * maxEntries);
  }
  private index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }
  lookup(key: Uint8Array): Uint8Array | undefined {
    const i = this.index(key);
    return i < this.maxEntries
      ? this.storage.subarray(i * this.valueSize, (i + 1) * this.valueSize)
      : undefined;
  }
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const i = this.index(key);
    if (i >= this.maxEntries) return -7;
    if (flags === 1) return -17;
    this.storage.set(value, i * this.valueSize);
    return 0;
  }
  delete(): number {
    return -22;
  }
  directValue(): Uint8Array {
    return this.storage;
  }
  tailCallTarget(index: number): ProgramImage | undefined {
    return this.progs[index];
  }
}

function run(insns: Insn[], env: EngineEnv = {}, mem?: Uint8Array, resolver?: (n: number) => EngineMap) {
  const image = prepareProgram(insns, {
    entryArgs: 2,
    resolver: resolver ? { map: (_k, n) => resolver(n) } : undefined,
  });
  const vm = new Vm(env, { helpers: kernelHelpers() });
  const ctx = memContext(vm, mem ?? new Uint8Array(0));
  return { vm, ...vm.run(image, ctx.args) };
}

function fault(fn: () => unknown): EngineFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineFault) return e;
    throw e;
  }
  assert.fail('expected an EngineFault');
}

describe('engine: memory faults', () => {
  it('a read past the end of memory names the instruction, the address and the region', () => {
    const f = fault(() => run(asm('mov %r0, 0\nldxdw %r0, [%r1+8]\nexit'), {}, new Uint8Array(8)));
    assert.equal(f.kind, 'out_of_bounds');
    assert.equal(f.pc, 1);
    assert.equal(f.slot, 1);
    assert.match(
      f.message,
      /^insn 1 \(slot 1\): 8-byte read at offset 8 of mem region #\d+ \(size 8\) at 0xffff80/,
    );
  });

  it('NULL, foreign and negative-offset pointers fault', () => {
    assert.equal(fault(() => run(asm('mov %r1, 0\nldxb %r0, [%r1]\nexit'))).kind, 'null');
    assert.equal(
      fault(() => run(asm('lddw %r1, 0x1234567800000000\nldxb %r0, [%r1]\nexit'))).kind,
      'bad_pointer',
    );
    assert.equal(
      fault(() => run(asm('ldxb %r0, [%r1-1]\nexit'), {}, new Uint8Array(4))).kind,
      'out_of_bounds',
    );
  });

  it('the stack is 512 bytes per frame: below and above r10 fault', () => {
    // r10-520 is below the first frame: outside every region
    assert.match(
      fault(() => run(asm('mov %r0, 0\nstxdw [%r10-520], %r0\nexit'))).kind,
      /bad_pointer|out_of_bounds/,
    );
    assert.equal(fault(() => run(asm('ldxdw %r0, [%r10]\nexit'))).kind, 'out_of_bounds');
    assert.equal(run(asm('mov %r0, 5\nstxdw [%r10-512], %r0\nldxdw %r0, [%r10-512]\nexit')).r0, 5n);
  });

  it('a read-only region refuses writes and a write-only region refuses reads', () => {
    const ro = new FakeArray(1, 8, 1, 'ro');
    const f = fault(() =>
      run(asm('lddw %r1, map_value[fd:3]+0\nmov %r0, 1\nstxdw [%r1], %r0\nexit'), {}, undefined, () => ro),
    );
    assert.equal(f.kind, 'permission');
    assert.deepEqual([...ro.storage], [0, 0, 0, 0, 0, 0, 0, 0]);
    const wo = new FakeArray(2, 8, 1, 'wo');
    assert.equal(
      fault(() => run(asm('lddw %r1, map_value[fd:3]+0\nldxdw %r0, [%r1]\nexit'), {}, undefined, () => wo))
        .kind,
      'permission',
    );
  });

  it('a faulting write changes nothing outside the program regions', () => {
    const vm = new Vm();
    const a = new Uint8Array(16);
    const b = new Uint8Array(16).fill(0xaa);
    const pa = vm.memory.addRegion('mem', a, Perm.RW);
    vm.memory.addRegion('mem', b, Perm.RW);
    const image = prepareProgram(asm('mov %r0, -1\nstxdw [%r1+16], %r0\nexit'));
    assert.equal(fault(() => vm.run(image, [pa])).kind, 'out_of_bounds');
    assert.ok(b.every((x) => x === 0xaa));
    assert.ok(a.every((x) => x === 0));
  });
});

describe('engine: load-time checks', () => {
  const rejects = (text: string, re: RegExp) =>
    assert.throws(
      () => prepareProgram(asm(text)),
      (e: unknown) => e instanceof FormatError && re.test(e.message),
    );
  it('rejects reads of uninitialized registers, also after calls clobber r1-r5', () => {
    rejects('mov %r0, %r3\nexit', /slot 0.*r3 is read before it is written/);
    rejects('call 7\nmov %r0, %r1\nexit', /slot 1.*r1 is read before/);
    rejects('mov %r1, 1\nexit', /slot 1.*r0 is read before/);
    rejects('jeq %r1, 0, +1\nmov %r0, 1\nexit', /slot 2.*r0/);
  });
  it('rejects writes to r10, jumps out of the program, and falling off the end', () => {
    rejects('mov %r10, 0\nmov %r0, 0\nexit', /r10 is read only/);
    rejects('mov %r0, 0\nja +5\nexit', /outside the program/);
    rejects('mov %r0, 0', /falls off the end/);
  });
  it('rejects a map reference the resolver does not know', () => {
    assert.throws(
      () => prepareProgram(asm('lddw %r1, map[fd:9]\nmov %r0, 0\nexit')),
      /fd 9, which is not a map/,
    );
  });
});

describe('engine: calls and control', () => {
  it('bpf-to-bpf calls preserve r6-r9 and give each frame its own stack', () => {
    const r = run(
      asm(`mov %r6, 6
mov %r0, 11
stxdw [%r10-8], %r0
call local f
ldxdw %r1, [%r10-8]
add %r0, %r1
add %r0, %r6
exit
f:
mov %r6, 100
mov %r0, 22
stxdw [%r10-8], %r0
ldxdw %r0, [%r10-8]
exit`),
    );
    assert.equal(r.r0, 22n + 11n + 6n);
  });

  it('kfunc calls go to the Vm kfunc table by BTF id, and fault when absent', () => {
    const insns: Insn[] = [
      { code: 0xb7, dst: 1, src: 0, off: 0, imm: 20 },
      { code: 0x85, dst: 0, src: 2, off: 0, imm: 1234 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const image = prepareProgram(insns);
    const vm = new Vm({}, { kfuncs: new Map([[1234, (v: Vm) => v.ret(v.arg(1) + 1n)]]) });
    assert.equal(vm.run(image).r0, 21n);
    const f = fault(() => new Vm().run(image));
    assert.equal(f.kind, 'unsupported');
    assert.match(f.message, /kfunc with BTF id 1234/);
  });

  it('recursion stops at 8 frames', () => {
    const f = fault(() => run(asm('f:\ncall local f\nmov %r0, 0\nexit')));
    assert.equal(f.kind, 'call_depth');
  });

  it('an endless loop runs out of budget', () => {
    const vm = new Vm({}, { budget: 1000 });
    const f = fault(() => vm.run(prepareProgram(asm('mov %r0, 0\nl:\nja l\nexit'))));
    assert.equal(f.kind, 'budget');
    assert.equal(f.pc, 1);
  });

  it(`may_goto falls through ${MAY_GOTO_BUDGET} times, then jumps`, () => {
    const insns = asm('mov %r0, 0\nl:\nadd %r0, 1\nja l\nexit');
    // replace `ja l` by: may_goto +1; ja l
    const loop: Insn[] = [
      insns[0]!,
      insns[1]!,
      { code: 0xe5, dst: 0, src: 0, off: 1, imm: 0 },
      { code: 0x05, dst: 0, src: 0, off: -3, imm: 0 },
      insns[3]!,
    ];
    assert.equal(run(loop).r0, BigInt(MAY_GOTO_BUDGET) + 1n);
  });

  it('tail calls replace the program, at most 33 times per run', () => {
    const counter = new FakeArray(1, 8, 1);
    const progs = new FakeArray(2, 4, 4);
    const text = `mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map[fd:1]
call 1
jeq %r0, 0, +4
ldxdw %r1, [%r0]
add %r1, 1
stxdw [%r0], %r1
mov %r1, %r6
lddw %r2, map[fd:2]
mov %r3, 0
call 12
mov %r0, 7
exit`;
    const image = prepareProgram(asm(text), { resolver: { map: (_k, n) => (n === 1 ? counter : progs) } });
    progs.progs[0] = image;
    const vm = new Vm({}, { helpers: kernelHelpers() });
    const r = vm.run(image, [0n]);
    assert.equal(r.r0, 7n);
    assert.equal(r.tailCalls, 33);
    assert.equal(new DataView(counter.storage.buffer).getBigUint64(0, true), 34n);
  });

  it('bpf_loop calls a PSEUDO_FUNC callback until it returns 1', () => {
    const r = run(
      asm(`stdw [%r10-8], 0
mov %r1, 100
lddw %r2, func[cb]
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
ldxdw %r1, [%r10-8]
lsh %r0, 32
or %r0, %r1
exit
cb:
ldxdw %r3, [%r2]
add %r3, %r1
stxdw [%r2], %r3
mov %r0, 0
jlt %r1, 9, +1
mov %r0, 1
exit`),
    );
    // indexes 0..9 summed (45), 10 iterations
    assert.equal(r.r0, (10n << 32n) | 45n);
  });
});

describe('engine: contexts', () => {
  const SHARED = join(import.meta.dirname, '../../../shared/bench');
  it('mem_sum_xdp.asm over an xdp_md context sums the packet', () => {
    const data = new Uint8Array(readFileSync(join(SHARED, 'data4k.bin'))).slice(0, 3520);
    const image = prepareProgram(asm(readFileSync(join(SHARED, 'mem_sum_xdp.asm'), 'utf8')));
    const vm = new Vm();
    assert.equal(vm.run(image, xdpContext(vm, data).args).r0, 0xb1ea1cfan);
  });
  it('xdp_md is read-only; LD_ABS reads the skb big-endian and ends the program when out of bounds', () => {
    const vm = new Vm();
    const ctx = xdpContext(vm, new Uint8Array(16));
    const f = fault(() => vm.run(prepareProgram(asm('mov %r0, 0\nstxw [%r1], %r0\nexit')), ctx.args));
    assert.equal(f.kind, 'permission');
    vm.reset();
    const skb = skbContext(vm, Uint8Array.from([1, 2, 3, 4, 5, 6]));
    const ldabs: Insn[] = [
      { code: 0xbf, dst: 6, src: 1, off: 0, imm: 0 },
      { code: 0x28, dst: 0, src: 0, off: 0, imm: 2 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    assert.equal(vm.run(prepareProgram(ldabs), skb.args).r0, 0x0304n);
    const oob: Insn[] = [ldabs[0]!, { code: 0x20, dst: 0, src: 0, off: 0, imm: 4 }, ldabs[2]!];
    assert.equal(vm.run(prepareProgram(oob), skb.args).r0, 0n);
  });
});

describe('helpers', () => {
  it('map lookup aliases the value; update and its errnos', () => {
    const m = new FakeArray(1, 8, 2);
    const r = run(
      asm(`stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
lddw %r1, map[fd:1]
call 1
jeq %r0, 0, +3
mov %r1, 0x55
stxdw [%r0], %r1
ja +0
stw [%r10-4], 5
stdw [%r10-16], 9
lddw %r1, map[fd:1]
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
exit`),
      {},
      undefined,
      () => m,
    );
    assert.equal(r.r0, BigInt.asUintN(64, -7n)); // E2BIG: index 5 of 2
    assert.equal(m.storage[8], 0x55);
  });

  const cstr = (t: string) => [...new TextEncoder().encode(`${t}\0`)];

  it('trace_printk formats its three arguments and hands the line to the env', () => {
    const lines: string[] = [];
    const fmt = cstr('x=%d u=%u s=%s\n');
    const mem = Uint8Array.from([...fmt, ...cstr('hi')]);
    const r = run(
      asm(`mov %r5, %r1
add %r5, ${fmt.length}
mov %r2, ${fmt.length}
mov %r3, -5
mov %r4, -1
call 6
exit`),
      { tracePrintk: (l) => lines.push(l) },
      mem,
    );
    assert.deepEqual(lines, ['x=-5 u=4294967295 s=hi']);
    assert.equal(r.r0, BigInt('x=-5 u=4294967295 s=hi\n'.length));
    // a conversion without an argument is refused with -EINVAL
    const bad = Uint8Array.from(cstr('%d %d %d %d'));
    const r2 = run(asm(`mov %r2, ${bad.length}\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 6\nexit`), {}, bad);
    assert.equal(r2.r0, BigInt.asUintN(64, -22n));
  });

  it('snprintf writes a truncated, NUL-terminated string and returns the full length + 1', () => {
    const fmt = cstr('%08x|%-4d|%s');
    const mem = new Uint8Array(fmt.length + 8 + 3 * 8);
    mem.set(fmt);
    const dv = new DataView(mem.buffer);
    const data = fmt.length + 8;
    dv.setBigUint64(data, 0xbeefn, true);
    dv.setBigUint64(data + 8, 7n, true);
    const r = run(
      asm(`mov %r6, %r1
mov %r3, %r6
mov %r4, %r6
add %r4, ${data}
stdw [%r10-8], 0x6b6f
mov %r1, %r10
add %r1, -8
stxdw [%r4+16], %r1
mov %r1, %r6
add %r1, ${fmt.length}
mov %r2, 8
mov %r5, 24
call 165
exit`),
      {},
      mem,
    );
    const full = '0000beef|7   |ok';
    assert.equal(r.r0, BigInt(full.length + 1));
    assert.deepEqual(
      [...mem.subarray(fmt.length, fmt.length + 8)],
      [...new TextEncoder().encode(full.slice(0, 7)), 0],
    );
  });

  it('strtol and strtoul parse like the kernel helpers', () => {
    const parse = (text: string, flags: number, signed: boolean) => {
      const mem = new Uint8Array(text.length + 8);
      mem.set(new TextEncoder().encode(text));
      const r = run(
        asm(`mov %r4, %r1
add %r4, ${text.length}
mov %r2, ${text.length}
mov %r3, ${flags}
call ${signed ? 105 : 106}
exit`),
        {},
        mem,
      );
      return { ret: BigInt.asIntN(64, r.r0), res: new DataView(mem.buffer).getBigInt64(text.length, true) };
    };
    assert.deepEqual(parse('  -0x1F!', 0, true), { ret: 7n, res: -31n });
    assert.deepEqual(parse('0755', 0, false), { ret: 4n, res: 0o755n });
    assert.deepEqual(parse('-1', 10, false).ret, -22n);
    assert.deepEqual(parse('xyz', 10, true).ret, -22n);
    assert.deepEqual(parse('12', 7, true).ret, -22n);
    assert.deepEqual(parse('99999999999999999999', 10, true).ret, -34n);
  });

  it('probe_read_kernel copies, or zeroes the destination and returns -ERANGE / -EFAULT', () => {
    const probe = (addr: string) =>
      run(
        asm(`stdw [%r10-8], -1
stdw [%r10-16], 0x77
mov %r1, %r10
add %r1, -8
mov %r2, 8
${addr === 'stack' ? 'mov %r3, %r10\nadd %r3, -16' : `lddw %r3, ${addr}`}
call 113
ldxdw %r1, [%r10-8]
lsh %r0, 8
add %r0, %r1
exit`),
      ).r0;
    assert.equal(probe('0x1234'), BigInt.asUintN(64, -34n << 8n)); // user address: -ERANGE, zeroed
    assert.equal(probe('0xffff800000000000'), BigInt.asUintN(64, -14n << 8n)); // unmapped: -EFAULT
    assert.equal(probe('stack'), 0x77n);
  });

  it('current task, cpu, clocks and random numbers come from the env', () => {
    const env: EngineEnv = {
      cpu: 3,
      process: { pid: 10, tgid: 20, uid: 1000, gid: 100, comm: 'a-very-long-task-name' },
      ktimeNs: () => 123n,
      random: () => 0xdeadbeef,
    };
    const one = (id: number) => run(asm(`call ${id}\nexit`), env).r0;
    assert.equal(one(14), (20n << 32n) | 10n);
    assert.equal(one(15), (100n << 32n) | 1000n);
    assert.equal(one(8), 3n);
    assert.equal(one(5), 123n);
    assert.equal(one(7), 0xdeadbeefn);
    const r = run(asm('mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nldxdw %r0, [%r10-16]\nexit'), env);
    const want = new DataView(new TextEncoder().encode('a-very-l').buffer).getBigUint64(0, true);
    assert.equal(r.r0, want);
  });

  it('ring buffer records are writable until submitted, then gone', () => {
    const submitted: Uint8Array[] = [];
    const pending = new Map<number, Uint8Array>();
    let next = 1;
    const rb: EngineRingbuf = {
      reserve(size) {
        const data = new Uint8Array(size);
        pending.set(next, data);
        return { data, token: next++ };
      },
      submit(token) {
        submitted.push(pending.get(token)!);
      },
      discard() {},
      output() {
        return 0;
      },
      query() {
        return 4096n;
      },
    };
    const map: EngineMap = {
      id: 1,
      type: 27,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
      ringbuf: rb,
      lookup: () => undefined,
      update: () => -22,
      delete: () => -22,
    };
    const prog = `lddw %r1, map[fd:1]
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, +7
mov %r6, %r0
mov %r1, 0x77
stxdw [%r6], %r1
mov %r1, %r6
mov %r2, 0
call 132
EXTRA
mov %r0, 0
exit`;
    run(asm(prog.replace('EXTRA', 'mov %r0, 0')), {}, undefined, () => map);
    assert.equal(submitted.length, 1);
    assert.equal(submitted[0]![0], 0x77);
    const f = fault(() => run(asm(prog.replace('EXTRA', 'ldxdw %r0, [%r6]')), {}, undefined, () => map));
    assert.equal(f.kind, 'out_of_bounds');
  });

  it('sys_bpf hands the attr bytes and program memory to the env', () => {
    const seen: { cmd: number; attr: number[] }[] = [];
    const r = run(
      asm(`stdw [%r10-8], 0x0403
mov %r1, 5
mov %r2, %r10
add %r2, -8
mov %r3, 8
call 166
exit`),
      {
        sysBpf(cmd, attr, mem) {
          seen.push({ cmd, attr: [...attr] });
          assert.equal(mem.tryRead(0n, 1), undefined);
          return 42;
        },
      },
    );
    assert.equal(r.r0, 42n);
    assert.deepEqual(seen, [{ cmd: 5, attr: [3, 4, 0, 0, 0, 0, 0, 0] }]);
    assert.equal(
      run(asm('mov %r1, 0\nmov %r2, %r10\nadd %r2, -8\nmov %r3, 0\ncall 166\nexit')).r0,
      BigInt.asUintN(64, -22n),
    );
  });
});
