// The program hash (src/hash progHash) is what the kernel enforces for exclusive maps, and the
// program tag (progTag) is bpf_prog_info.tag. Random and hand-written programs, with every
// pseudo load kind: MAP_FD, MAP_VALUE, MAP_IDX, MAP_IDX_VALUE, BTF_ID, FUNC.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BTF_KIND, Btf, parseBtf } from '../../src/btf/index.js';
import { progHash, progTag } from '../../src/hash/index.js';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import type { Insn } from '../../src/isa/insn.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { KernelBackend } from '../../src/sys/kernel/index.js';
import type { ProgLoadAttr } from '../../src/uapi/attrs.js';
import { Helper, MapType, ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';
import { Rng, randomBody } from './progs.js';

const { R0, R1, R2, R3, R4, R7 } = B;
const MISMATCH = "program's hash doesn't match map's excl_prog_hash";
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

let varId: number | undefined;
/** BTF id of a kernel variable (the per-CPU `runqueues`) in this kernel's vmlinux BTF. */
function kernelVarId(): number {
  if (varId === undefined) {
    const path = '/sys/kernel/btf/vmlinux';
    assert.ok(existsSync(path), `${path} is missing`);
    const id = parseBtf(new Uint8Array(readFileSync(path))).findId('runqueues', BTF_KIND.VAR);
    assert.ok(id !== undefined, 'no VAR runqueues in vmlinux BTF');
    varId = id;
  }
  return varId;
}

type Ref = 'MAP_FD' | 'MAP_VALUE' | 'MAP_IDX' | 'MAP_IDX_VALUE';

/** The instruction that refers to the exclusive map (fd or fd_array index 1). */
function refInsn(ref: Ref, fd: number, off: number): Insn {
  switch (ref) {
    case 'MAP_FD':
      return B.ldMapFd(R7, fd);
    case 'MAP_VALUE':
      return B.ldMapValue(R7, fd, off);
    case 'MAP_IDX':
      return B.ldMapIdx(R7, 1);
    case 'MAP_IDX_VALUE':
      return B.ldMapIdxValue(R7, 1, off);
  }
}

interface Case {
  name: string;
  /** Builds the program for the exclusive map's fd. */
  build(fd: number): Insn[];
  /** Extra load attrs (BTF for FUNC). */
  extra?: (k: KernelBackend) => Partial<ProgLoadAttr> & { close?: () => void };
  /** The load fails after the hash check with this errno (BTF_ID: no ksym address here). */
  afterHash?: string;
}

function randomCases(count: number): Case[] {
  const refs: Ref[] = ['MAP_FD', 'MAP_VALUE', 'MAP_IDX', 'MAP_IDX_VALUE'];
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(0x5eed + i * 7919);
    const body = randomBody(rng, 8 + rng.int(40));
    const ref = refs[i % refs.length]!;
    let at = rng.int(body.length + 1);
    // Not between a conditional skip and the instruction it skips.
    if (at > 0 && (body[at - 1]!.code & 0x07) === 0x05 && body[at - 1]!.code !== 0x85) at++;
    const off = 8 * rng.int(4);
    out.push({
      name: `random #${i} (${ref}, ${body.length} insns)`,
      build: (fd) => [
        ...body.slice(0, at),
        refInsn(ref, fd, off),
        ...body.slice(at),
        B.and64Imm(R0, 3),
        B.exit(),
      ],
    });
  }
  return out;
}

