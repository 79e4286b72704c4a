// A BPF_PROG_TYPE_SYSCALL program (sleepable) creates a map through bpf_sys_bpf (helper 166):
// the attr it passes is our uapi encoding, in its context; it runs through BPF_PROG_TEST_RUN.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import { VerifierError } from '../../src/sys/errors.js';
import { Fd } from '../../src/sys/fd.js';
import { encodeMapCreate } from '../../src/uapi/attrs.js';
import { Cmd, Helper, MapType, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { ArrayMemory } from '../../src/uapi/memory.js';
import { kernel, skip } from './kernel.js';

const { R0, R1, R2, R3, R6 } = B;

describe('kernel: syscall programs', { skip }, () => {
  test('bpf_sys_bpf(BPF_MAP_CREATE) from a sleepable SYSCALL program run by PROG_TEST_RUN', () => {
    const k = kernel();
    const attr = encodeMapCreate(
      { mapType: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 5, mapName: 'from_bpf' },
      new ArrayMemory(),
    );
    const resultOff = 96; // after the attr (92 bytes, copied as 96)
    const ctx = new Uint8Array(104);
    ctx.set(attr);
    // Copy the attr from the context to the stack (the helper takes memory, not ctx), then call.
    const copy = [];
    for (let off = 0; off < 96; off += 8) copy.push(B.ldxDW(R1, R6, off), B.stxDW(B.R10, off - 96, R1));
    const insns = encode([
      B.mov64Reg(R6, R1),
      ...copy,
      B.mov64Imm(R1, Cmd.MAP_CREATE),
      B.mov64Reg(R2, B.R10),
      B.add64Imm(R2, -96),
      B.mov64Imm(R3, attr.length),
      B.call(Helper.sys_bpf),
      B.stxW(R6, resultOff, R0),
      B.mov64Imm(R0, 0),
      B.exit(),
    ]);
    // Not sleepable: refused.
    assert.throws(
      () => k.progLoad({ progType: ProgType.SYSCALL, insns, license: 'GPL' }),
      (e: unknown) => e instanceof VerifierError && /sleepable/.test(e.log),
    );
    using p = k.progLoad({
      progType: ProgType.SYSCALL,
      insns,
      license: 'GPL',
      progFlags: ProgFlag.SLEEPABLE,
    });
    // SYSCALL programs take no ctx_out (EINVAL): the kernel copies the context back into ctx_in.
    assert.throws(
      () => k.progTestRun({ progFd: p.fd, ctxIn: ctx.slice(), ctxOut: new Uint8Array(ctx.length) }),
      (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'EINVAL',
    );
    const r = k.progTestRun({ progFd: p.fd, ctxIn: ctx });
    assert.equal(r.retval, 0);
    const fd = new DataView(ctx.buffer).getInt32(resultOff, true);
    assert.ok(fd > 0, `bpf_sys_bpf returned ${fd}`);
    using m = new Fd(fd, 'map', (n) => k.close(n));
    const info = k.objGetInfoByFd(m.fd, { kind: 'map' });
    assert.equal(info.type, MapType.HASH);
    assert.equal(info.keySize, 8);
    assert.equal(info.valueSize, 16);
    assert.equal(info.maxEntries, 5);
    assert.equal(info.name, 'from_bpf');
    // The map works from user space.
    k.mapUpdateElem(m.fd, new Uint8Array(8), new Uint8Array(16).fill(9));
    const v = new Uint8Array(16);
    assert.equal(k.mapLookupElem(m.fd, new Uint8Array(8), v), true);
    assert.equal(v[15], 9);
    // A bad attr: the helper's errno comes back to the program.
    const bad = ctx.slice();
    bad.fill(0, 8, 12); // value_size = 0
    k.progTestRun({ progFd: p.fd, ctxIn: bad });
    assert.equal(new DataView(bad.buffer).getInt32(resultOff, true), -22);
  });
});
