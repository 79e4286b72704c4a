/**
 * Differential test: random sequences of element operations (update with every flag, delete,
 * lookup, lookup-and-delete, a full iteration) run on the machine and on the kernel side by side;
 * every step must give the same answer (value or errno). Iteration is compared as a set of keys,
 * since the two hash functions order keys differently. LRU maps are left out: the kernel's
 * eviction order is an approximation the machine does not copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import type { MapCreateAttr } from '../../src/uapi/attrs.js';
import { MapType, ProgType } from '../../src/uapi/constants.js';
import { backends, possibleCpus } from './backends.js';

const kernelCase = backends().find((c) => c.name === 'kernel')!;
const CPUS = possibleCpus();

type Op =
  | { op: 'update'; key: number; value: number; flags: number }
  | { op: 'delete'; key: number }
  | { op: 'lookup'; key: number }
  | { op: 'lookupAndDelete'; key: number }
  | { op: 'iterate' };

const opArb = (keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({
      op: fc.constant('update' as const),
      key: fc.nat(keys - 1),
      value: fc.nat(0xffff),
      flags: fc.constantFrom(0, 1, 2, 3, 4),
    }),
    fc.record({ op: fc.constant('delete' as const), key: fc.nat(keys - 1) }),
    fc.record({ op: fc.constant('lookup' as const), key: fc.nat(keys - 1) }),
    fc.record({ op: fc.constant('lookupAndDelete' as const), key: fc.nat(keys - 1) }),
    fc.constant({ op: 'iterate' as const }),
  );

function attempt(f: () => string): string {
  try {
    return f();
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function apply(b: Backend, fd: number, attr: MapCreateAttr, op: Op): string {
  const keyless = attr.keySize === 0;
  const vsize =
    attr.mapType === MapType.PERCPU_ARRAY || attr.mapType === MapType.PERCPU_HASH ? 8 * CPUS : attr.valueSize;
  const key = (k: number): Uint8Array | undefined =>
    keyless ? undefined : new Uint8Array(new Uint32Array([k]).buffer);
  const val = (v: number): Uint8Array => {
    const out = new Uint8Array(vsize);
    for (let i = 0; i < vsize; i += 4) new DataView(out.buffer).setUint32(i, v + i, true);
    return out;
  };
  switch (op.op) {
    case 'update':
      return attempt(() => {
        b.mapUpdateElem(fd, key(op.key), val(op.value), op.flags);
        return 'ok';
      });
    case 'delete':
      return attempt(() => String(b.mapDeleteElem(fd, key(op.key) ?? new Uint8Array(0))));
    case 'lookup':
      return attempt(() => {
        const v = new Uint8Array(vsize);
        return b.mapLookupElem(fd, key(op.key), v) ? hex(v) : 'absent';
      });
    case 'lookupAndDelete':
      return attempt(() => {
        const v = new Uint8Array(vsize);
        return b.mapLookupAndDeleteElem(fd, key(op.key), v) ? hex(v) : 'absent';
      });
    case 'iterate':
      return attempt(() => {
        const seen: string[] = [];
        const k = new Uint8Array(attr.keySize);
        let prev: Uint8Array | undefined;
        while (seen.length < 1000 && b.mapGetNextKey(fd, prev, k)) {
          seen.push(hex(k));
          prev = k.slice();
        }
        return seen.sort().join(',');
      });
  }
}

const MAPS: [string, MapCreateAttr, number][] = [
  ['array', { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, 6],
  ['percpu_array', { mapType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, 6],
  ['hash', { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, 8],
  ['hash no_prealloc', { mapType: MapType.HASH, keySize: 4, valueSize: 12, maxEntries: 3, mapFlags: 1 }, 6],
  ['percpu_hash', { mapType: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, 8],
  ['queue', { mapType: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 }, 1],
  ['stack', { mapType: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 }, 1],
];

for (const [name, attr, keys] of MAPS) {
  test(`differential: ${name} on machine and kernel`, { skip: kernelCase.skip }, () => {
    const kernel = kernelCase.backend();
    fc.assert(
      fc.property(fc.array(opArb(keys), { maxLength: 24 }), (ops) => {
        const machine = new Machine({ cpus: CPUS });
        using mf = machine.mapCreate(attr);
        using kf = kernel.mapCreate(attr);
        for (const op of ops) {
          const m = apply(machine, mf.fd, attr, op);
          const k = apply(kernel, kf.fd, attr, op);
          assert.equal(m, k, `${JSON.stringify(op)} after ${JSON.stringify(ops.slice(0, ops.indexOf(op)))}`);
        }
      }),
      { numRuns: 200 },
    );
  });
}

/**
 * The program side: an XDP program reads [op, key, flags, -, -, -, -, -, value(u64)] from its
 * packet and calls bpf_map_update_elem (op 0), bpf_map_delete_elem (op 1) or
 * bpf_map_lookup_elem (op 2, returning the value's low 32 bits or -2 when absent).
 */
