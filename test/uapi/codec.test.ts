// The attr codec both ways: decode(encode(attr)) gives the attr back (defaults filled in), over a
// memory that resolves the made-up addresses encode handed out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import * as A from '../../src/uapi/attrs.js';
import * as I from '../../src/uapi/info.js';
import { ProgLoadLayout, TestRunLayout } from '../../src/uapi/layout.js';
import { ArrayMemory } from '../../src/uapi/memory.js';
import { FormatError } from '../../src/util/errors.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe('uapi codec', () => {
  test('MAP_CREATE round trip, every field', () => {
    const mem = new ArrayMemory();
    const a: A.MapCreateAttr = {
      mapType: 12,
      keySize: 4,
      valueSize: 4,
      maxEntries: 3,
      mapFlags: 1,
      innerMapFd: 7,
      numaNode: 1,
      mapName: 'outer',
      mapIfindex: 2,
      btfFd: 9,
      btfKeyTypeId: 10,
      btfValueTypeId: 11,
      btfVmlinuxValueTypeId: 12,
      mapExtra: 0xfedcba9876543210n,
      valueTypeBtfObjFd: -1,
      mapTokenFd: 5,
      exclProgHash: new Uint8Array(32).fill(0xaa),
    };
    const enc = A.encodeMapCreate(a, mem);
    assert.equal(enc.length, 92);
    assert.deepEqual(A.decodeMapCreate(enc, mem), a);
    // A short attr (older user space) is zero-extended.
    const short = A.decodeMapCreate(enc.subarray(0, 20), mem);
    assert.equal(short.maxEntries, 3);
    assert.equal(short.exclProgHash, undefined);
    assert.throws(() => A.encodeMapCreate({ ...a, mapName: 'sixteen_chars_xx' }, mem), RangeError);
  });

  test('PROG_LOAD round trip, every field; sparse fd_array read up to its extent', () => {
    const mem = new ArrayMemory();
    const insns = encode([B.ldMapIdx(B.R1, 2), B.ldMapIdxValue(B.R2, 0, 4), B.mov64Imm(B.R0, 0), B.exit()]);
    assert.equal(A.fdArrayExtent(insns), 3);
    const a: A.ProgLoadAttr = {
      progType: 31,
      insns,
      license: 'Dual MIT/GPL',
      logLevel: 1,
      logBuf: new Uint8Array(64),
      kernVersion: 0x60c00,
      progFlags: 16,
      progName: 'loader',
      progIfindex: 0,
      expectedAttachType: 3,
      progBtfFd: 4,
      funcInfoRecSize: 8,
      funcInfo: new Uint8Array(16).fill(1),
      lineInfoRecSize: 16,
      lineInfo: new Uint8Array(32).fill(2),
      attachBtfId: 77,
      attachProgFd: 6,
      coreReloRecSize: 16,
      coreRelos: new Uint8Array(16).fill(3),
      fdArray: new Int32Array([10, 11, 12]),
      fdArrayCnt: false,
      progTokenFd: 0,
      signature: new Uint8Array(100).fill(4),
      keyringId: -3,
    };
    const enc = A.encodeProgLoad(a, mem);
    assert.equal(enc.length, ProgLoadLayout.size);
    assert.deepEqual(A.decodeProgLoad(enc, mem), a);
    const dense = A.decodeProgLoad(
      A.encodeProgLoad({ ...a, fdArray: new Int32Array([1, 2, 3, 4, 5]), fdArrayCnt: true }, mem),
      mem,
    );
    assert.deepEqual([...dense.fdArray!], [1, 2, 3, 4, 5]);
    assert.throws(() => A.encodeProgLoad({ ...a, insns: new Uint8Array(12) }, mem), RangeError);
  });

  test('element, batch, BTF_LOAD, OBJ, GET_ID, INFO, TEST_RUN, links round trips', () => {
    const mem = new ArrayMemory();
    const elem: A.MapElemAttr = {
      mapFd: 3,
      key: bytes(1, 2, 3, 4),
      value: new Uint8Array(8).fill(9),
      flags: 4n,
    };
    const e = A.encodeMapElem(elem, mem);
    assert.equal(A.peekMapFd(e), 3);
    assert.deepEqual(A.decodeMapElem(e, mem, 4, 8), elem);
    const batch: A.MapBatchAttr = {
      mapFd: 5,
      inBatch: bytes(1, 0, 0, 0),
      outBatch: new Uint8Array(4),
      keys: new Uint8Array(8),
      values: new Uint8Array(16),
      count: 2,
      elemFlags: 4n,
      flags: 0n,
    };
    const be = A.encodeMapBatch(batch, mem);
    assert.equal(A.peekMapFd(be, true), 5);
    assert.deepEqual(A.decodeMapBatch(be, mem, { keySize: 4, valueSize: 8, batchSize: 4 }), batch);
    const btf: A.BtfLoadAttr = {
      btf: new Uint8Array(40).fill(1),
      logBuf: new Uint8Array(10),
      logLevel: 1,
      btfFlags: 0,
      btfTokenFd: 0,
    };
    assert.deepEqual(A.decodeBtfLoad(A.encodeBtfLoad(btf, mem), mem), btf);
    const obj: A.ObjAttr = { pathname: '/sys/fs/bpf/x', bpfFd: 4, fileFlags: 8, pathFd: -100 };
    assert.deepEqual(A.decodeObj(A.encodeObj(obj, mem), mem), obj);
    assert.deepEqual(A.decodeGetId(A.encodeGetId({ id: 42, openFlags: 8, fdByIdTokenFd: 0 })), {
      id: 42,
      openFlags: 8,
      fdByIdTokenFd: 0,
    });
    const info: A.InfoAttr = { bpfFd: 3, info: new Uint8Array(232) };
    assert.deepEqual(A.decodeInfo(A.encodeInfo(info, mem), mem), info);
    const tr: A.TestRunAttr = {
      progFd: 3,
      dataIn: new Uint8Array(14).fill(1),
      dataOut: new Uint8Array(64),
      repeat: 10,
      ctxIn: new Uint8Array(24),
      ctxOut: new Uint8Array(24),
      flags: 1,
      cpu: 1,
      batchSize: 0,
    };
    const tre = A.encodeTestRun(tr, mem);
    assert.equal(tre.length, TestRunLayout.size);
    assert.deepEqual(A.decodeTestRun(tre, mem), tr);
    A.putTestRunResult(tre, { retval: 2, dataSizeOut: 14, ctxSizeOut: 24, duration: 5 });
    assert.deepEqual(A.testRunResult(tre), { retval: 2, dataSizeOut: 14, ctxSizeOut: 24, duration: 5 });
    const lu: A.LinkUpdateAttr = { linkFd: 1, newProgFd: 2, flags: 4, oldProgFd: 3 };
    assert.deepEqual(A.decodeLinkUpdate(A.encodeLinkUpdate(lu)), lu);
    assert.equal(A.decodeLinkDetach(A.encodeLinkDetach(9)), 9);
    assert.equal(A.decodeMapFreeze(A.encodeMapFreeze(11)), 11);
    assert.deepEqual(A.decodeProgBindMap(A.encodeProgBindMap({ progFd: 1, mapFd: 2, flags: 0 })), {
      progFd: 1,
      mapFd: 2,
      flags: 0,
    });
    const lc = A.decodeLinkCreate(
      A.encodeLinkCreate(
        { progFd: 3, targetFd: 1, attachType: 46, flags: 2, tcx: { relativeFd: 4, expectedRevision: 7n } },
        mem,
      ),
      mem,
    );
    assert.deepEqual(lc, {
      progFd: 3,
      targetFd: 1,
      attachType: 46,
      flags: 2,
      tcx: { relativeFd: 4, expectedRevision: 7n },
    });
    const it: A.LinkCreateAttr = {
      progFd: 3,
      targetFd: 0,
      attachType: 28,
      flags: 0,
      iterInfo: new Uint8Array(8).fill(1),
    };
    assert.deepEqual(A.decodeLinkCreate(A.encodeLinkCreate(it, mem), mem), it);
    const tr2: A.LinkCreateAttr = {
      progFd: 3,
      targetFd: 0,
      attachType: 24,
      flags: 0,
      tracing: { targetBtfId: 5, cookie: 9n },
    };
    assert.deepEqual(A.decodeLinkCreate(A.encodeLinkCreate(tr2, mem), mem), tr2);
    const xdp: A.LinkCreateAttr = { progFd: 3, targetFd: 1, attachType: 37, flags: 0, targetBtfId: 0 };
    assert.deepEqual(A.decodeLinkCreate(A.encodeLinkCreate(xdp, mem), mem), xdp);
  });

  test('info structs: request and answer both ways', () => {
    const mem = new ArrayMemory();
    const req: I.ProgInfoRequest = {
      xlatedProgInsns: new Uint8Array(16),
      jitedProgInsns: new Uint8Array(32),
      mapIds: new Uint8Array(8),
    };
    assert.deepEqual(I.decodeProgInfoRequest(I.encodeProgInfoRequest(req, mem), mem), req);
    const info = I.decodeProgInfo(new Uint8Array(232));
    const filled: I.ProgInfo = {
      ...info,
      type: 6,
      id: 9,
      tag: bytes(1, 2, 3, 4, 5, 6, 7, 8),
      name: 'p',
      gplCompatible: true,
      verifiedInsns: 3,
      loadTime: 5n,
    };
    assert.deepEqual(I.decodeProgInfo(I.encodeProgInfo(filled)), filled);
    const hash = new Uint8Array(32);
    const mreq = I.encodeMapInfoRequest({ hash }, mem);
    // The decoded request aliases the caller's buffer: what the machine writes lands there.
    assert.equal(I.decodeMapInfoRequest(mreq, mem).hash?.buffer, hash.buffer);
    const mi = I.decodeMapInfo(new Uint8Array(104));
    const m2: I.MapInfo = {
      ...mi,
      type: 2,
      keySize: 4,
      valueSize: 8,
      maxEntries: 3,
      name: 'm',
      mapExtra: 1n,
    };
    assert.deepEqual(I.decodeMapInfo(I.encodeMapInfo(m2)), m2);
  });

  test('decoding bad addresses is a FormatError naming the address', () => {
    const mem = new ArrayMemory();
    const enc = A.encodeProgLoad({ progType: 1, insns: new Uint8Array(16), license: 'GPL' }, mem);
    const other = new ArrayMemory(0x2000_0000_0000n);
    assert.throws(
      () => A.decodeProgLoad(enc, other),
      (e: unknown) => e instanceof FormatError && /address 0x/.test(e.message),
    );
  });
});
