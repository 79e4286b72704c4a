/**
 * Program loading and BPF_PROG_TEST_RUN, run against every backend: the structural load errors
 * (errno and the kernel's log line), license rules for GPL-only helpers, and test runs of
 * socket_filter, sched_cls, xdp and syscall programs (retval, data and ctx in/out, limits).
 * Expectations were observed on Linux 6.18.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { ProgLoadAttr } from '../../src/uapi/attrs.js';
import { MapType, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { backends } from './backends.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = I(0x95);
const MOV0 = I(0xb7);
const ld64 = (dst: number, src: number, imm: number, imm2 = 0): Insn => ({
  code: 0x18,
  dst,
  src,
  off: 0,
  imm,
  imm2,
});

/** Raw slots [code, dst, src, off, imm] to bytes (for encodings the isa encoder would refuse). */
function raw(slots: number[][]): Uint8Array {
  const b = new Uint8Array(slots.length * 8);
  const dv = new DataView(b.buffer);
  slots.forEach(([code, dst, src, off, imm], i) => {
    b[i * 8] = code!;
    b[i * 8 + 1] = (dst! & 15) | ((src! & 15) << 4);
    dv.setInt16(i * 8 + 2, off!, true);
    dv.setInt32(i * 8 + 4, imm!, true);
  });
  return b;
}

function loadOutcome(b: Backend, attr: ProgLoadAttr): { code: string; log: string } {
  try {
    b.progLoad(attr).close();
    return { code: 'ok', log: '' };
  } catch (e) {
    if (e instanceof VerifierError) return { code: e.code, log: e.log };
    if (e instanceof BpfError) return { code: e.code, log: '' };
    throw e;
  }
}

function runOutcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

const PKT = new Uint8Array(64).map((_, i) => i + 1);
PKT[12] = 0x08;
PKT[13] = 0x00;

