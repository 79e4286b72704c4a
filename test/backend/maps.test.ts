/**
 * The map behaviour suite, run against every backend (the machine always, the kernel when bpf(2)
 * works): creation checks and errnos, each map type's element semantics, iteration, batches,
 * access modes, freeze, the content hash, map-in-map and prog_array references, exclusive maps.
 * Every expectation here was observed on Linux 6.18; the machine must give the same answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapContentHash, progHash } from '../../src/hash/index.js';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { Fd } from '../../src/sys/fd.js';
import type { MapCreateAttr } from '../../src/uapi/attrs.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import { backends } from './backends.js';

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const u64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const rdU32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const rdU64 = (b: Uint8Array, off = 0): bigint =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);

/** 'ok' or the errno name the call failed with. */
function outcome(f: () => unknown): string {
  try {
    const r = f();
    if (r !== null && typeof r === 'object' && 'close' in r) (r as Fd).close();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

const EXIT: Insn = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
const MOV0: Insn = { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 };
const ldMap = (fd: number, reg = 1): Insn => ({ code: 0x18, dst: reg, src: 1, off: 0, imm: fd, imm2: 0 });

function loadFilter(b: Backend, insns: Insn[]): Fd {
  return b.progLoad({ progType: ProgType.SOCKET_FILTER, insns: encode(insns), license: 'GPL' });
}

const CREATE_CASES: [string, MapCreateAttr, string][] = [
  ['array', { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, 'ok'],
  ['array key 8', { mapType: MapType.ARRAY, keySize: 8, valueSize: 8, maxEntries: 4 }, 'EINVAL'],
  ['array no entries', { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 0 }, 'EINVAL'],
  ['array value 0', { mapType: MapType.ARRAY, keySize: 4, valueSize: 0, maxEntries: 1 }, 'EINVAL'],
  [
    'array mmapable',
    { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.MMAPABLE },
    'ok',
  ],
  [
    'array inner_map flag',
    { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.INNER_MAP },
    'ok',
  ],
  [
    'array no_prealloc',
    { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.NO_PREALLOC },
    'EINVAL',
  ],
  [
    'array rdonly|wronly',
    {
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
      mapFlags: MapFlag.RDONLY | MapFlag.WRONLY,
    },
    'EINVAL',
  ],
  [
    'array rdonly_prog|wronly_prog',
    {
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
      mapFlags: MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG,
    },
    'EINVAL',
  ],
  [
    'array map_extra',
    { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapExtra: 1n },
    'EINVAL',
  ],
  [
    'percpu_array mmapable',
    { mapType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.MMAPABLE },
    'EINVAL',
  ],
  [
    'percpu_array value 32k+1',
    { mapType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 32769, maxEntries: 1 },
    'E2BIG',
  ],
  ['hash', { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, 'ok'],
  ['hash key 0', { mapType: MapType.HASH, keySize: 0, valueSize: 8, maxEntries: 4 }, 'EINVAL'],
  [
    'hash key 4 MiB',
    { mapType: MapType.HASH, keySize: 4 * 1024 * 1024, valueSize: 4, maxEntries: 1 },
    'E2BIG',
  ],
  [
    'hash mmapable',
    { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.MMAPABLE },
    'EINVAL',
  ],
  [
    'hash inner_map flag',
    { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.INNER_MAP },
    'EINVAL',
  ],
  [
    'hash no_common_lru',
    { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.NO_COMMON_LRU },
    'EINVAL',
  ],
  [
    'hash 2^27 entries no_prealloc',
    {
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2 ** 27 + 1,
      mapFlags: MapFlag.NO_PREALLOC,
    },
    'E2BIG',
  ],
  [
    'hash zero_seed',
    { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.ZERO_SEED },
    'ok',
  ],
  [
    'lru_hash no_prealloc',
    { mapType: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: MapFlag.NO_PREALLOC },
    'ENOTSUPP',
  ],
  [
    'lru_percpu_hash no_common_lru',
    {
      mapType: MapType.LRU_PERCPU_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
      mapFlags: MapFlag.NO_COMMON_LRU,
    },
    'ok',
  ],
  ['queue', { mapType: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 }, 'ok'],
  ['queue key 4', { mapType: MapType.QUEUE, keySize: 4, valueSize: 4, maxEntries: 4 }, 'EINVAL'],
  [
    'stack no_prealloc',
    { mapType: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 4, mapFlags: MapFlag.NO_PREALLOC },
    'EINVAL',
  ],
  ['bloom', { mapType: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 16, mapExtra: 3n }, 'ok'],
  [
    'bloom map_extra 16',
    { mapType: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 16, mapExtra: 16n },
    'EINVAL',
  ],
  ['bloom value 0', { mapType: MapType.BLOOM_FILTER, keySize: 0, valueSize: 0, maxEntries: 16 }, 'EINVAL'],
  ['ringbuf 4096', { mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, 'ok'],
  ['ringbuf 12288', { mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 12288 }, 'EINVAL'],
  ['ringbuf 2048', { mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2048 }, 'EINVAL'],
  ['ringbuf key 4', { mapType: MapType.RINGBUF, keySize: 4, valueSize: 0, maxEntries: 4096 }, 'EINVAL'],
  [
    'ringbuf rdonly_prog',
    { mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, mapFlags: MapFlag.RDONLY_PROG },
    'EINVAL',
  ],
  ['prog_array value 8', { mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, 'EINVAL'],
  [
    'prog_array rdonly_prog',
    { mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: MapFlag.RDONLY_PROG },
    'EINVAL',
  ],
  [
    'array_of_maps inner fd 0',
    { mapType: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: 0 },
    'EINVAL',
  ],
  [
    'array_of_maps inner fd 999',
    { mapType: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, innerMapFd: 999 },
    'EBADF',
  ],
  ['unknown type 99', { mapType: 99, keySize: 4, valueSize: 4, maxEntries: 4 }, 'EINVAL'],
  ['bad name', { mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, mapName: 'a-b' }, 'EINVAL'],
  [
    'excl hash 31 bytes',
    { mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, exclProgHash: new Uint8Array(31) },
    'EINVAL',
  ],
  [
    'excl hash 32 bytes on a hash map',
    { mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1, exclProgHash: new Uint8Array(32) },
    'ok',
  ],
];

for (const bc of backends()) {
  describe(`maps on ${bc.name}`, { skip: bc.skip }, () => {
    const b = (): Backend => bc.backend();
    const mk = (a: MapCreateAttr): Fd => b().mapCreate(a);

    test('MAP_CREATE checks and errnos', () => {
      const got = CREATE_CASES.map(([name, attr]) => [name, outcome(() => mk(attr))]);
      assert.deepEqual(
        got,
        CREATE_CASES.map(([name, , want]) => [name, want]),
      );
    });

    test('LRU with BPF_F_NO_COMMON_LRU rounds max_entries to a multiple of the CPUs', () => {
      using m = mk({
        mapType: MapType.LRU_PERCPU_HASH,
        keySize: 4,
        valueSize: 4,
        maxEntries: 3,
        mapFlags: MapFlag.NO_COMMON_LRU,
      });
      const info = b().objGetInfoByFd(m.fd, { kind: 'map' });
      assert.equal(info.maxEntries, Math.ceil(3 / bc.cpus) * bc.cpus);
    });

    test('map info reports the attributes; RDONLY/WRONLY are fd properties, not map flags', () => {
      using m = mk({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: 12,
        maxEntries: 3,
        mapFlags: MapFlag.RDONLY | MapFlag.MMAPABLE,
        mapName: 'info_t',
      });
      const i = b().objGetInfoByFd(m.fd, { kind: 'map' });
      assert.deepEqual(
        [i.type, i.keySize, i.valueSize, i.maxEntries, i.mapFlags, i.name],
        [MapType.ARRAY, 4, 12, 3, MapFlag.MMAPABLE, 'info_t'],
      );
      assert.ok(i.id > 0);
    });

    test('array: fixed slots, EEXIST/E2BIG/EINVAL, next-key walk', () => {
      using m = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 3 });
      const v = new Uint8Array(8);
      assert.equal(b().mapLookupElem(m.fd, u32(2), v), true);
      assert.deepEqual(v, new Uint8Array(8));
      assert.equal(b().mapLookupElem(m.fd, u32(3), v), false);
      b().mapUpdateElem(m.fd, u32(1), u64(0x1122334455n));
      assert.equal(b().mapLookupElem(m.fd, u32(1), v), true);
      assert.equal(rdU64(v), 0x1122334455n);
      b().mapUpdateElem(m.fd, u32(1), u64(7n), 2);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(1), u64(7n), 1)),
        'EEXIST',
      );
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(3), u64(7n))),
        'E2BIG',
      );
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(0), u64(7n), 3)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(0), u64(7n), 4)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => b().mapDeleteElem(m.fd, u32(0))),
        'EINVAL',
      );
      assert.equal(
        outcome(() => b().mapLookupElem(m.fd, undefined, v)),
        'EFAULT',
      );
      assert.equal(
        outcome(() => b().mapLookupElem(m.fd, u32(0), v, 8)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => b().mapLookupAndDeleteElem(m.fd, u32(0), v)),
        'ENOTSUPP',
      );
      const k = new Uint8Array(4);
      const walk: number[] = [];
      let prev: Uint8Array | undefined;
      while (b().mapGetNextKey(m.fd, prev, k)) {
        walk.push(rdU32(k));
        prev = k.slice();
      }
      assert.deepEqual(walk, [0, 1, 2]);
      assert.equal(b().mapGetNextKey(m.fd, u32(99), k), true);
      assert.equal(rdU32(k), 0);
    });

    test('percpu_array: one round_up(value_size, 8) slot per possible CPU, padding included', () => {
      using m = mk({ mapType: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      const n = bc.cpus;
      const v = new Uint8Array(8 * n);
      for (let c = 0; c < n; c++) new DataView(v.buffer).setUint32(c * 8, 100 + c, true);
      v[4] = 0xee;
      b().mapUpdateElem(m.fd, u32(1), v);
      const out = new Uint8Array(8 * n).fill(0xff);
      assert.equal(b().mapLookupElem(m.fd, u32(1), out), true);
      for (let c = 0; c < n; c++) {
        assert.equal(rdU32(out, c * 8), 100 + c);
        assert.equal(rdU32(out, c * 8 + 4), c === 0 ? 0xee : 0, 'the padding is copied too (whole words)');
      }
    });

    test('hash: flags, full map, iteration, lookup-and-delete', () => {
      using m = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
      const v = new Uint8Array(8);
      assert.equal(b().mapLookupElem(m.fd, u32(1), v), false);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(1), u64(1n), 2)),
        'ENOENT',
      );
      for (let i = 1; i <= 4; i++) b().mapUpdateElem(m.fd, u32(i), u64(BigInt(i * 10)), 1);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(1), u64(1n), 1)),
        'EEXIST',
      );
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(5), u64(1n))),
        'E2BIG',
      );
      b().mapUpdateElem(m.fd, u32(4), u64(44n), 2);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(4), u64(44n), 3)),
        'EINVAL',
      );
      const keys: number[] = [];
      const k = new Uint8Array(4);
      let prev: Uint8Array | undefined;
      while (b().mapGetNextKey(m.fd, prev, k)) {
        keys.push(rdU32(k));
        prev = k.slice();
      }
      assert.deepEqual(keys.sort(), [1, 2, 3, 4]);
      assert.equal(b().mapGetNextKey(m.fd, u32(77), k), true, 'unknown key restarts at the first');
      assert.equal(b().mapLookupAndDeleteElem(m.fd, u32(4), v), true);
      assert.equal(rdU64(v), 44n);
      assert.equal(b().mapLookupAndDeleteElem(m.fd, u32(4), v), false);
      assert.equal(b().mapDeleteElem(m.fd, u32(3)), true);
      assert.equal(b().mapDeleteElem(m.fd, u32(3)), false);
      b().mapUpdateElem(m.fd, u32(9), u64(9n));
    });

    test('percpu_hash and lru_percpu_hash: per-CPU values from user space', () => {
      for (const t of [MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]) {
        using m = mk({ mapType: t, keySize: 2, valueSize: 2, maxEntries: 4 });
        const v = new Uint8Array(8 * bc.cpus);
        for (let c = 0; c < bc.cpus; c++) v[c * 8] = c + 1;
        b().mapUpdateElem(m.fd, new Uint8Array([1, 2]), v);
        const out = new Uint8Array(8 * bc.cpus);
        assert.equal(b().mapLookupElem(m.fd, new Uint8Array([1, 2]), out), true);
        assert.deepEqual(out, v);
        assert.equal(
          outcome(() => b().mapUpdateElem(m.fd, new Uint8Array([1, 2]), v, 4)),
          'EINVAL',
        );
      }
    });

    test('lru_hash: never E2BIG; at most max_entries; the newest key stays', () => {
      using m = mk({ mapType: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
      for (let i = 0; i < 64; i++) b().mapUpdateElem(m.fd, u32(i), u64(BigInt(i)));
      let n = 0;
      const k = new Uint8Array(4);
      let prev: Uint8Array | undefined;
      while (b().mapGetNextKey(m.fd, prev, k)) {
        n++;
        prev = k.slice();
      }
      assert.ok(n > 0 && n <= 16, `${n} elements`);
      const v = new Uint8Array(8);
      assert.equal(b().mapLookupElem(m.fd, u32(63), v), true);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(63), u64(1n), 1)),
        'EEXIST',
      );
    });

    test('queue and stack: push, peek, pop, overwrite with BPF_EXIST, errnos', () => {
      for (const t of [MapType.QUEUE, MapType.STACK]) {
        using m = mk({ mapType: t, keySize: 0, valueSize: 4, maxEntries: 3 });
        const v = new Uint8Array(4);
        assert.equal(b().mapLookupElem(m.fd, undefined, v), false);
        assert.equal(b().mapLookupAndDeleteElem(m.fd, undefined, v), false);
        for (const x of [1, 2, 3]) b().mapUpdateElem(m.fd, undefined, u32(x));
        assert.equal(
          outcome(() => b().mapUpdateElem(m.fd, undefined, u32(4))),
          'E2BIG',
        );
        assert.equal(
          outcome(() => b().mapUpdateElem(m.fd, undefined, u32(4), 1)),
          'EINVAL',
        );
        b().mapUpdateElem(m.fd, undefined, u32(4), 2);
        assert.equal(b().mapLookupElem(m.fd, undefined, v), true);
        assert.equal(rdU32(v), t === MapType.QUEUE ? 2 : 4);
        const popped: number[] = [];
        while (b().mapLookupAndDeleteElem(m.fd, undefined, v)) popped.push(rdU32(v));
        assert.deepEqual(popped, t === MapType.QUEUE ? [2, 3, 4] : [4, 3, 2]);
        assert.equal(
          outcome(() => b().mapLookupElem(m.fd, u32(0), v)),
          'EINVAL',
        );
        assert.equal(
          outcome(() => b().mapGetNextKey(m.fd, undefined, v)),
          'EINVAL',
        );
        assert.equal(
          outcome(() => b().mapLookupAndDeleteElem(m.fd, undefined, v, 4)),
          'EINVAL',
        );
      }
    });

    test('bloom filter: added values are found; no delete or iteration', () => {
      using m = mk({ mapType: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 64 });
      for (let i = 0; i < 20; i++) b().mapUpdateElem(m.fd, undefined, u32(i * 7919));
      for (let i = 0; i < 20; i++) assert.equal(b().mapLookupElem(m.fd, undefined, u32(i * 7919)), true);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, undefined, u32(1), 2)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => b().mapGetNextKey(m.fd, undefined, new Uint8Array(4))),
        'EOPNOTSUPP',
      );
      assert.equal(
        outcome(() => b().mapLookupAndDeleteElem(m.fd, undefined, u32(0))),
        'ENOTSUPP',
      );
    });

    test('ringbuf: element commands are not supported; it can be frozen', () => {
      using m = mk({ mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
      const v = new Uint8Array(8);
      assert.equal(
        outcome(() => b().mapLookupElem(m.fd, undefined, v)),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, undefined, v)),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() => b().mapGetNextKey(m.fd, undefined, v)),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() => b().mapLookupAndDeleteElem(m.fd, undefined, v)),
        'ENOTSUPP',
      );
      b().mapFreeze(m.fd);
    });

    test('fd access modes: RDONLY refuses writes, WRONLY refuses reads', () => {
      using ro = mk({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        mapFlags: MapFlag.RDONLY,
      });
      using wo = mk({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        mapFlags: MapFlag.WRONLY,
      });
      const v = new Uint8Array(4);
      assert.equal(b().mapLookupElem(ro.fd, u32(0), v), true);
      assert.equal(b().mapGetNextKey(ro.fd, undefined, v), true);
      assert.equal(
        outcome(() => b().mapUpdateElem(ro.fd, u32(0), v)),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapFreeze(ro.fd)),
        'EPERM',
      );
      b().mapUpdateElem(wo.fd, u32(0), v);
      assert.equal(
        outcome(() => b().mapLookupElem(wo.fd, u32(0), v)),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapGetNextKey(wo.fd, undefined, v)),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapLookupBatch({ mapFd: wo.fd, keys: new Uint8Array(4), values: v, count: 1 })),
        'EPERM',
      );
      b().mapFreeze(wo.fd);
    });

    test('freeze: syscall writes refused with EPERM (a second freeze too), reads allowed', () => {
      using m = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      b().mapUpdateElem(m.fd, u32(1), u32(1));
      b().mapFreeze(m.fd);
      const v = new Uint8Array(4);
      assert.equal(b().mapLookupElem(m.fd, u32(1), v), true);
      assert.equal(
        outcome(() => b().mapUpdateElem(m.fd, u32(2), u32(2))),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapDeleteElem(m.fd, u32(1))),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapLookupAndDeleteElem(m.fd, u32(1), v)),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapUpdateBatch({ mapFd: m.fd, keys: u32(3), values: u32(3), count: 1 })),
        'EPERM',
      );
      assert.equal(
        outcome(() => b().mapFreeze(m.fd)),
        'EPERM',
      );
    });

    test('content hash: frozen arrays only (EPERM unfrozen, EINVAL other types or sizes)', () => {
      using a = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 3 });
      const vals = new Uint8Array(36);
      for (let i = 0; i < 3; i++) {
        const v = new Uint8Array(12).map((_, j) => i * 16 + j + 1);
        vals.set(v, i * 12);
        b().mapUpdateElem(a.fd, u32(i), v);
      }
      assert.equal(
        outcome(() => b().objGetInfoByFd(a.fd, { kind: 'map', hash: new Uint8Array(32) })),
        'EPERM',
      );
      b().mapFreeze(a.fd);
      const h = new Uint8Array(32);
      b().objGetInfoByFd(a.fd, { kind: 'map', hash: h });
      assert.deepEqual(h, mapContentHash(vals, 12, 3));
      assert.equal(
        outcome(() => b().objGetInfoByFd(a.fd, { kind: 'map', hash: new Uint8Array(16) })),
        'EINVAL',
      );
      using hm = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      b().mapFreeze(hm.fd);
      assert.equal(
        outcome(() => b().objGetInfoByFd(hm.fd, { kind: 'map', hash: new Uint8Array(32) })),
        'EINVAL',
      );
    });

    test('batch on arrays: generic next-key cursor, ENOENT at the end, no delete batch', () => {
      using m = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      const ks = new Uint8Array(16);
      const vs = new Uint8Array(16);
      for (let i = 0; i < 4; i++) {
        ks.set(u32(i), i * 4);
        vs.set(u32(100 + i), i * 4);
      }
      assert.equal(b().mapUpdateBatch({ mapFd: m.fd, keys: ks, values: vs, count: 4 }), 4);
      assert.equal(
        outcome(() => b().mapUpdateBatch({ mapFd: m.fd, keys: ks, values: vs, count: 1, elemFlags: 1n })),
        'EINVAL',
      );
      const ob = new Uint8Array(4);
      const k2 = new Uint8Array(8);
      const v2 = new Uint8Array(8);
      assert.deepEqual(b().mapLookupBatch({ mapFd: m.fd, keys: k2, values: v2, outBatch: ob, count: 2 }), {
        count: 2,
        done: false,
      });
      assert.deepEqual([rdU32(ob), rdU32(v2, 4)], [1, 101]);
      const k3 = new Uint8Array(16);
      const v3 = new Uint8Array(16);
      assert.deepEqual(
        b().mapLookupBatch({
          mapFd: m.fd,
          inBatch: ob.slice(),
          keys: k3,
          values: v3,
          outBatch: ob,
          count: 4,
        }),
        { count: 2, done: true },
      );
      assert.deepEqual([rdU32(k3), rdU32(v3, 4), rdU32(ob)], [2, 103, 3]);
      assert.deepEqual(b().mapLookupBatch({ mapFd: m.fd, keys: k3, values: v3, count: 0 }), {
        count: 0,
        done: false,
      });
      assert.equal(
        outcome(() => b().mapDeleteBatch({ mapFd: m.fd, keys: ks, count: 1 })),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() =>
          b().mapLookupAndDeleteBatch({ mapFd: m.fd, keys: ks, values: vs, outBatch: ob, count: 1 }),
        ),
        'ENOTSUPP',
      );
      const bad = ks.slice();
      bad.set(u32(9), 4);
      assert.equal(
        outcome(() => b().mapUpdateBatch({ mapFd: m.fd, keys: bad, values: vs, count: 2 })),
        'E2BIG',
      );
    });

    test('batch on hashes: bucket cursor visits every element; lookup-and-delete empties', () => {
      using m = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 64 });
      const n = 40;
      const ks = new Uint8Array(4 * n);
      const vs = new Uint8Array(4 * n);
      for (let i = 0; i < n; i++) {
        ks.set(u32(i * 3 + 1), i * 4);
        vs.set(u32(i), i * 4);
      }
      assert.equal(b().mapUpdateBatch({ mapFd: m.fd, keys: ks, values: vs, count: n }), n);
      assert.equal(
        outcome(() => b().mapLookupBatch({ mapFd: m.fd, keys: ks, values: vs, count: 4, flags: 1n })),
        'EINVAL',
      );
      const seen = new Map<number, number>();
      let cursor: Uint8Array | undefined;
      for (let round = 0; round < 100; round++) {
        const keys = new Uint8Array(4 * 16);
        const vals = new Uint8Array(4 * 16);
        const ob = new Uint8Array(4);
        const r = b().mapLookupBatch({
          mapFd: m.fd,
          inBatch: cursor,
          keys,
          values: vals,
          outBatch: ob,
          count: 16,
        });
        for (let i = 0; i < r.count; i++) seen.set(rdU32(keys, i * 4), rdU32(vals, i * 4));
        if (r.done) break;
        cursor = ob.slice();
      }
      assert.equal(seen.size, n);
      for (let i = 0; i < n; i++) assert.equal(seen.get(i * 3 + 1), i);
      const del = new Uint8Array(8);
      del.set(u32(1), 0);
      del.set(u32(4), 4);
      assert.equal(b().mapDeleteBatch({ mapFd: m.fd, keys: del, count: 2 }), 2);
      assert.equal(
        outcome(() => b().mapDeleteBatch({ mapFd: m.fd, keys: del, count: 1 })),
        'ENOENT',
      );
      let total = 0;
      cursor = undefined;
      for (let round = 0; round < 100; round++) {
        const keys = new Uint8Array(4 * 64);
        const vals = new Uint8Array(4 * 64);
        const ob = new Uint8Array(4);
        const r = b().mapLookupAndDeleteBatch({
          mapFd: m.fd,
          inBatch: cursor,
          keys,
          values: vals,
          outBatch: ob,
          count: 64,
        });
        total += r.count;
        if (r.done) break;
        cursor = ob.slice();
      }
      assert.equal(total, n - 2);
      assert.equal(b().mapGetNextKey(m.fd, undefined, new Uint8Array(4)), false);
    });

    test('map-in-map: template checks, inner maps held by the outer map, ids from lookups', () => {
      const bk = b();
      const inner = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      using outer = mk({
        mapType: MapType.ARRAY_OF_MAPS,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        innerMapFd: inner.fd,
      });
      using hom = mk({
        mapType: MapType.HASH_OF_MAPS,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        innerMapFd: inner.fd,
      });
      assert.equal(
        outcome(() =>
          mk({
            mapType: MapType.ARRAY_OF_MAPS,
            keySize: 4,
            valueSize: 4,
            maxEntries: 2,
            innerMapFd: outer.fd,
          }),
        ),
        'EINVAL',
      );
      using pa = mk({ mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      assert.equal(
        outcome(() =>
          mk({ mapType: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: pa.fd }),
        ),
        'ENOTSUPP',
      );
      const innerId = bk.objGetInfoByFd(inner.fd, { kind: 'map' }).id;
      bk.mapUpdateElem(outer.fd, u32(0), u32(inner.fd));
      assert.equal(
        outcome(() => bk.mapUpdateElem(outer.fd, u32(1), u32(inner.fd), 1)),
        'EINVAL',
      );
      bk.mapUpdateElem(hom.fd, u32(7), u32(inner.fd), 1);
      assert.equal(
        outcome(() => bk.mapUpdateElem(hom.fd, u32(7), u32(inner.fd), 1)),
        'EEXIST',
      );
      const id = new Uint8Array(4);
      assert.equal(bk.mapLookupElem(outer.fd, u32(0), id), true);
      assert.equal(rdU32(id), innerId);
      assert.equal(bk.mapLookupElem(outer.fd, u32(1), id), false);
      assert.equal(
        outcome(() => bk.mapLookupAndDeleteElem(hom.fd, u32(7), id)),
        'ENOTSUPP',
      );
      using wrongSize = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
      assert.equal(
        outcome(() => bk.mapUpdateElem(outer.fd, u32(1), u32(wrongSize.fd))),
        'EINVAL',
      );
      using wrongEntries = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 5 });
      assert.equal(
        outcome(() => bk.mapUpdateElem(outer.fd, u32(1), u32(wrongEntries.fd))),
        'EINVAL',
      );
      using excl = mk({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: 4,
        maxEntries: 4,
        exclProgHash: new Uint8Array(32),
      });
      assert.equal(
        outcome(() => bk.mapUpdateElem(outer.fd, u32(1), u32(excl.fd))),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() =>
          mk({
            mapType: MapType.ARRAY_OF_MAPS,
            keySize: 4,
            valueSize: 4,
            maxEntries: 2,
            innerMapFd: excl.fd,
          }),
        ),
        'ENOTSUPP',
      );
      assert.equal(
        outcome(() => bk.mapUpdateElem(outer.fd, u32(1), u32(pa.fd))),
        'EINVAL',
      );
      // The outer maps keep the inner map alive after its fd is closed.
      inner.close();
      using again = bk.mapGetFdById(innerId);
      assert.equal(bk.objGetInfoByFd(again.fd, { kind: 'map' }).id, innerId);
      const ids = new Uint8Array(8);
      const keys = new Uint8Array(8);
      assert.equal(
        outcome(() => bk.mapLookupBatch({ mapFd: outer.fd, keys, values: ids, count: 2 })),
        'EFAULT',
      );
      const ob = new Uint8Array(4);
      assert.deepEqual(bk.mapLookupBatch({ mapFd: outer.fd, keys, values: ids, outBatch: ob, count: 2 }), {
        count: 1,
        done: true,
      });
      assert.equal(rdU32(ids), innerId);
    });

    test('inner map is freed when the last outer slot and fd go', () => {
      const bk = b();
      const tmpl = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      using outer = mk({
        mapType: MapType.HASH_OF_MAPS,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        innerMapFd: tmpl.fd,
      });
      const inner = mk({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 99 });
      const id = bk.objGetInfoByFd(inner.fd, { kind: 'map' }).id;
      bk.mapUpdateElem(outer.fd, u32(1), u32(inner.fd));
      inner.close();
      tmpl.close();
      bk.mapGetFdById(id).close();
      assert.equal(bk.mapDeleteElem(outer.fd, u32(1)), true);
      // Freed asynchronously by the kernel (RCU): wait until the id is gone.
      let state = 'ok';
      for (let i = 0; i < 200 && state === 'ok'; i++) {
        state = outcome(() => bk.mapGetFdById(id));
        if (state === 'ok') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      assert.equal(state, 'ENOENT');
    });

    test('prog_array: fds in, ids out; emptied when its last user reference goes', () => {
      const bk = b();
      using p = loadFilter(bk, [MOV0, EXIT]);
      const progId = bk.objGetInfoByFd(p.fd, { kind: 'prog' }).id;
      const pa = mk({ mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      const paId = bk.objGetInfoByFd(pa.fd, { kind: 'map' }).id;
      bk.mapUpdateElem(pa.fd, u32(2), u32(p.fd));
      assert.equal(
        outcome(() => bk.mapUpdateElem(pa.fd, u32(1), u32(p.fd), 1)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => bk.mapUpdateElem(pa.fd, u32(4), u32(p.fd))),
        'E2BIG',
      );
      assert.equal(
        outcome(() => bk.mapUpdateElem(pa.fd, u32(1), u32(pa.fd))),
        'EINVAL',
      );
      assert.equal(
        outcome(() => bk.mapUpdateElem(pa.fd, u32(1), u32(999))),
        'EBADF',
      );
      const v = new Uint8Array(4);
      assert.equal(bk.mapLookupElem(pa.fd, u32(2), v), true);
      assert.equal(rdU32(v), progId);
      assert.equal(bk.mapLookupElem(pa.fd, u32(1), v), false);
      assert.equal(bk.mapDeleteElem(pa.fd, u32(1)), false);
      assert.equal(
        outcome(() => bk.mapDeleteElem(pa.fd, u32(9))),
        'E2BIG',
      );
      assert.equal(
        outcome(() => bk.mapLookupBatch({ mapFd: pa.fd, keys: v, values: v, count: 1 })),
        'ENOTSUPP',
      );
      // A program that uses the prog_array keeps the map alive, not its slots.
      using user = loadFilter(bk, [ldMap(pa.fd, 2), MOV0, EXIT]);
      pa.close();
      using pa2 = bk.mapGetFdById(paId);
      // The kernel clears the slots from a work item: wait for it.
      let present = true;
      for (let i = 0; i < 200 && present; i++) {
        present = bk.mapLookupElem(pa2.fd, u32(2), v);
        if (present) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      assert.equal(present, false, 'slots are cleared with the last fd');
      bk.mapUpdateElem(pa2.fd, u32(0), u32(p.fd));
      assert.equal(bk.mapLookupElem(pa2.fd, u32(0), v), true);
      void user;
    });

    test('pins: OBJ_PIN / OBJ_GET keep the map; EEXIST; ENOENT after unlink', () => {
      const bk = b();
      const dir = bc.pinDir('maps');
      const m = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      const id = bk.objGetInfoByFd(m.fd, { kind: 'map' }).id;
      bk.mapUpdateElem(m.fd, u32(0), u32(42));
      bk.objPin({ pathname: `${dir}/m`, bpfFd: m.fd });
      assert.equal(
        outcome(() => bk.objPin({ pathname: `${dir}/m`, bpfFd: m.fd })),
        'EEXIST',
      );
      m.close();
      using got = bk.objGet({ pathname: `${dir}/m` });
      assert.equal(bk.objGetInfoByFd(got.fd, { kind: 'map' }).id, id);
      const v = new Uint8Array(4);
      bk.mapLookupElem(got.fd, u32(0), v);
      assert.equal(rdU32(v), 42);
      using ro = bk.objGet({ pathname: `${dir}/m`, fileFlags: 8 });
      assert.equal(
        outcome(() => bk.mapUpdateElem(ro.fd, u32(0), v)),
        'EPERM',
      );
      assert.equal(
        outcome(() => bk.objGet({ pathname: `${dir}/m`, fileFlags: 24 })),
        'EINVAL',
      );
      bc.unpin(`${dir}/m`);
      assert.equal(
        outcome(() => bk.objGet({ pathname: `${dir}/m` })),
        'ENOENT',
      );
    });

    test('GET_FD_BY_ID and GET_NEXT_ID (as root): open flags, ENOENT', () => {
      const bk = b();
      using m = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      const id = bk.objGetInfoByFd(m.fd, { kind: 'map' }).id;
      assert.equal(
        outcome(() => bk.mapGetFdById(id, 24)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => bk.mapGetFdById(id, 1)),
        'EINVAL',
      );
      assert.equal(
        outcome(() => bk.mapGetFdById(0x7ffffff0)),
        'ENOENT',
      );
      using ro = bk.mapGetFdById(id, 8);
      assert.equal(
        outcome(() => bk.mapUpdateElem(ro.fd, u32(0), u32(1))),
        'EPERM',
      );
      const ids: number[] = [];
      let cur = 0;
      for (let next = bk.mapGetNextId(cur); next !== undefined; next = bk.mapGetNextId(cur)) {
        ids.push(next);
        cur = next;
      }
      assert.ok(ids.includes(id));
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
      );
    });

    test('exclusive maps: only the program with the hash loads (EACCES and the log line)', () => {
      const bk = b();
      const other = [MOV0, EXIT];
      // The program hash leaves the map fd out, so it can be computed before the map exists.
      const owner = [ldMap(0, 1), MOV0, EXIT];
      for (const t of [MapType.ARRAY, MapType.HASH, MapType.QUEUE]) {
        const attr: MapCreateAttr =
          t === MapType.QUEUE
            ? { mapType: t, keySize: 0, valueSize: 4, maxEntries: 4 }
            : { mapType: t, keySize: 4, valueSize: 4, maxEntries: 4 };
        using m = mk({ ...attr, exclProgHash: progHash(encode(owner)) });
        const mine = [ldMap(m.fd, 1), MOV0, EXIT];
        using ok = loadFilter(bk, mine);
        assert.ok(ok.fd > 0);
        const intruder = [ldMap(m.fd, 1), ldMap(m.fd, 2), ...other];
        assert.throws(
          () => loadFilter(bk, intruder),
          (e: unknown) =>
            e instanceof VerifierError &&
            e.code === 'EACCES' &&
            e.log.includes("program's hash doesn't match map's excl_prog_hash"),
        );
      }
    });

    test('exclusive outer map of a map-in-map; its inner maps are ordinary', () => {
      const bk = b();
      using inner = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      const owner = [ldMap(0, 1), MOV0, EXIT];
      using outer = mk({
        mapType: MapType.ARRAY_OF_MAPS,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        innerMapFd: inner.fd,
        exclProgHash: progHash(encode(owner)),
      });
      bk.mapUpdateElem(outer.fd, u32(0), u32(inner.fd));
      using ok = loadFilter(bk, [ldMap(outer.fd, 1), MOV0, EXIT]);
      assert.equal(
        outcome(() => loadFilter(bk, [ldMap(outer.fd, 3), MOV0, EXIT])),
        'EACCES',
      );
      using innerUser = loadFilter(bk, [ldMap(inner.fd, 3), MOV0, EXIT]);
      void ok;
      void innerUser;
    });

    test('exclusivity with fd_array: fd_array_cnt maps are checked against a zero digest (Linux 6.18)', () => {
      const bk = b();
      const insns = encode([{ code: 0x18, dst: 1, src: 5, off: 0, imm: 0, imm2: 0 }, MOV0, EXIT]);
      const load = (exclProgHash: Uint8Array, cnt: boolean) => {
        using m = mk({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, exclProgHash });
        return outcome(() =>
          bk.progLoad({
            progType: ProgType.SOCKET_FILTER,
            insns,
            license: 'GPL',
            fdArray: new Int32Array([m.fd]),
            fdArrayCnt: cnt,
          }),
        );
      };
      const zero = new Uint8Array(32);
      const real = progHash(insns);
      // Sparse fd_array: MAP_IDX is checked against the program's hash.
      assert.equal(load(real, false), 'ok');
      assert.equal(load(zero, false), 'EACCES');
      // fd_array_cnt: the map is checked before the digest exists, i.e. against zeros.
      assert.equal(load(real, true), 'EACCES', 'the right hash is refused through fd_array_cnt');
      assert.equal(load(zero, true), 'ok', 'an all-zero hash admits any program through fd_array_cnt');
    });
  });
}
