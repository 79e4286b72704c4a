/**
 * BPF_MAP_TYPE_LPM_TRIE on Linux and on the machine: the same random sequences of update (with
 * each flag), delete, lookup and GET_NEXT_KEY give the same results, errnos, values and
 * iteration order (the post-order walk of the trie's shape), for several key sizes and
 * max_entries small enough to hit ENOSPC; a program's lookups match too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const tryDo = (f: () => unknown): string => {
  try {
    const r = f();
    return `ok:${String(r)}`;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
};

/** Walks GET_NEXT_KEY from no key to the end (at most 2 * max entries steps). */
function walk(b: Backend, fd: number, keySize: number, limit: number): string[] {
  const out: string[] = [];
  let prev: Uint8Array | undefined;
  for (let i = 0; i < limit; i++) {
    const next = new Uint8Array(keySize);
    if (!b.mapGetNextKey(fd, prev, next)) break;
    out.push(Array.from(next).join('.'));
    prev = next;
  }
  return out;
}

/** One random session: the log of every answer, same on both backends. */
function session(b: Backend, seed: number, dataSize: number, maxEntries: number, ops: number): string[] {
  const keySize = 4 + dataSize;
  const r = rng(seed);
  const map = b.mapCreate({
    mapType: MapType.LPM_TRIE,
    keySize,
    valueSize: 8,
    maxEntries,
    mapFlags: MapFlag.NO_PREALLOC,
  });
  const log: string[] = [];
  // Prefixes from a small pool so that updates, deletes and lookups meet each other.
  const pool: Uint8Array[] = [];
  for (let i = 0; i < 12; i++) {
    const d = new Uint8Array(dataSize);
    for (let j = 0; j < dataSize; j++) d[j] = r() < 0.5 ? Math.floor(r() * 256) : (pool[0]?.[j] ?? 0xc0);
    pool.push(d);
  }
  const key = (): Uint8Array => {
    const k = new Uint8Array(keySize);
    const max = dataSize * 8;
    const plen = r() < 0.05 ? max + 1 + Math.floor(r() * 3) : Math.floor(r() * (max + 1));
    new DataView(k.buffer).setUint32(0, plen, true);
    k.set(pool[Math.floor(r() * pool.length)]!, 4);
    // random bits after the prefix (the trie ignores them but keeps them in the key it returns)
    if (r() < 0.3) k[4 + Math.floor(r() * dataSize)]! ^= 1 << Math.floor(r() * 8);
    return k;
  };
  try {
    for (let i = 0; i < ops; i++) {
      const k = key();
      const x = r();
      if (x < 0.45) {
        const v = new Uint8Array(8);
        new DataView(v.buffer).setUint32(0, i, true);
        const flags = r() < 0.7 ? 0 : r() < 0.5 ? 1 : r() < 0.8 ? 2 : 3;
        log.push(`u ${tryDo(() => b.mapUpdateElem(map.fd, k, v, flags))}`);
      } else if (x < 0.65) {
        log.push(`d ${tryDo(() => b.mapDeleteElem(map.fd, k))}`);
      } else if (x < 0.9) {
        const v = new Uint8Array(8);
        const got = tryDo(() => b.mapLookupElem(map.fd, k, v));
        log.push(`l ${got} ${new DataView(v.buffer).getUint32(0, true)}`);
      } else {
        const next = new Uint8Array(keySize);
        const got = tryDo(() => b.mapGetNextKey(map.fd, k, next));
        log.push(`n ${got} ${Array.from(next).join('.')}`);
      }
      if (i % 10 === 9) log.push(`w ${walk(b, map.fd, keySize, 4 * maxEntries + 4).join(' ')}`);
    }
  } finally {
    map.close();
  }
  return log;
}

test(
  'lpm_trie: random sessions give the same answers and iteration order on Linux and the machine',
  {
    skip: kernel.skip,
  },
  () => {
    const k = kernel.backend();
    const cases: [number, number, number][] = [
      [1, 8, 150],
      [2, 16, 200],
      [4, 32, 300],
      [3, 6, 200],
      [16, 24, 200],
    ];
    let seed = 7;
    for (const [dataSize, maxEntries, ops] of cases) {
      for (let rep = 0; rep < 4; rep++) {
        seed++;
        const want = session(k, seed, dataSize, maxEntries, ops);
        const got = session(new Machine(), seed, dataSize, maxEntries, ops);
        for (let i = 0; i < want.length; i++)
          assert.equal(got[i], want[i], `data ${dataSize} entries ${maxEntries} seed ${seed}: step ${i}`);
        assert.equal(got.length, want.length);
      }
    }
  },
);