for (const bc of backends()) {
  describe(`programs on ${bc.name}`, { skip: bc.skip }, () => {
    const b = (): Backend => bc.backend();
    const sf = (insns: Uint8Array, license = 'GPL'): ProgLoadAttr => ({
      progType: ProgType.SOCKET_FILTER,
      insns,
      license,
    });

    test('structural load errors: errno and log line as the kernel', () => {
      using m = b().mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
      using one = b().mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      using h = b().mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1 });
      const mov0 = [0xb7, 0, 0, 0, 0];
      // bpf_trace_printk("hi", 3) with the format on the stack
      const printk = raw([
        [0x62, 10, 0, -8, 0x6968],
        [0xbf, 1, 10, 0, 0],
        [0x07, 1, 0, 0, -8],
        [0xb7, 2, 0, 0, 3],
        [0x85, 0, 0, 0, 6],
        [0xb7, 0, 0, 0, 0],
        [0x95, 0, 0, 0, 0],
      ]);
      const exit = [0x95, 0, 0, 0, 0];
      const cases: [string, ProgLoadAttr, string, string][] = [
        ['no instructions', sf(new Uint8Array(0)), 'E2BIG', ''],
        ['unknown opcode', sf(raw([[0xff, 0, 0, 0, 0], mov0, exit])), 'EINVAL', 'unknown opcode ff'],
        [
          'jump out of range',
          sf(raw([mov0, [0x05, 0, 0, 5, 0], exit])),
          'EINVAL',
          'jump out of range from insn 1 to 7',
        ],
        [
          'jump checked before opcodes',
          sf(raw([[0xff, 0, 0, 0, 0], [0x05, 0, 0, 5, 0], mov0, exit])),
          'EINVAL',
          'jump out of range from insn 1 to 7',
        ],
        ['last insn not exit', sf(raw([mov0, mov0])), 'EINVAL', 'last insn is not an exit or jmp'],
        [
          'ld_imm64 as last slot',
          sf(raw([mov0, exit, [0x18, 0, 0, 0, 1]])),
          'EINVAL',
          'last insn is not an exit or jmp',
        ],
        [
          'bad ld_imm64 second slot',
          sf(raw([[0x18, 0, 0, 0, 1], [0x07, 0, 0, 0, 0], mov0, exit])),
          'EINVAL',
          'invalid bpf_ld_imm64 insn',
        ],
        [
          'jump into ld_imm64',
          sf(raw([[0x05, 0, 0, 1, 0], [0x18, 0, 0, 0, 1], [0, 0, 0, 0, 0], mov0, exit])),
          'EINVAL',
          'unreachable insn 1',
        ],
        ['unreachable code', sf(raw([mov0, exit, mov0, exit])), 'EINVAL', 'unreachable insn 2'],
        [
          'map fd not a map',
          sf(raw([[0x18, 1, 1, 0, 999], [0, 0, 0, 0, 0], mov0, exit])),
          'EBADF',
          'fd 999 is not pointing to valid bpf_map',
        ],
        [
          'unknown pseudo',
          sf(raw([[0x18, 1, 7, 0, 1], [0, 0, 0, 0, 0], mov0, exit])),
          'EINVAL',
          'unrecognized bpf_ld_imm64 insn',
        ],
        [
          'map fd with imm2',
          sf(raw([[0x18, 1, 1, 0, m.fd], [0, 0, 0, 0, 5], mov0, exit])),
          'EINVAL',
          'unrecognized bpf_ld_imm64 insn',
        ],
        [
          'MAP_IDX without fd_array',
          sf(raw([[0x18, 1, 5, 0, 0], [0, 0, 0, 0, 0], mov0, exit])),
          'EPROTO',
          'fd_idx without fd_array is invalid',
        ],
        [
          'MAP_VALUE of a 4-entry array',
          sf(raw([[0x18, 1, 2, 0, m.fd], [0, 0, 0, 0, 0], mov0, exit])),
          'ENOTSUPP',
          'invalid access to map value pointer, value_size=8 off=0',
        ],
        [
          'MAP_VALUE past the value',
          sf(raw([[0x18, 1, 2, 0, one.fd], [0, 0, 0, 0, 8], mov0, exit])),
          'EINVAL',
          'invalid access to map value pointer, value_size=8 off=8',
        ],
        [
          'MAP_VALUE of a hash',
          sf(raw([[0x18, 1, 2, 0, h.fd], [0, 0, 0, 0, 0], mov0, exit])),
          'EINVAL',
          'no direct value access support for this map type',
        ],
        [
          'call to invalid destination',
          sf(raw([[0x85, 0, 1, 0, 10], mov0, exit])),
          'EINVAL',
          'call to invalid destination',
        ],
        [
          'jump across subprograms',
          sf(raw([[0x85, 0, 1, 0, 2], mov0, [0x05, 0, 0, 1, 0], mov0, exit])),
          'EINVAL',
          'jump out of range from insn 2 to 4',
        ],
        [
          'unknown helper',
          sf(raw([[0x85, 0, 0, 0, 9999], mov0, exit])),
          'EINVAL',
          'invalid func unknown#9999',
        ],
        [
          'helper of another program type',
          sf(raw([[0x85, 0, 0, 0, 9], mov0, exit])),
          'EINVAL',
          'program of this type cannot use helper bpf_skb_store_bytes#9',
        ],
        [
          'GPL-only helper, MIT license',
          sf(printk, 'MIT'),
          'EINVAL',
          'cannot call GPL-restricted function from non-GPL compatible program',
        ],
        ['GPL-only helper, Dual BSD/GPL', sf(printk, 'Dual BSD/GPL'), 'ok', ''],
        ['r0 never written', sf(raw([exit])), 'EACCES', '!read_ok'],
        [
          'syscall program not sleepable',
          { progType: ProgType.SYSCALL, insns: raw([mov0, exit]), license: 'GPL' },
          'EINVAL',
          'Syscall programs can only be sleepable',
        ],
        [
          'syscall program with attach type',
          {
            progType: ProgType.SYSCALL,
            insns: raw([mov0, exit]),
            license: 'GPL',
            progFlags: ProgFlag.SLEEPABLE,
            expectedAttachType: 1,
          },
          'EINVAL',
          '',
        ],
        ['bpf-to-bpf call', sf(raw([[0x85, 0, 1, 0, 1], exit, mov0, exit])), 'ok', ''],
        ['bad prog flags', { ...sf(raw([mov0, exit])), progFlags: 1 << 20 }, 'EINVAL', ''],
      ];
      const got = cases.map(([name, attr, , want]) => {
        const r = loadOutcome(b(), attr);
        return [name, r.code, want === '' || r.log.includes(want)];
      });
      assert.deepEqual(
        got,
        cases.map(([name, , code]) => [name, code, true]),
      );
    });

    test('fd_array_cnt binds every fd up front; non-maps are refused', () => {
      using m = b().mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      const prog = encode([MOV0, EXIT]);
      const bad = loadOutcome(b(), { ...sf(prog), fdArray: new Int32Array([m.fd, 999]), fdArrayCnt: true });
      assert.equal(bad.code, 'EBADF');
      assert.ok(bad.log.includes('fd 999 is not pointing to valid bpf_map or btf'));
      const stdin = loadOutcome(b(), { ...sf(prog), fdArray: new Int32Array([0]), fdArrayCnt: true });
      assert.equal(stdin.code, 'EINVAL');
      using p = b().progLoad({ ...sf(prog), fdArray: new Int32Array([m.fd]), fdArrayCnt: true });
      const info = b().objGetInfoByFd(p.fd, { kind: 'prog', mapIds: new Uint8Array(8) });
      assert.equal(info.nrMapIds, 1);
      const idx = [ld64(1, 5, 0), MOV0, EXIT];
      using q = b().progLoad({ ...sf(encode(idx)), fdArray: new Int32Array([m.fd]) });
      assert.equal(b().objGetInfoByFd(q.fd, { kind: 'prog' }).nrMapIds, 1);
    });

    test('socket_filter test run: __sk_buff from the network header; zeroed link-layer header out', () => {
      const read = (off: number): number => {
        using p = b().progLoad(sf(encode([I(0x61, 0, 1, off), EXIT])));
        const out = new Uint8Array(64);
        const r = b().progTestRun({ progFd: p.fd, dataIn: PKT, dataOut: out });
        assert.equal(r.dataSizeOut, 64);
        assert.deepEqual(out.subarray(0, 14), new Uint8Array(14));
        assert.deepEqual(out.subarray(14), PKT.subarray(14));
        return r.retval;
      };
      assert.deepEqual([read(0), read(4), read(16), read(36), read(40), read(8)], [50, 2, 8, 0, 1, 0]);
    });

    test('LD_ABS/LD_IND in a socket filter read skb->data; out of bounds ends the program with 0', () => {
      const run = (insns: Insn[]): number => {
        using p = b().progLoad(sf(encode(insns)));
        return b().progTestRun({ progFd: p.fd, dataIn: PKT }).retval;
      };
      const r6 = I(0xbf, 6, 1); // r6 = r1 (LD_ABS/LD_IND take the skb from r6)
      const ldAbs = (size: number, off: number): Insn => ({
        code: 0x20 | size,
        dst: 0,
        src: 0,
        off: 0,
        imm: off,
      });
      // skb->data is the network header: offset 0 is PKT[14] (socket filters see no link layer).
      assert.equal(run([r6, ldAbs(0x10, 0), EXIT]), PKT[14]);
      assert.equal(run([r6, ldAbs(0x08, 2), EXIT]), (PKT[16]! << 8) | PKT[17]!); // big-endian h
      assert.equal(
        run([r6, ldAbs(0x00, 4), EXIT]),
        ((PKT[18]! << 24) | (PKT[19]! << 16) | (PKT[20]! << 8) | PKT[21]!) >>> 0,
      );
      // ld_ind: r7 + imm
      assert.equal(
        run([r6, I(0xb7, 7, 0, 0, 3), { code: 0x50, dst: 0, src: 7, off: 0, imm: 1 }, EXIT]),
        PKT[18],
      );
      // past the end: the program stops with r0 = 0, the mov after it never runs
      assert.equal(run([r6, ldAbs(0x10, 1000), I(0xb7, 0, 0, 0, 7), EXIT]), 0);
    });

    test('sched_cls test run: packet pointers, writes to the packet and to ctx out', () => {
      const prog = [
        I(0xb7, 0, 0, 0, 0), // r0 = 0
        I(0x61, 2, 1, 76), // r2 = data
        I(0x61, 3, 1, 80), // r3 = data_end
        I(0xbf, 4, 2), // r4 = r2
        I(0x07, 4, 0, 0, 14), // r4 += 14
        I(0x2d, 4, 3, 4), // if r4 > r3 goto exit
        I(0x72, 2, 0, 0, 0xaa), // *(u8 *)(r2 + 0) = 0xaa
        I(0x62, 1, 0, 8, 7), // skb->mark = 7
        I(0x61, 0, 1, 0), // r0 = skb->len
        I(0x07, 0, 0, 0, 1000), // r0 += 1000
        EXIT,
      ];
      using p = b().progLoad({ progType: ProgType.SCHED_CLS, insns: encode(prog), license: 'GPL' });
      const out = new Uint8Array(64);
      const ctxOut = new Uint8Array(192);
      const r = b().progTestRun({
        progFd: p.fd,
        dataIn: PKT,
        dataOut: out,
        ctxIn: new Uint8Array(192),
        ctxOut,
      });
      assert.equal(r.retval, 1064);
      assert.equal(out[0], 0xaa);
      assert.deepEqual(out.subarray(1), PKT.subarray(1));
      assert.equal(r.ctxSizeOut, 192);
      const cv = new DataView(ctxOut.buffer);
      assert.deepEqual([cv.getUint32(8, true), cv.getUint32(40, true), cv.getUint32(160, true)], [7, 1, 64]);
      assert.equal(PKT[0], 1, 'data_in is not modified');
    });

    test('skb test run limits: 14..3712 bytes, ctx_in rules, ENOSPC for a short data_out', () => {
      using p = b().progLoad({ progType: ProgType.SCHED_CLS, insns: encode([MOV0, EXIT]), license: 'GPL' });
      const run = (a: Partial<Parameters<Backend['progTestRun']>[0]>) =>
        runOutcome(() => b().progTestRun({ progFd: p.fd, ...a }));
      const badCtx = new Uint8Array(192);
      badCtx[0] = 1;
      assert.deepEqual(
        [
          run({ dataIn: new Uint8Array(13) }),
          run({ dataIn: new Uint8Array(14) }),
          run({ dataIn: new Uint8Array(3712) }),
          run({ dataIn: new Uint8Array(3713) }),
          run({}),
          run({ dataIn: PKT, ctxIn: badCtx }),
          run({ dataIn: PKT, ctxIn: new Uint8Array(200).fill(1, 196) }),
          run({ dataIn: PKT, dataOut: new Uint8Array(10) }),
          run({ dataIn: PKT, repeat: 5 }),
        ],
        ['EINVAL', 'ok', 'ok', 'EINVAL', 'EINVAL', 'EINVAL', 'E2BIG', 'ENOSPC', 'ok'],
      );
    });

    test('xdp test run: xdp_md, metadata in front of the data, frames over 3520 bytes', () => {
      // r0 = bit set of "at least N bytes visible" for N = 56, 64, 3520, 3521
      const lenProg: Insn[] = [I(0x61, 2, 1, 0), I(0x61, 3, 1, 4), I(0xb7, 0, 0, 0, 0)];
      [56, 64, 3520, 3521].forEach((n, i) => {
        lenProg.push(I(0xbf, 4, 2), I(0x07, 4, 0, 0, n), I(0x2d, 4, 3, 1), I(0x47, 0, 0, 0, 1 << i));
      });
      lenProg.push(EXIT);
      using p = b().progLoad({ progType: ProgType.XDP, insns: encode(lenProg), license: 'GPL' });
      assert.equal(b().progTestRun({ progFd: p.fd, dataIn: PKT }).retval, 3);
      const md = new Uint8Array(24);
      new DataView(md.buffer).setUint32(0, 8, true);
      new DataView(md.buffer).setUint32(4, 64, true);
      const ctxOut = new Uint8Array(24);
      const out = new Uint8Array(64);
      const r = b().progTestRun({ progFd: p.fd, dataIn: PKT, ctxIn: md, ctxOut, dataOut: out });
      assert.equal(r.retval, 1);
      assert.equal(r.dataSizeOut, 64);
      assert.deepEqual(out, PKT, 'data out starts at the metadata');
      assert.deepEqual([...ctxOut.subarray(0, 8)], [8, 0, 0, 0, 64, 0, 0, 0]);
      const zeros = new Uint8Array(24);
      b().progTestRun({ progFd: p.fd, dataIn: PKT, ctxOut: zeros });
      assert.deepEqual(zeros, new Uint8Array(24), 'no ctx_in: ctx out stays zero');
      const big = b().progTestRun({ progFd: p.fd, dataIn: new Uint8Array(4000) });
      assert.equal(big.dataSizeOut, 4000);
      assert.equal(big.retval, 7, 'the program sees 3520 bytes');
      assert.equal(
        runOutcome(() => b().progTestRun({ progFd: p.fd, dataIn: new Uint8Array(13) })),
        'EINVAL',
      );
      const ing = b().progLoad({
        progType: ProgType.XDP,
        insns: encode([I(0x61, 0, 1, 12), EXIT]),
        license: 'GPL',
      });
      assert.equal(b().progTestRun({ progFd: ing.fd, dataIn: PKT }).retval, 1, 'ingress_ifindex is lo');
      ing.close();
    });

    test('syscall test run: ctx in, changed by the program, copied back; no data or repeat', () => {
      // *(u64 *)(r1 + 0) += 1; return 5
      const insns = [I(0x79, 2, 1, 0), I(0x07, 2, 0, 0, 1), I(0x7b, 1, 2, 0), I(0xb7, 0, 0, 0, 5), EXIT];
      using p = b().progLoad({
        progType: ProgType.SYSCALL,
        insns: encode(insns),
        license: 'GPL',
        progFlags: ProgFlag.SLEEPABLE,
      });
      const ctx = new Uint8Array(8);
      ctx[0] = 41;
      const r = b().progTestRun({ progFd: p.fd, ctxIn: ctx });
      assert.deepEqual([r.retval, r.duration, ctx[0]], [5, 0, 42]);
      const run = (a: Partial<Parameters<Backend['progTestRun']>[0]>) =>
        runOutcome(() => b().progTestRun({ progFd: p.fd, ...a }));
      assert.deepEqual(
        [
          run({ ctxIn: ctx, dataIn: PKT }),
          run({ ctxIn: ctx, repeat: 2 }),
          run({ ctxIn: new Uint8Array(4) }),
          run({}),
        ],
        ['EINVAL', 'EINVAL', 'EINVAL', 'EINVAL'],
      );
    });

    test('a program updates a map; the map changes (map pointer, lookup helper, value write)', () => {
      using m = b().mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      const insns = [
        I(0x62, 10, 0, -4, 0),
        I(0xbf, 2, 10),
        I(0x07, 2, 0, 0, -4),
        ld64(1, 1, m.fd),
        I(0x85, 0, 0, 0, 1),
        I(0x15, 0, 0, 4, 0),
        I(0x79, 1, 0, 0),
        I(0x07, 1, 0, 0, 1),
        I(0x7b, 0, 1, 0),
        I(0xbf, 0, 1),
        EXIT,
      ];
      using p = b().progLoad({ progType: ProgType.XDP, insns: encode(insns), license: 'GPL' });
      for (let i = 1; i <= 3; i++) assert.equal(b().progTestRun({ progFd: p.fd, dataIn: PKT }).retval, i);
      const v = new Uint8Array(8);
      b().mapLookupElem(m.fd, new Uint8Array(4), v);
      assert.equal(new DataView(v.buffer).getBigUint64(0, true), 3n);
      const r = b().progTestRun({ progFd: p.fd, dataIn: PKT, repeat: 10 });
      assert.equal(r.retval, 13);
    });

    test('bpf_sys_bpf from a syscall program: MAP_CREATE gives the caller an fd; lookups are refused', () => {
      // attr at r10 - 96: map_type 2 (array), key 4, value 8, max_entries 3; call sys_bpf(cmd, attr, 92)
      const attrWords = [2, 4, 8, 3];
      const prog = (cmd: number): Insn[] => {
        const insns: Insn[] = [];
        for (let i = 0; i < 24; i++)
          insns.push(I(0x62, 10, 0, -96 + i * 4, i < attrWords.length ? attrWords[i]! : 0));
        insns.push(I(0xb7, 1, 0, 0, cmd), I(0xbf, 2, 10), I(0x07, 2, 0, 0, -96), I(0xb7, 3, 0, 0, 92));
        insns.push(I(0x85, 0, 0, 0, 166), EXIT);
        return insns;
      };
      const load = (cmd: number) =>
        b().progLoad({
          progType: ProgType.SYSCALL,
          insns: encode(prog(cmd)),
          license: 'GPL',
          progFlags: ProgFlag.SLEEPABLE,
        });
      using create = load(0);
      const fd = b().progTestRun({ progFd: create.fd, ctxIn: new Uint8Array(8) }).retval | 0;
      assert.ok(fd > 2, `fd ${fd}`);
      const info = b().objGetInfoByFd(fd, { kind: 'map' });
      assert.deepEqual([info.type, info.keySize, info.valueSize, info.maxEntries], [MapType.ARRAY, 4, 8, 3]);
      b().close(fd);
      using lookup = load(1);
      assert.equal(b().progTestRun({ progFd: lookup.fd, ctxIn: new Uint8Array(8) }).retval | 0, -22);
    });

    test('tail calls through a prog_array; an empty slot falls through', () => {
      using pa = b().mapCreate({ mapType: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      using target = b().progLoad(sf(encode([I(0xb7, 0, 0, 0, 42), EXIT])));
      b().mapUpdateElem(pa.fd, new Uint8Array(4), new Uint8Array(new Uint32Array([target.fd]).buffer));
      const caller = (slot: number) => [
        ld64(2, 1, pa.fd),
        I(0xb7, 3, 0, 0, slot),
        I(0x85, 0, 0, 0, 12),
        I(0xb7, 0, 0, 0, 7),
        EXIT,
      ];
      using a = b().progLoad(sf(encode(caller(0))));
      using c = b().progLoad(sf(encode(caller(1))));
      assert.equal(b().progTestRun({ progFd: a.fd, dataIn: PKT }).retval, 42);
      assert.equal(b().progTestRun({ progFd: c.fd, dataIn: PKT }).retval, 7);
      using x = b().progLoad({ progType: ProgType.XDP, insns: encode([MOV0, EXIT]), license: 'GPL' });
      assert.equal(
        runOutcome(() =>
          b().mapUpdateElem(
            pa.fd,
            new Uint8Array([1, 0, 0, 0]),
            new Uint8Array(new Uint32Array([x.fd]).buffer),
          ),
        ),
        'EINVAL',
      );
    });

    test('program info: id, type, tag, map ids, gpl', () => {
      using m = b().mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      using p = b().progLoad({ ...sf(encode([ld64(1, 1, m.fd), MOV0, EXIT])), progName: 'info_t' });
      const ids = new Uint8Array(8);
      const info = b().objGetInfoByFd(p.fd, { kind: 'prog', mapIds: ids });
      const mapId = b().objGetInfoByFd(m.fd, { kind: 'map' }).id;
      assert.deepEqual(
        [
          info.type,
          info.name,
          info.nrMapIds,
          new DataView(ids.buffer).getUint32(0, true),
          info.gplCompatible,
        ],
        [ProgType.SOCKET_FILTER, 'info_t', 1, mapId, true],
      );
      assert.equal(info.tag.length, 8);
    });
  });
}