function helperProgram(mapFd: number): Insn[] {
  const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
  return [
    I(0xb7, 0, 0, 0, -1), // r0 = -1
    I(0x61, 6, 1, 0), // r6 = data
    I(0x61, 7, 1, 4), // r7 = data_end
    I(0xbf, 8, 6), // r8 = data
    I(0x07, 8, 0, 0, 16), // r8 += 16
    I(0x2d, 8, 7, 23), // if r8 > data_end goto exit
    I(0x71, 1, 6, 1), // r1 = key byte
    I(0x63, 10, 1, -4), // *(u32 *)(fp - 4) = key
    I(0x79, 1, 6, 8), // r1 = value
    I(0x7b, 10, 1, -16), // *(u64 *)(fp - 16) = value
    I(0x71, 9, 6, 0), // r9 = op
    I(0x71, 4, 6, 2), // r4 = flags
    { code: 0x18, dst: 1, src: 1, off: 0, imm: mapFd, imm2: 0 }, // r1 = map
    I(0xbf, 2, 10), // r2 = fp
    I(0x07, 2, 0, 0, -4), // r2 -= 4
    I(0x55, 9, 0, 4, 0), // if op != 0 goto +4
    I(0xbf, 3, 10), // r3 = fp
    I(0x07, 3, 0, 0, -16), // r3 -= 16
    I(0x85, 0, 0, 0, 2), // update
    I(0x05, 0, 0, 8, 0), // goto exit
    I(0x55, 9, 0, 2, 1), // if op != 1 goto +2
    I(0x85, 0, 0, 0, 3), // delete
    I(0x05, 0, 0, 5, 0), // goto exit
    I(0x85, 0, 0, 0, 1), // lookup
    I(0xbf, 1, 0), // r1 = r0
    I(0xb7, 0, 0, 0, -2), // r0 = -2
    I(0x15, 1, 0, 1, 0), // if r1 == 0 goto exit
    I(0x61, 0, 1, 0), // r0 = *(u32 *)(r1 + 0)
    I(0x95), // exit
  ];
}

const helperOp = fc.record({
  op: fc.constantFrom(0, 1, 2),
  key: fc.nat(7),
  flags: fc.constantFrom(0, 1, 2, 3, 4, 5, 6),
  value: fc.nat(0xffff),
});

for (const [name, attr] of [
  ['hash', { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }],
  ['array', { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 }],
  ['lru_hash', { mapType: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 64 }],
] as [string, MapCreateAttr][]) {
  test(`differential: program-side ${name} helpers on machine and kernel`, { skip: kernelCase.skip }, () => {
    const kernel = kernelCase.backend();
    const machine = new Machine({ cpus: CPUS });
    const setup = (b: Backend) => {
      const map = b.mapCreate(attr);
      const prog = b.progLoad({
        progType: ProgType.XDP,
        insns: encode(helperProgram(map.fd)),
        license: 'GPL',
      });
      return { map, prog };
    };
    fc.assert(
      fc.property(fc.array(helperOp, { maxLength: 20 }), (ops) => {
        const m = setup(machine);
        const k = setup(kernel);
        try {
          for (const op of ops) {
            const pkt = new Uint8Array(16);
            pkt[0] = op.op;
            pkt[1] = op.key;
            pkt[2] = op.flags;
            new DataView(pkt.buffer).setUint32(8, op.value, true);
            const rm = machine.progTestRun({ progFd: m.prog.fd, dataIn: pkt }).retval | 0;
            const rk = kernel.progTestRun({ progFd: k.prog.fd, dataIn: pkt }).retval | 0;
            assert.equal(
              rm,
              rk,
              `${JSON.stringify(op)} after ${JSON.stringify(ops.slice(0, ops.indexOf(op)))}`,
            );
          }
        } finally {
          for (const x of [m, k]) {
            x.prog.close();
            x.map.close();
          }
        }
      }),
      { numRuns: 100 },
    );
  });
}