/** A fixed trie, user-space lookups, a socket filter's lookups and batch commands: the log. */
function fixed(b: Backend): string[] {
  const log: string[] = [];
  const map = b.mapCreate({
    mapType: MapType.LPM_TRIE,
    keySize: 8,
    valueSize: 4,
    maxEntries: 16,
    mapFlags: MapFlag.NO_PREALLOC,
  });
  const key = (plen: number, a: number, bb: number, c: number, d: number): Uint8Array =>
    Uint8Array.from([plen, 0, 0, 0, a, bb, c, d]);
  const val = (n: number): Uint8Array => Uint8Array.from([n, 0, 0, 0]);
  const look = (k: Uint8Array): number => {
    const v = new Uint8Array(4);
    return b.mapLookupElem(map.fd, k, v) ? v[0]! : -1;
  };
  // A socket filter looks 10.1.2.3/32 up and returns the value (or 255 when absent).
  const prog = b.progLoad({
    progType: ProgType.SOCKET_FILTER,
    license: 'GPL',
    insns: encode(
      assembleLlvm(
        [
          'r1 = 0x0302010a00000020 ll',
          '*(u64 *)(r10 - 8) = r1',
          'r1 = map[idx:0] ll',
          'r2 = r10',
          'r2 += -8',
          'call 1',
          'if r0 == 0 goto miss',
          'r0 = *(u32 *)(r0 + 0)',
          'exit',
          'miss:',
          'r0 = 255',
          'exit',
        ].join('\n'),
      ),
    ),
    fdArray: Int32Array.from([map.fd]),
  });
  const runProg = (): number => b.progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64) }).retval;
  try {
    log.push(`prog empty ${runProg()}`);
    b.mapUpdateElem(map.fd, key(8, 10, 0, 0, 0), val(1));
    b.mapUpdateElem(map.fd, key(16, 10, 1, 0, 0), val(2));
    b.mapUpdateElem(map.fd, key(24, 10, 1, 2, 0), val(3));
    b.mapUpdateElem(map.fd, key(0, 0, 0, 0, 0), val(9));
    for (const k of [
      key(32, 10, 1, 2, 3),
      key(32, 10, 1, 3, 3),
      key(32, 10, 2, 3, 3),
      key(32, 11, 2, 3, 3),
      key(20, 10, 1, 2, 3),
      key(33, 10, 1, 2, 3),
    ])
      log.push(`lookup ${k.join('.')} ${look(k)}`);
    log.push(`prog ${runProg()}`);
    b.mapDeleteElem(map.fd, key(24, 10, 1, 2, 0));
    log.push(`prog after delete /24 ${runProg()}`);
    b.mapDeleteElem(map.fd, key(16, 10, 1, 0, 0));
    log.push(`prog after delete /16 ${runProg()}`);
    // batch: update three, look all up in batches of 2, delete two
    const keys = new Uint8Array([...key(12, 10, 16, 0, 0), ...key(28, 10, 1, 2, 16), ...key(4, 16, 0, 0, 0)]);
    const vals = new Uint8Array([...val(4), ...val(5), ...val(6)]);
    log.push(`update batch ${b.mapUpdateBatch({ mapFd: map.fd, keys, values: vals, count: 3 })}`);
    let inBatch: Uint8Array | undefined;
    for (let round = 0; round < 5; round++) {
      const outBatch = new Uint8Array(8);
      const ks = new Uint8Array(16);
      const vs = new Uint8Array(8);
      let r: { count: number; done: boolean };
      try {
        r = b.mapLookupBatch({ mapFd: map.fd, inBatch, outBatch, keys: ks, values: vs, count: 2 });
      } catch (e) {
        log.push(`lookup batch ${(e as BpfError).code}`);
        break;
      }
      log.push(
        `lookup batch ${r.count} ${r.done} ${ks.subarray(0, 8 * r.count).join('.')} ${vs.subarray(0, 4 * r.count).join('.')}`,
      );
      if (r.done) break;
      inBatch = outBatch;
    }
    log.push(`delete batch ${b.mapDeleteBatch({ mapFd: map.fd, keys, count: 2 })}`);
    log.push(`prog end ${runProg()}`);
  } finally {
    prog.close();
    map.close();
  }
  return log;
}

test(
  'lpm_trie: lookups from user space and from a program, batch commands: the same on Linux and the machine',
  {
    skip: kernel.skip,
  },
  () => {
    assert.deepEqual(fixed(new Machine()), fixed(kernel.backend()));
  },
);

test('lpm_trie: longest-prefix match on the machine', () => {
  const log = fixed(new Machine());
  assert.ok(log.includes('lookup 32.0.0.0.10.1.2.3 3'));
  assert.ok(log.includes('lookup 32.0.0.0.10.1.3.3 2'));
  assert.ok(log.includes('lookup 32.0.0.0.11.2.3.3 9'));
  assert.ok(log.includes('lookup 20.0.0.0.10.1.2.3 2'), 'a key matches prefixes up to its own length');
  assert.ok(log.includes('lookup 33.0.0.0.10.1.2.3 -1'), 'a key longer than the trie matches nothing');
  assert.deepEqual(
    log.filter((l) => l.startsWith('prog')),
    ['prog empty 255', 'prog 3', 'prog after delete /24 2', 'prog after delete /16 1', 'prog end 1'],
  );
});
