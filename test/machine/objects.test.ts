/**
 * The machine's object model beyond what the shared suites can check on the host kernel:
 * processes and their fd tables, privileges and the unprivileged knob (the host runs the tests as
 * root with the knob at 2), reference counts and freeing, the bpffs, the kernel profile's
 * exclusivity switch, ring buffers read from user space, trace_printk, and the demo.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progHash } from '../../src/hash/index.js';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { demoMapCounter, Machine } from '../../src/machine/index.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { MapType, ProgFlag, ProgType } from '../../src/uapi/constants.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95);
const MOV0 = I(0xb7);
const ld64 = (dst: number, src: number, imm: number): Insn => ({
  code: 0x18,
  dst,
  src,
  off: 0,
  imm,
  imm2: 0,
});
const ARRAY = { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };

function code(f: () => unknown): string {
  try {
    const r = f();
    if (r !== null && typeof r === 'object' && 'close' in r) (r as { close(): void }).close();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

test('unprivileged processes: ids need CAP_SYS_ADMIN; the knob; which types they may use', () => {
  const m = new Machine();
  using map = m.mapCreate(ARRAY);
  const id = m.objGetInfoByFd(map.fd, { kind: 'map' }).id;
  const user = m.process({ caps: [] });
  assert.equal(
    code(() => user.mapGetNextId(0)),
    'EPERM',
  );
  assert.equal(
    code(() => user.progGetNextId(0)),
    'EPERM',
  );
  assert.equal(
    code(() => user.mapGetFdById(id)),
    'EPERM',
  );
  assert.equal(
    code(() => user.mapGetFdById(id, 1)),
    'EINVAL',
    'unknown open flags are checked before privileges',
  );
  assert.equal(
    code(() => user.mapGetFdById(id, 24)),
    'EPERM',
    'RDONLY|WRONLY is checked after them',
  );
  // Default knob (2): nothing for unprivileged users.
  assert.equal(m.sysctl.unprivilegedBpfDisabled, 2);
  assert.equal(
    code(() => user.mapCreate(ARRAY)),
    'EPERM',
  );
  assert.equal(
    code(() => user.mapCreate({ ...ARRAY, keySize: 8 })),
    'EINVAL',
    'attr checks come first',
  );
  m.sysctl.unprivilegedBpfDisabled = 0;
  const allowed = [MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH];
  for (const t of allowed)
    assert.equal(
      code(() => user.mapCreate({ ...ARRAY, mapType: t })),
      'ok',
    );
  for (const t of [MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]) {
    assert.equal(
      code(() => user.mapCreate({ ...ARRAY, mapType: t })),
      'EPERM',
    );
  }
  assert.equal(
    code(() => user.mapCreate({ mapType: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 1 })),
    'EPERM',
  );
  assert.equal(
    code(() => user.mapCreate({ mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 })),
    'ok',
  );
  assert.equal(
    code(() => user.mapCreate({ ...ARRAY, mapFlags: 64, mapType: MapType.HASH })),
    'EPERM',
    'ZERO_SEED needs CAP_SYS_ADMIN',
  );
  const prog = encode([MOV0, EXIT]);
  assert.equal(
    code(() => user.progLoad({ progType: ProgType.SOCKET_FILTER, insns: prog, license: 'GPL' })),
    'ok',
  );
  assert.equal(
    code(() => user.progLoad({ progType: ProgType.XDP, insns: prog, license: 'GPL' })),
    'EPERM',
  );
  assert.equal(
    code(() =>
      user.progLoad({
        progType: ProgType.SOCKET_FILTER,
        insns: encode([I(0x85, 0, 1, 0, 1), EXIT, MOV0, EXIT]),
        license: 'GPL',
      }),
    ),
    'EPERM',
    'bpf-to-bpf calls need CAP_BPF',
  );
  assert.equal(
    code(() =>
      user.progLoad({
        progType: ProgType.SOCKET_FILTER,
        insns: encode([MOV0, I(0x05, 0, 0, -2), EXIT]),
        license: 'GPL',
      }),
    ),
    'EINVAL',
  );
  const bpfOnly = m.process({ caps: ['CAP_BPF'] });
  assert.equal(
    code(() => bpfOnly.progLoad({ progType: ProgType.XDP, insns: prog, license: 'GPL' })),
    'EPERM',
    'XDP needs CAP_NET_ADMIN',
  );
  assert.equal(
    code(() =>
      bpfOnly.progLoad({
        progType: ProgType.SYSCALL,
        insns: prog,
        license: 'GPL',
        progFlags: ProgFlag.SLEEPABLE,
      }),
    ),
    'ok',
  );
  assert.equal(
    code(() => bpfOnly.mapCreate({ ...ARRAY, mapType: MapType.LRU_HASH })),
    'ok',
  );
  // 1 is one-way.
  m.sysctl.unprivilegedBpfDisabled = 1;
  assert.throws(() => {
    m.sysctl.unprivilegedBpfDisabled = 0;
  }, /EPERM/);
  assert.equal(
    code(() => user.mapCreate(ARRAY)),
    'EPERM',
  );
});

test('processes have their own fd tables; objects are shared through pins and ids', () => {
  const m = new Machine();
  const other = m.process();
  using a = m.mapCreate(ARRAY);
  assert.equal(a.fd, 3, 'fds start after the standard streams');
  assert.equal(
    code(() => other.mapLookupElem(a.fd, new Uint8Array(4), new Uint8Array(8))),
    'EBADF',
  );
  assert.equal(
    code(() => other.mapLookupElem(1, new Uint8Array(4), new Uint8Array(8))),
    'EINVAL',
    'stdout is not a map',
  );
  m.mapUpdateElem(a.fd, new Uint8Array(4), new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0]));
  m.objPin({ pathname: '/sys/fs/bpf/shared', bpfFd: a.fd });
  using b = other.objGet({ pathname: '/sys/fs/bpf/shared' });
  const v = new Uint8Array(8);
  other.mapLookupElem(b.fd, new Uint8Array(4), v);
  assert.equal(v[0], 9);
  assert.equal(b.fd, 3, 'each process numbers its own fds');
  using c = other.mapGetFdById(m.objGetInfoByFd(a.fd, { kind: 'map' }).id);
  assert.equal(c.fd, 4);
});

test('reference counts: fds, pins, programs, outer maps; ids are not reused', () => {
  const m = new Machine();
  const base = m.objectCounts;
  const map = m.mapCreate(ARRAY);
  const mapId = m.objGetInfoByFd(map.fd, { kind: 'map' }).id;
  const prog = m.progLoad({
    progType: ProgType.SOCKET_FILTER,
    insns: encode([ld64(1, 1, map.fd), MOV0, EXIT]),
    license: 'GPL',
  });
  map.close();
  assert.ok(m.mapById(mapId), 'the program holds the map');
  m.objPin({ pathname: '/sys/fs/bpf/p', bpfFd: prog.fd });
  prog.close();
  assert.equal(m.objectCounts.progs, base.progs + 1, 'the pin holds the program');
  assert.equal(m.bpffs.unlink('/sys/fs/bpf/p'), 0);
  assert.deepEqual(m.objectCounts, base, 'unlinking the last pin frees the program and then its map');
  assert.equal(m.mapById(mapId), undefined);
  using again = m.mapCreate(ARRAY);
  assert.ok(m.objGetInfoByFd(again.fd, { kind: 'map' }).id > mapId);
  // map-in-map: the outer map references the inner map and the template.
  const tmpl = m.mapCreate(ARRAY);
  const outer = m.mapCreate({
    mapType: MapType.ARRAY_OF_MAPS,
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
    innerMapFd: tmpl.fd,
  });
  const inner = m.mapCreate(ARRAY);
  m.mapUpdateElem(outer.fd, new Uint8Array(4), new Uint8Array(new Uint32Array([inner.fd]).buffer));
  inner.close();
  tmpl.close();
  assert.equal(m.objectCounts.maps, base.maps + 4);
  outer.close();
  assert.equal(m.objectCounts.maps, base.maps + 1);
});

test('bpffs: directories, EEXIST, missing parents, outside the mount, non-empty rmdir', () => {
  const m = new Machine();
  using map = m.mapCreate(ARRAY);
  assert.equal(m.bpffs.mkdir('/sys/fs/bpf/d'), 0);
  assert.equal(m.bpffs.mkdir('/sys/fs/bpf/d'), -17);
  assert.equal(
    code(() => m.objPin({ pathname: '/sys/fs/bpf/nodir/x', bpfFd: map.fd })),
    'ENOENT',
  );
  assert.equal(
    code(() => m.objPin({ pathname: '/tmp/x', bpfFd: map.fd })),
    'EPERM',
  );
  m.objPin({ pathname: '/sys/fs/bpf/d/../d/./x', bpfFd: map.fd });
  assert.deepEqual(m.bpffs.list(), ['/sys/fs/bpf/', '/sys/fs/bpf/d/', '/sys/fs/bpf/d/x']);
  assert.equal(m.bpffs.unlink('/sys/fs/bpf/d'), -39);
  assert.equal(
    code(() => m.objGet({ pathname: '/sys/fs/bpf/d' })),
    'EPERM',
  );
  assert.equal(
    code(() => m.objPin({ pathname: '/sys/fs/bpf/y', bpfFd: 77 })),
    'EBADF',
  );
});

test('fd_array_cnt maps are checked against a zero digest (6.18), or the real hash (strict profile)', () => {
  const insns = encode([{ code: 0x18, dst: 1, src: 5, off: 0, imm: 0, imm2: 0 }, MOV0, EXIT]);
  for (const strict of [false, true]) {
    const m = new Machine({ profile: { strictExclusiveFdArray: strict } });
    for (const [label, exclProgHash] of [
      ['zero', new Uint8Array(32)],
      ['real', progHash(insns)],
    ] as const) {
      using map = m.mapCreate({ ...ARRAY, exclProgHash });
      const r = code(() =>
        m.progLoad({
          progType: ProgType.SOCKET_FILTER,
          insns,
          license: 'GPL',
          fdArray: new Int32Array([map.fd]),
          fdArrayCnt: true,
        }),
      );
      // Linux 6.18: a zero hash lets any program in, the program's real hash is refused.
      const expected = (label === 'zero') === strict ? 'EACCES' : 'ok';
      assert.equal(r, expected, `strict=${strict} hash=${label}`);
    }
  }
});

test('ringbuf records written by a program are read from user space', () => {
  const m = new Machine();
  using rb = m.mapCreate({ mapType: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
  // *(u64 *)(r10 - 8) = 0x1122334455667788 (via r1); bpf_ringbuf_output(rb, r10 - 8, 8, 0)
  const insns: Insn[] = [
    { code: 0x18, dst: 1, src: 0, off: 0, imm: 0x55667788, imm2: 0x11223344 },
    I(0x7b, 10, 1, -8),
    ld64(1, 1, rb.fd),
    I(0xbf, 2, 10),
    I(0x07, 2, 0, 0, -8),
    I(0xb7, 3, 0, 0, 8),
    I(0xb7, 4, 0, 0, 0),
    I(0x85, 0, 0, 0, 130),
    EXIT,
  ];
  using p = m.progLoad({ progType: ProgType.XDP, insns: encode(insns), license: 'GPL' });
  const r = m.progTestRun({ progFd: p.fd, dataIn: new Uint8Array(14), repeat: 3 });
  assert.equal(r.retval, 0);
  const recs = m.ringbuf(rb.fd)!.consume();
  assert.equal(recs.length, 3);
  assert.deepEqual([...recs[0]!], [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
  assert.equal(m.ringbuf(rb.fd)!.query(0), 0n);
});

test('trace_printk lines are captured by the machine', () => {
  const m = new Machine();
  const insns = [
    I(0x62, 10, 0, -8, 0x216968),
    I(0xbf, 1, 10),
    I(0x07, 1, 0, 0, -8),
    I(0xb7, 2, 0, 0, 4),
    I(0x85, 0, 0, 0, 6),
    MOV0,
    EXIT,
  ];
  using p = m.progLoad({ progType: ProgType.SOCKET_FILTER, insns: encode(insns), license: 'GPL' });
  m.progTestRun({ progFd: p.fd, dataIn: new Uint8Array(14) });
  assert.deepEqual(m.trace, ['hi!']);
});

test('a read past the ctx is refused at load by the verifier, as by Linux (no run-time fault)', () => {
  const m = new Machine();
  // r0 = *(u64 *)(r1 + 4096): past the ctx
  assert.throws(
    () =>
      m.progLoad({
        progType: ProgType.SCHED_CLS,
        insns: encode([I(0x79, 0, 1, 4096), EXIT]),
        license: 'GPL',
      }),
    (e: unknown) =>
      e instanceof VerifierError &&
      e.code === 'EACCES' &&
      e.lines.includes('invalid bpf_context access off=4096 size=8'),
  );
});

test('demoMapCounter: the map changes run after run', () => {
  const steps = demoMapCounter(3);
  assert.deepEqual(
    steps.map((s) => [s.run, s.retval, s.counter]),
    [
      [1, 1, 1n],
      [2, 2, 2n],
      [3, 3, 3n],
    ],
  );
});

test('mmap of BPF_F_MMAPABLE arrays: live values; freeze is EBUSY while mapped writable', () => {
  const m = new Machine();
  using a = m.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, mapFlags: 1024 });
  using plain = m.mapCreate(ARRAY);
  assert.equal(
    code(() => m.mmap(plain.fd)),
    'EINVAL',
  );
  const mem = m.mmap(a.fd, true);
  assert.equal(mem.length, 24);
  mem[8] = 5;
  const v = new Uint8Array(4);
  m.mapLookupElem(a.fd, new Uint8Array([1, 0, 0, 0]), v);
  assert.equal(v[0], 5);
  assert.equal(
    code(() => m.mapFreeze(a.fd)),
    'EBUSY',
  );
  m.munmap(a.fd);
  m.mapFreeze(a.fd);
  assert.equal(
    code(() => m.mmap(a.fd, true)),
    'EPERM',
  );
  assert.equal(m.mmap(a.fd)[8], 5);
});
