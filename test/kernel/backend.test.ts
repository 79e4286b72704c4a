// The kernel backend against the running kernel: every command of the Backend interface.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Btf, parseBtf } from '../../src/btf/index.js';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import {
  AttachType,
  ElemFlag,
  LinkType,
  MapFlag,
  MapType,
  ProgFlag,
  ProgType,
  TestRunFlag,
} from '../../src/uapi/constants.js';
import { bpffs, kernel, skip } from './kernel.js';

const { R0, R1, R2 } = B;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const ret = (n: number) => encode([B.mov64Imm(R0, n), B.exit()]);

describe('kernel backend: maps', { skip }, () => {
  test('MAP_CREATE with name, flags, BTF key/value ids, map_extra; info reports them', () => {
    const k = kernel();
    const btf = new Btf();
    const int = btf.addInt('int', 4, { encoding: 1 });
    const u64t = btf.addInt('unsigned long long', 8);
    using btfFd = k.btfLoad({ btf: btf.serialize() });
    using m = k.mapCreate({
      mapType: MapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 16,
      mapFlags: MapFlag.NO_PREALLOC,
      mapName: 'tsbpf_hash',
      btfFd: btfFd.fd,
      btfKeyTypeId: int,
      btfValueTypeId: u64t,
    });
    const info = k.objGetInfoByFd(m.fd, { kind: 'map' });
    assert.equal(info.type, MapType.HASH);
    assert.equal(info.name, 'tsbpf_hash');
    assert.equal(info.keySize, 4);
    assert.equal(info.valueSize, 8);
    assert.equal(info.maxEntries, 16);
    assert.equal(info.mapFlags, MapFlag.NO_PREALLOC);
    assert.equal(info.btfKeyTypeId, int);
    assert.equal(info.btfValueTypeId, u64t);
    assert.ok(info.btfId > 0);
    using bloom = k.mapCreate({
      mapType: MapType.BLOOM_FILTER,
      keySize: 0,
      valueSize: 4,
      maxEntries: 8,
      mapExtra: 3n,
    });
    assert.equal(k.objGetInfoByFd(bloom.fd, { kind: 'map' }).mapExtra, 3n);
  });

  test('MAP_CREATE: inner_map_fd for map-in-map, excl_prog_hash; bad attrs are BpfErrors', () => {
    const k = kernel();
    using inner = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    using outer = k.mapCreate({
      mapType: MapType.ARRAY_OF_MAPS,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
      innerMapFd: inner.fd,
    });
    k.mapUpdateElem(outer.fd, u32(1), u32(inner.fd));
    const id = new Uint8Array(4);
    assert.equal(k.mapLookupElem(outer.fd, u32(1), id), true);
    assert.equal(new Uint32Array(id.buffer)[0], k.objGetInfoByFd(inner.fd, { kind: 'map' }).id);
    using excl = k.mapCreate({
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      exclProgHash: new Uint8Array(32).fill(7),
    });
    assert.ok(excl.fd > 0);
    assert.throws(
      () =>
        k.mapCreate({
          mapType: MapType.ARRAY,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          exclProgHash: new Uint8Array(31),
        }),
      (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && e.command === 'BPF_MAP_CREATE',
    );
    assert.throws(
      () => k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 0, maxEntries: 1 }),
      (e: unknown) => BpfError.is(e, 'EINVAL') && e.errno === 22,
    );
  });

  test('element ops: ANY/NOEXIST/EXIST, lookup, delete, get_next_key, lookup_and_delete', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    const v = new Uint8Array(8);
    assert.equal(k.mapLookupElem(m.fd, u32(1), v), false);
    assert.throws(
      () => k.mapUpdateElem(m.fd, u32(1), u64(10n), ElemFlag.EXIST),
      (e: unknown) => BpfError.is(e, 'ENOENT'),
    );
    k.mapUpdateElem(m.fd, u32(1), u64(10n), ElemFlag.NOEXIST);
    assert.throws(
      () => k.mapUpdateElem(m.fd, u32(1), u64(11n), ElemFlag.NOEXIST),
      (e: unknown) => BpfError.is(e, 'EEXIST') && e.command === 'BPF_MAP_UPDATE_ELEM',
    );
    k.mapUpdateElem(m.fd, u32(1), u64(12n), ElemFlag.EXIST);
    k.mapUpdateElem(m.fd, u32(2), u64(20n), ElemFlag.ANY);
    assert.equal(k.mapLookupElem(m.fd, u32(1), v), true);
    assert.deepEqual(v, u64(12n));
    const keys: number[] = [];
    const next = new Uint8Array(4);
    let cur: Uint8Array | undefined;
    while (k.mapGetNextKey(m.fd, cur, next)) {
      keys.push(new Uint32Array(next.slice().buffer)[0]!);
      cur = next.slice();
    }
    assert.deepEqual(keys.sort(), [1, 2]);
    assert.equal(k.mapLookupAndDeleteElem(m.fd, u32(2), v), true);
    assert.deepEqual(v, u64(20n));
    assert.equal(k.mapLookupElem(m.fd, u32(2), v), false);
    assert.equal(k.mapDeleteElem(m.fd, u32(1)), true);
    assert.equal(k.mapDeleteElem(m.fd, u32(1)), false);
    assert.throws(
      () => k.mapLookupElem(9999, u32(1), v),
      (e: unknown) => BpfError.is(e, 'EBADF'),
    );
  });

  test('queue: push (no key), pop with lookup_and_delete, empty gives false', () => {
    const k = kernel();
    using q = k.mapCreate({ mapType: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 });
    k.mapUpdateElem(q.fd, undefined, u32(5));
    k.mapUpdateElem(q.fd, undefined, u32(6));
    const v = new Uint8Array(4);
    assert.equal(k.mapLookupElem(q.fd, undefined, v), true);
    assert.deepEqual(v, u32(5));
    assert.equal(k.mapLookupAndDeleteElem(q.fd, undefined, v), true);
    assert.equal(k.mapLookupAndDeleteElem(q.fd, undefined, v), true);
    assert.deepEqual(v, u32(6));
    assert.equal(k.mapLookupAndDeleteElem(q.fd, undefined, v), false);
  });

  test('BPF_F_LOCK on a value with a bpf_spin_lock', () => {
    const k = kernel();
    const btf = new Btf();
    const int = btf.addInt('int', 4, { encoding: 1 });
    const u32t = btf.addInt('unsigned int', 4);
    const lock = btf.addStruct('bpf_spin_lock', 4, [{ name: 'val', type: u32t, bitOffset: 0 }]);
    const val = btf.addStruct('val', 8, [
      { name: 'lock', type: lock, bitOffset: 0 },
      { name: 'x', type: int, bitOffset: 32 },
    ]);
    using btfFd = k.btfLoad({ btf: btf.serialize() });
    using m = k.mapCreate({
      mapType: MapType.ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      btfFd: btfFd.fd,
      btfKeyTypeId: int,
      btfValueTypeId: val,
    });
    const value = new Uint8Array([0, 0, 0, 0, 42, 0, 0, 0]);
    k.mapUpdateElem(m.fd, u32(0), value, ElemFlag.F_LOCK);
    const out = new Uint8Array(8);
    assert.equal(k.mapLookupElem(m.fd, u32(0), out, ElemFlag.F_LOCK), true);
    assert.equal(out[4], 42);
    using plain = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    assert.throws(
      () => k.mapUpdateElem(plain.fd, u32(0), value, ElemFlag.F_LOCK),
      (e: unknown) => BpfError.is(e, 'EINVAL'),
    );
  });

  test('batch: update, lookup in chunks until done, lookup_and_delete, delete', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64 });
    const n = 20;
    const keys = new Uint32Array(n).map((_, i) => i + 100);
    const values = new BigUint64Array(n).map((_, i) => BigInt(i) * 3n);
    assert.equal(
      k.mapUpdateBatch({
        mapFd: m.fd,
        keys: new Uint8Array(keys.buffer),
        values: new Uint8Array(values.buffer),
        count: n,
      }),
      n,
    );
    const seen = new Map<number, bigint>();
    let inBatch: Uint8Array | undefined;
    for (let round = 0; round < 20; round++) {
      const outBatch = new Uint8Array(4);
      const kb = new Uint8Array(4 * 8);
      const vb = new Uint8Array(8 * 8);
      const r = k.mapLookupBatch({ mapFd: m.fd, inBatch, outBatch, keys: kb, values: vb, count: 8 });
      const kk = new Uint32Array(kb.buffer);
      const vv = new BigUint64Array(vb.buffer);
      for (let i = 0; i < r.count; i++) seen.set(kk[i]!, vv[i]!);
      if (r.done) break;
      inBatch = outBatch;
    }
    assert.equal(seen.size, n);
    for (let i = 0; i < n; i++) assert.equal(seen.get(100 + i), BigInt(i) * 3n);
    const delKeys = new Uint32Array([100, 101, 102]);
    assert.equal(k.mapDeleteBatch({ mapFd: m.fd, keys: new Uint8Array(delKeys.buffer), count: 3 }), 3);
    const outBatch = new Uint8Array(4);
    const kb = new Uint8Array(4 * 64);
    const vb = new Uint8Array(8 * 64);
    const r = k.mapLookupAndDeleteBatch({ mapFd: m.fd, outBatch, keys: kb, values: vb, count: 64 });
    assert.equal(r.count, n - 3);
    assert.equal(r.done, true);
    assert.equal(k.mapGetNextKey(m.fd, undefined, new Uint8Array(4)), false);
  });

  test('MAP_FREEZE: syscall writes and a second freeze then fail with EPERM', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    k.mapUpdateElem(m.fd, u32(0), u32(1));
    k.mapFreeze(m.fd);
    assert.throws(
      () => k.mapUpdateElem(m.fd, u32(0), u32(2)),
      (e: unknown) => BpfError.is(e, 'EPERM'),
    );
    assert.throws(
      () => k.mapFreeze(m.fd),
      (e: unknown) => BpfError.is(e, 'EPERM') && e.command === 'BPF_MAP_FREEZE',
    );
  });
});