const HAND: Case[] = [
  {
    name: 'MAP_FD lookup',
    build: (fd) => [
      B.stW(B.R10, -4, 0),
      B.ldMapFd(R1, fd),
      B.mov64Reg(R2, B.R10),
      B.add64Imm(R2, -4),
      B.call(Helper.map_lookup_elem),
      B.jeqImm(R0, 0, 2),
      B.ldxDW(R0, R0, 0),
      B.ja(1),
      B.mov64Imm(R0, 0),
      B.and64Imm(R0, 3),
      B.exit(),
    ],
  },
  {
    name: 'MAP_VALUE read at offset 16',
    build: (fd) => [B.ldMapValue(R1, fd, 16), B.ldxDW(R0, R1, 0), B.and64Imm(R0, 3), B.exit()],
  },
  {
    name: 'MAP_IDX + MAP_IDX_VALUE',
    build: () => [
      B.ldMapIdx(R7, 1),
      B.ldMapIdxValue(R1, 1, 8),
      B.ldxW(R0, R1, 0),
      B.and64Imm(R0, 3),
      B.exit(),
    ],
  },
  {
    name: 'MAP_FD twice and a plain 64-bit immediate',
    build: (fd) => [
      B.ldMapFd(R7, fd),
      B.ldImm64(R0, 0x1122334455667788n),
      B.ldMapFd(R1, fd),
      B.and64Imm(R0, 3),
      B.exit(),
    ],
  },
  {
    name: 'BTF_ID (kernel variable) after MAP_FD',
    build: (fd) => [B.ldMapFd(R7, fd), B.ldBtfId(R2, kernelVarId()), B.mov64Imm(R0, 0), B.exit()],
    afterHash: 'ENOENT',
  },
  {
    name: 'FUNC (bpf_loop callback) with MAP_FD',
    build: (fd) =>
      B.program(
        B.ldMapFd(R7, fd),
        B.mov64Imm(R1, 1),
        B.ldFunc(R2, 'cb'),
        B.mov64Imm(R3, 0),
        B.mov64Imm(R4, 0),
        B.call(Helper.loop),
        B.mov64Imm(R0, 0),
        B.exit(),
        B.label('cb'),
        B.mov64Imm(R0, 0),
        B.exit(),
      ),
    extra: (k) => {
      const btf = new Btf();
      const int = btf.addInt('int', 4, { encoding: 1 });
      const u32 = btf.addInt('unsigned int', 4);
      const main = btf.addFunc(
        'main',
        btf.addFuncProto(int, [{ name: 'ctx', type: btf.addPtr(0) }]),
        'global',
      );
      const cb = btf.addFunc(
        'cb',
        btf.addFuncProto(int, [
          { name: 'i', type: u32 },
          { name: 'c', type: btf.addPtr(0) },
        ]),
      );
      const fd = k.btfLoad({ btf: btf.serialize() });
      return {
        progBtfFd: fd.fd,
        funcInfo: new Uint8Array(new Uint32Array([0, main, 10, cb]).buffer),
        funcInfoRecSize: 8,
        close: () => fd.close(),
      };
    },
  },
];

/** Flips the first `mov64Imm` immediate (slot-level change of exactly one instruction). */
function mutate(insns: Insn[]): Insn[] {
  const i = insns.findIndex((x) => x.code === 0xb7 || x.code === 0x07 || x.code === 0x57);
  assert.ok(i >= 0);
  const copy = insns.slice();
  copy[i] = { ...copy[i]!, imm: (copy[i]!.imm ^ 0x40) | 0 };
  return copy;
}

function excl(k: KernelBackend, hash: Uint8Array) {
  return k.mapCreate({
    mapType: MapType.ARRAY,
    keySize: 4,
    valueSize: 32,
    maxEntries: 1,
    exclProgHash: hash,
  });
}

