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
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import type { MapCreateAttr } from '../../src/uapi/attrs.js';
import { MapType } from '../../src/uapi/constants.js';
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