describe('kernel backend: loads', { skip }, () => {
  test('PROG_LOAD: log on success, VerifierError with the log on failure', () => {
    const k = kernel();
    using p = k.progLoad({
      progType: ProgType.XDP,
      insns: ret(1),
      license: 'GPL',
      logLevel: 1,
      progName: 'ok_prog',
    });
    assert.match(p.log, /processed 2 insns/);
    assert.ok(p.logTrueSize >= p.log.length + 1);
    const bad = encode([B.exit()]);
    assert.throws(
      () => k.progLoad({ progType: ProgType.XDP, insns: bad, license: 'GPL' }),
      (e: unknown) =>
        e instanceof VerifierError &&
        e.code === 'EACCES' &&
        e.command === 'BPF_PROG_LOAD' &&
        /R0 !read_ok/.test(e.log) &&
        /R0 !read_ok/.test(e.message) &&
        e.lines.length >= 2,
    );
  });

  test('PROG_LOAD: log buffer grows on ENOSPC to log_true_size; a small caller buffer gives ENOSPC', () => {
    const k = kernel();
    const body = [];
    for (let i = 0; i < 1500; i++) body.push(B.add64Imm(R0, 1));
    const insns = encode([B.mov64Imm(R0, 0), ...body, B.exit()]);
    using p = k.progLoad({ progType: ProgType.XDP, insns, license: 'GPL', logLevel: 2 });
    assert.ok(p.log.length > 64 * 1024, `log is ${p.log.length} bytes`);
    assert.equal(p.logTrueSize, p.log.length + 1);
    assert.match(p.log, /processed 1502 insns/);
    const small = new Uint8Array(100);
    assert.throws(
      () => k.progLoad({ progType: ProgType.XDP, insns, license: 'GPL', logLevel: 2, logBuf: small }),
      (e: unknown) => e instanceof VerifierError && e.code === 'ENOSPC' && e.truncated,
    );
  });

  test('PROG_LOAD: sleepable SYSCALL program, expected_attach_type, BTF func/line info', () => {
    const k = kernel();
    assert.throws(
      () => k.progLoad({ progType: ProgType.SYSCALL, insns: ret(0), license: 'GPL' }),
      (e: unknown) => e instanceof VerifierError && /sleepable/.test(e.message),
    );
    using s = k.progLoad({
      progType: ProgType.SYSCALL,
      insns: ret(0),
      license: 'GPL',
      progFlags: ProgFlag.SLEEPABLE,
    });
    assert.equal(k.objGetInfoByFd(s.fd, { kind: 'prog' }).type, ProgType.SYSCALL);
    using sk = k.progLoad({
      progType: ProgType.CGROUP_SKB,
      insns: ret(1),
      license: 'GPL',
      expectedAttachType: AttachType.CGROUP_INET_EGRESS,
    });
    assert.ok(sk.fd > 0);

    const { btf, main } = xdpBtf();
    using btfFd = k.btfLoad({ btf });
    const funcInfo = new Uint8Array(new Uint32Array([0, main]).buffer);
    const lineInfo = new Uint8Array(new Uint32Array([0, 1, 1, (1 << 10) | 1]).buffer);
    using p = k.progLoad({
      progType: ProgType.XDP,
      insns: ret(2),
      license: 'GPL',
      progBtfFd: btfFd.fd,
      funcInfo,
      funcInfoRecSize: 8,
      lineInfo,
      lineInfoRecSize: 16,
    });
    const info = k.objGetInfoByFd(p.fd, { kind: 'prog' });
    assert.equal(info.nrFuncInfo, 1);
    assert.equal(info.nrLineInfo, 1);
    assert.equal(info.btfId, k.objGetInfoByFd(btfFd.fd, { kind: 'btf' }).id);
    assert.equal(info.name, '');
  });

  test('PROG_LOAD: attach_prog_fd + attach_btf_id (fentry on an XDP program), attach_btf_id of vmlinux (LSM); EPERM under lockdown', () => {
    const k = kernel();
    const { btf, main } = xdpBtf();
    using btfFd = k.btfLoad({ btf });
    using target = k.progLoad({
      progType: ProgType.XDP,
      insns: ret(2),
      license: 'GPL',
      progBtfFd: btfFd.fd,
      funcInfo: new Uint8Array(new Uint32Array([0, main]).buffer),
    });
    const vmlinux = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
    const hook = vmlinux.findId('bpf_lsm_bpf_map');
    assert.ok(hook !== undefined);
    const attempts = [
      () =>
        k.progLoad({
          progType: ProgType.TRACING,
          insns: ret(0),
          license: 'GPL',
          expectedAttachType: AttachType.TRACE_FENTRY,
          attachProgFd: target.fd,
          attachBtfId: main,
        }),
      () =>
        k.progLoad({
          progType: ProgType.LSM,
          insns: ret(0),
          license: 'GPL',
          expectedAttachType: AttachType.LSM_MAC,
          attachBtfId: hook,
        }),
    ];
    const wanted = [main, hook];
    for (const [i, load] of attempts.entries()) {
      try {
        using p = load();
        assert.equal(k.objGetInfoByFd(p.fd, { kind: 'prog' }).attachBtfId, wanted[i]);
      } catch (e) {
        // This VM boots with lockdown=integrity forced: tracing and LSM loads are refused with
        // EPERM before the verifier runs (no log). Anything else is a failure.
        assert.ok(BpfError.is(e, 'EPERM') && !(e instanceof VerifierError), String(e));
      }
    }
  });

  test('PROG_LOAD: fd_array with and without fd_array_cnt; map ids in the info', () => {
    const k = kernel();
    using a = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    using b = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const idA = k.objGetInfoByFd(a.fd, { kind: 'map' }).id;
    const idB = k.objGetInfoByFd(b.fd, { kind: 'map' }).id;
    const insns = encode([B.ldMapIdx(R1, 1), B.mov64Imm(R0, 0), B.exit()]);
    const ids = (fd: number) => {
      const n = k.objGetInfoByFd(fd, { kind: 'prog' }).nrMapIds;
      const buf = new Uint8Array(4 * n);
      k.objGetInfoByFd(fd, { kind: 'prog', mapIds: buf });
      return [...new Uint32Array(buf.buffer)].sort();
    };
    using sparse = k.progLoad({
      progType: ProgType.XDP,
      insns,
      license: 'GPL',
      fdArray: new Int32Array([a.fd, b.fd]),
    });
    assert.deepEqual(ids(sparse.fd), [idB]);
    using dense = k.progLoad({
      progType: ProgType.XDP,
      insns,
      license: 'GPL',
      fdArray: new Int32Array([a.fd, b.fd]),
      fdArrayCnt: true,
    });
    assert.deepEqual(ids(dense.fd), [idA, idB].sort());
  });

  test('PROG_LOAD with a signature: EOPNOTSUPP on this kernel (no CONFIG_SYSTEM_DATA_VERIFICATION)', () => {
    const k = kernel();
    assert.throws(
      () =>
        k.progLoad({
          progType: ProgType.SOCKET_FILTER,
          insns: ret(0),
          license: 'GPL',
          signature: new Uint8Array(64),
          keyringId: 0,
        }),
      (e: unknown) => e instanceof BpfError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP'),
    );
  });

  test('BTF_LOAD: log, VerifierError for bad BTF, info gives the bytes back', () => {
    const k = kernel();
    const { btf } = xdpBtf();
    using fd = k.btfLoad({ btf, logLevel: 1 });
    const info = k.objGetInfoByFd(fd.fd, { kind: 'btf' });
    assert.equal(info.btfSize, btf.length);
    const back = k.objGetInfoByFd(fd.fd, {
      kind: 'btf',
      btf: new Uint8Array(info.btfSize),
      name: new Uint8Array(64),
    });
    assert.deepEqual(back.btf, btf);
    assert.equal(back.kernelBtf, false);
    const bad = btf.slice();
    bad[4] = 0xff; // hdr_len
    assert.throws(
      () => k.btfLoad({ btf: bad }),
      (e: unknown) => e instanceof BpfError && e.command === 'BPF_BTF_LOAD',
    );
    const b2 = new Btf();
    b2.addPtr(99);
    assert.throws(
      () => k.btfLoad({ btf: b2.serialize() }),
      (e: unknown) =>
        e instanceof VerifierError && e.code === 'EINVAL' && /Invalid type_id|type_id/.test(e.log),
    );
  });
});