describe('kernel: program hash and tag', { skip }, () => {
  const cases = [...HAND, ...randomCases(56)];
  test(`${cases.length} programs: exclusive map accepts progHash, refuses a one-instruction change, tag = progTag`, () => {
    const k = kernel();
    assert.ok(cases.length >= 50);
    for (const c of cases) {
      using other = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 32, maxEntries: 1 });
      // Hash computed with a made-up fd: the kernel masks MAP_FD/MAP_VALUE fds, so it must not matter.
      const hash = progHash(encode(c.build(0x7ff)));
      using m = excl(k, hash);
      const extra = c.extra?.(k);
      try {
        const insns = encode(c.build(m.fd));
        const attr: ProgLoadAttr = {
          progType: ProgType.XDP,
          insns,
          license: 'GPL',
          fdArray: new Int32Array([other.fd, m.fd]),
          ...extra,
        };
        if (c.afterHash !== undefined) {
          assert.throws(
            () => k.progLoad(attr),
            (e: unknown) =>
              BpfError.is(e, c.afterHash as 'ENOENT') &&
              !/excl_prog_hash/.test(String((e as VerifierError).log)),
            `${c.name}: expected ${c.afterHash} after the hash check`,
          );
        } else {
          using p = k.progLoad(attr);
          const info = k.objGetInfoByFd(p.fd, { kind: 'prog' });
          assert.equal(hex(info.tag), hex(progTag(insns)), `${c.name}: tag`);
        }
        const changed = encode(mutate(c.build(m.fd)));
        assert.throws(
          () => k.progLoad({ ...attr, insns: changed }),
          (e: unknown) => e instanceof VerifierError && e.code === 'EACCES' && e.log.includes(MISMATCH),
          `${c.name}: a changed program must be refused`,
        );
      } finally {
        extra?.close?.();
      }
    }
  });

  test('masking: MAP_FD/MAP_VALUE immediates (both halves) are masked; MAP_IDX/MAP_IDX_VALUE, BTF_ID, FUNC are not', () => {
    const k = kernel();
    // MAP_VALUE: the offset (second half) is masked too: a hash over offset 0 accepts offset 16.
    {
      const h = progHash(encode([B.ldMapValue(R1, 0, 0), B.mov64Imm(R0, 0), B.exit()]));
      using m = excl(k, h);
      using p = k.progLoad({
        progType: ProgType.XDP,
        insns: encode([B.ldMapValue(R1, m.fd, 16), B.mov64Imm(R0, 0), B.exit()]),
        license: 'GPL',
      });
      assert.ok(p.fd > 0);
    }
    // MAP_IDX_VALUE: the offset is hashed: a hash over offset 0 refuses offset 8.
    {
      const h = progHash(encode([B.ldMapIdxValue(R1, 0, 0), B.mov64Imm(R0, 0), B.exit()]));
      using m = excl(k, h);
      assert.throws(
        () =>
          k.progLoad({
            progType: ProgType.XDP,
            insns: encode([B.ldMapIdxValue(R1, 0, 8), B.mov64Imm(R0, 0), B.exit()]),
            license: 'GPL',
            fdArray: new Int32Array([m.fd]),
          }),
        (e: unknown) => e instanceof VerifierError && e.code === 'EACCES' && e.log.includes(MISMATCH),
      );
    }
    // MAP_IDX: the index is hashed: same map at index 0 and 1, hash over index 0, load with 1.
    {
      const h = progHash(encode([B.ldMapIdx(R1, 0), B.mov64Imm(R0, 0), B.exit()]));
      using m = excl(k, h);
      assert.throws(
        () =>
          k.progLoad({
            progType: ProgType.XDP,
            insns: encode([B.ldMapIdx(R1, 1), B.mov64Imm(R0, 0), B.exit()]),
            license: 'GPL',
            fdArray: new Int32Array([m.fd, m.fd]),
          }),
        (e: unknown) => e instanceof VerifierError && e.log.includes(MISMATCH),
      );
    }
  });

  test('fd_array_cnt (Linux 6.18): exclusive maps bound through fd_array are checked against an all-zero digest', () => {
    const k = kernel();
    const insns = encode([B.ldMapIdx(R1, 0), B.mov64Imm(R0, 0), B.exit()]);
    {
      using m = excl(k, progHash(insns));
      assert.throws(
        () =>
          k.progLoad({
            progType: ProgType.XDP,
            insns,
            license: 'GPL',
            fdArray: new Int32Array([m.fd]),
            fdArrayCnt: true,
          }),
        (e: unknown) => e instanceof VerifierError && e.code === 'EACCES' && e.log.includes(MISMATCH),
      );
      // Without fd_array_cnt the same program and map load.
      using p = k.progLoad({
        progType: ProgType.XDP,
        insns,
        license: 'GPL',
        fdArray: new Int32Array([m.fd]),
      });
      assert.ok(p.fd > 0);
    }
    {
      using z = excl(k, new Uint8Array(32));
      using p = k.progLoad({
        progType: ProgType.XDP,
        insns,
        license: 'GPL',
        fdArray: new Int32Array([z.fd]),
        fdArrayCnt: true,
      });
      assert.ok(p.fd > 0, 'a map with an all-zero excl_prog_hash accepts any program through fd_array_cnt');
    }
  });
});