describe('kernel backend: objects, info, test runs, links', { skip }, () => {
  test('OBJ_PIN / OBJ_GET in bpffs', () => {
    const k = kernel();
    const dir = bpffs();
    const path = `${dir}/tsbpf-test-${process.pid}`;
    using m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    k.objPin({ pathname: path, bpfFd: m.fd });
    try {
      using again = k.objGet({ pathname: path }, 'map');
      assert.equal(
        k.objGetInfoByFd(again.fd, { kind: 'map' }).id,
        k.objGetInfoByFd(m.fd, { kind: 'map' }).id,
      );
      assert.throws(
        () => k.objPin({ pathname: path, bpfFd: m.fd }),
        (e: unknown) => BpfError.is(e, 'EEXIST'),
      );
    } finally {
      rmSync(path);
    }
    assert.throws(
      () => k.objGet({ pathname: path }),
      (e: unknown) => BpfError.is(e, 'ENOENT') && e.command === 'BPF_OBJ_GET',
    );
  });

  test('GET_NEXT_ID / GET_FD_BY_ID for maps, programs, BTF and links', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    using p = k.progLoad({ progType: ProgType.XDP, insns: ret(2), license: 'GPL' });
    using bt = k.btfLoad({ btf: xdpBtf().btf });
    const mid = k.objGetInfoByFd(m.fd, { kind: 'map' }).id;
    const pid = k.objGetInfoByFd(p.fd, { kind: 'prog' }).id;
    const bid = k.objGetInfoByFd(bt.fd, { kind: 'btf' }).id;
    const all = (next: (id: number) => number | undefined) => {
      const ids: number[] = [];
      for (let id = next(0); id !== undefined; id = next(id)) ids.push(id);
      return ids;
    };
    assert.ok(all((i) => k.mapGetNextId(i)).includes(mid));
    assert.ok(all((i) => k.progGetNextId(i)).includes(pid));
    assert.ok(all((i) => k.btfGetNextId(i)).includes(bid));
    using m2 = k.mapGetFdById(mid);
    assert.equal(k.objGetInfoByFd(m2.fd, { kind: 'map' }).id, mid);
    using p2 = k.progGetFdById(pid);
    assert.equal(k.objGetInfoByFd(p2.fd, { kind: 'prog' }).id, pid);
    using b2 = k.btfGetFdById(bid);
    assert.equal(k.objGetInfoByFd(b2.fd, { kind: 'btf' }).id, bid);
    const maxMap = Math.max(...all((i) => k.mapGetNextId(i)));
    assert.equal(k.mapGetNextId(maxMap), undefined);
    assert.throws(
      () => k.mapGetFdById(0x7ffffff0),
      (e: unknown) => BpfError.is(e, 'ENOENT'),
    );
    using link = k.linkCreate({ progFd: p.fd, targetFd: 1, attachType: AttachType.XDP });
    const lid = k.objGetInfoByFd(link.fd, { kind: 'link' }).id;
    assert.ok(all((i) => k.linkGetNextId(i)).includes(lid));
    using l2 = k.linkGetFdById(lid);
    assert.equal(k.objGetInfoByFd(l2.fd, { kind: 'link' }).progId, pid);
  });

  test('OBJ_GET_INFO_BY_FD for programs: tag, name, type, map ids, xlated and jited dumps, verified_insns', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const insns = encode([B.ldMapFd(R1, m.fd), B.mov64Imm(R0, 3), B.exit()]);
    using p = k.progLoad({ progType: ProgType.XDP, insns, license: 'GPL', progName: 'infotest' });
    const info = k.objGetInfoByFd(p.fd, { kind: 'prog' });
    assert.equal(info.type, ProgType.XDP);
    assert.equal(info.name, 'infotest');
    assert.equal(info.tag.length, 8);
    assert.equal(info.nrMapIds, 1);
    assert.equal(info.verifiedInsns, 3);
    assert.equal(info.gplCompatible, true);
    assert.equal(info.xlatedProgLen, insns.length);
    assert.ok(info.jitedProgLen > 0);
    const xl = new Uint8Array(info.xlatedProgLen);
    const jit = new Uint8Array(info.jitedProgLen);
    const ids = new Uint8Array(4);
    k.objGetInfoByFd(p.fd, { kind: 'prog', xlatedProgInsns: xl, jitedProgInsns: jit, mapIds: ids });
    assert.deepEqual(xl.subarray(16), insns.subarray(16));
    assert.equal(xl[0], 0x18);
    assert.ok(jit.some((x) => x !== 0));
    assert.equal(new Uint32Array(ids.buffer)[0], k.objGetInfoByFd(m.fd, { kind: 'map' }).id);
  });

  test('PROG_TEST_RUN: data in/out, ctx in/out, repeat, duration, flags', () => {
    const k = kernel();
    // XDP: r0 = data_end - data (packet length); write 0xAB into byte 0.
    const prog = encode([
      B.ldxW(R2, R1, 4),
      B.ldxW(R1, R1, 0),
      B.mov64Reg(R0, R2),
      B.sub64Reg(R0, R1),
      B.mov64Reg(B.R3, R1),
      B.add64Imm(B.R3, 1),
      B.jgtReg(B.R3, R2, 1),
      B.stB(R1, 0, 0xab),
      B.exit(),
    ]);
    using p = k.progLoad({ progType: ProgType.XDP, insns: prog, license: 'GPL' });
    const dataIn = new Uint8Array(64).fill(1);
    const dataOut = new Uint8Array(128);
    const r = k.progTestRun({ progFd: p.fd, dataIn, dataOut, repeat: 3 });
    assert.equal(r.retval, 64);
    assert.equal(r.dataSizeOut, 64);
    assert.equal(dataOut[0], 0xab);
    assert.equal(dataOut[1], 1);
    assert.ok(r.duration >= 0);
    // ctx in/out: struct xdp_md (6 x u32); data_end = packet length.
    const ctxIn = new Uint8Array(new Uint32Array([0, 64, 0, 1, 0, 0]).buffer);
    const ctxOut = new Uint8Array(24);
    const r2 = k.progTestRun({ progFd: p.fd, dataIn, dataOut, ctxIn, ctxOut });
    assert.equal(r2.retval, 64);
    assert.equal(r2.ctxSizeOut, 24);
    assert.equal(new Uint32Array(ctxOut.buffer)[1], 64);
    // XDP does not take BPF_F_TEST_RUN_ON_CPU.
    assert.throws(
      () => k.progTestRun({ progFd: p.fd, dataIn, flags: TestRunFlag.RUN_ON_CPU, cpu: 0 }),
      (e: unknown) => BpfError.is(e, 'EINVAL') && e.command === 'BPF_PROG_TEST_RUN',
    );
    // Output buffer too small: ENOSPC.
    assert.throws(
      () => k.progTestRun({ progFd: p.fd, dataIn, dataOut: new Uint8Array(8) }),
      (e: unknown) => BpfError.is(e, 'ENOSPC'),
    );
  });

  test('LINK_CREATE / LINK_UPDATE / LINK_DETACH: XDP on lo', () => {
    const k = kernel();
    using p1 = k.progLoad({ progType: ProgType.XDP, insns: ret(2), license: 'GPL' });
    using p2 = k.progLoad({ progType: ProgType.XDP, insns: ret(2), license: 'GPL' });
    using link = k.linkCreate({ progFd: p1.fd, targetFd: 1, attachType: AttachType.XDP });
    let info = k.objGetInfoByFd(link.fd, { kind: 'link' });
    assert.equal(info.type, LinkType.XDP);
    assert.equal(info.detail.ifindex, 1);
    assert.equal(info.progId, k.objGetInfoByFd(p1.fd, { kind: 'prog' }).id);
    assert.throws(
      () => k.linkCreate({ progFd: p2.fd, targetFd: 1, attachType: AttachType.XDP }),
      (e: unknown) => BpfError.is(e, 'EBUSY') && e.command === 'BPF_LINK_CREATE',
    );
    k.linkUpdate({ linkFd: link.fd, newProgFd: p2.fd });
    info = k.objGetInfoByFd(link.fd, { kind: 'link' });
    assert.equal(info.progId, k.objGetInfoByFd(p2.fd, { kind: 'prog' }).id);
    k.linkDetach(link.fd);
    assert.equal(k.objGetInfoByFd(link.fd, { kind: 'link' }).detail.ifindex, 0);
    assert.throws(
      () => k.linkUpdate({ linkFd: link.fd, newProgFd: p1.fd }),
      (e: unknown) => e instanceof BpfError,
    );
  });
});

/** BTF with `int main(void *ctx)` (global) for func info; `main` is the FUNC id. */
function xdpBtf(): { btf: Uint8Array; main: number } {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const proto = b.addFuncProto(int, [{ name: 'ctx', type: b.addPtr(0) }]);
  const main = b.addFunc('main', proto, 'global');
  b.addString('r0 = 2');
  return { btf: b.serialize(), main };
}
