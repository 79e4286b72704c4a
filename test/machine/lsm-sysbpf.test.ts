/**
 * The machine's BPF_PROG_LOAD hook with real loads: a syscall program loading a socket filter
 * through `bpf_sys_bpf` (its attr, instructions and license in its context) is `bpf_kernel=TRUE`,
 * a user-space load `FALSE`; a denial is EACCES for user space and -EACCES returned by the helper;
 * the hook runs after the attr checks and before verification, in the kernel's order
 * (kernel/bpf/syscall.c: attr and flag checks, signature, prog_name, security_bpf_prog_load,
 * then bpf_check).
 *
 * Not compared with the kernel: this kernel lists `bpf` in /sys/kernel/security/lsm, but any
 * BPF_PROG_TYPE_LSM (or fentry) load fails with EPERM as root (lockdown=integrity), so no BPF LSM
 * program can observe `security_bpf_prog_load` here, and IPE is not built in. The same syscall
 * loader does run on the kernel (its bpf_sys_bpf load succeeds), which is checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/machine.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { encodeProgLoad } from '../../src/uapi/attrs.js';
import { Cmd, Helper, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { ArrayMemory } from '../../src/uapi/memory.js';
import { kernel, skip } from '../kernel/kernel.js';

const { R0, R1, R2, R3, R6, R10 } = B;

/** `kern_version` of the loads (ignored by the kernel for socket filters; marks them in traces). */
const COUNT = 0x7e57_ab1f;

const RET0 = encode([B.mov64Imm(R0, 0), B.exit()]);

/**
 * A syscall program that loads RET0 as a socket filter through bpf_sys_bpf, with `kern_version`
 * = `magic`. The attr, the instructions and the license travel in the context; the program patches
 * the attr's two pointers with context addresses, copies the attr to its stack and calls the
 * helper. The helper's result (fd or -errno) is stored at `resultOffset`.
 */
function sysLoader(magic: number): { insns: Uint8Array; ctx: Uint8Array; resultOffset: number } {
  const attr = encodeProgLoad(
    { progType: ProgType.SOCKET_FILTER, insns: RET0, license: 'GPL', kernVersion: magic },
    new ArrayMemory(),
  );
  const a = Math.ceil(attr.length / 8) * 8;
  const insnsAt = a;
  const licenseAt = a + RET0.length;
  const resultOffset = licenseAt + 8;
  const ctx = new Uint8Array(resultOffset + 8);
  ctx.set(attr);
  ctx.set(RET0, insnsAt);
  ctx.set(new TextEncoder().encode('GPL'), licenseAt);
  const items: B.ProgramItem[] = [B.mov64Reg(R6, R1)];
  for (let off = 0; off < a; off += 8) items.push(B.ldxDW(R1, R6, off), B.stxDW(R10, off - a, R1));
  items.push(
    B.mov64Reg(R1, R6),
    B.add64Imm(R1, insnsAt),
    B.stxDW(R10, 8 - a, R1), // attr.insns
    B.mov64Reg(R1, R6),
    B.add64Imm(R1, licenseAt),
    B.stxDW(R10, 16 - a, R1), // attr.license
    B.mov64Imm(R1, Cmd.PROG_LOAD),
    B.mov64Reg(R2, R10),
    B.add64Imm(R2, -a),
    B.mov64Imm(R3, attr.length),
    B.call(Helper.sys_bpf),
    B.stxW(R6, resultOffset, R0),
    B.mov64Imm(R0, 0),
    B.exit(),
  );
  return { insns: encode(B.program(...items)), ctx, resultOffset };
}

/** Runs the syscall loader on `b`; returns the helper's result, closing a returned fd. */
function loadThroughSysBpf(b: Backend, magic: number): number {
  const l = sysLoader(magic);
  using p = b.progLoad({
    progType: ProgType.SYSCALL,
    insns: l.insns,
    license: 'GPL',
    progFlags: ProgFlag.SLEEPABLE,
  });
  // A syscall program's context is copied back into ctx_in after the run.
  const out = l.ctx;
  const r = b.progTestRun({ progFd: p.fd, ctxIn: out });
  assert.equal(r.retval, 0);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength).getInt32(l.resultOffset, true);
  if (v >= 0) b.close(v);
  return v;
}

function userLoad(b: Backend, magic: number, extra: { progFlags?: number; insns?: Uint8Array } = {}): string {
  try {
    b.progLoad({
      progType: ProgType.SOCKET_FILTER,
      insns: RET0,
      license: 'GPL',
      kernVersion: magic,
      ...extra,
    }).close();
    return 'ok';
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

/** Refused by the verifier with EINVAL: the last instruction is not an exit. */
const NO_EXIT = encode([B.mov64Imm(R0, 0)]);

describe('machine LSM hook with real loads (bpf_sys_bpf from a syscall program)', () => {
  it('the syscall loader works on the kernel too: its bpf_sys_bpf PROG_LOAD returns an fd', { skip }, () => {
    assert.ok(loadThroughSysBpf(kernel(), COUNT) >= 0);
  });

  it('bpf_kernel: FALSE for a user-space load, TRUE for the load issued through bpf_sys_bpf', () => {
    const m = new Machine();
    assert.equal(userLoad(m, COUNT), 'ok');
    assert.ok(loadThroughSysBpf(m, COUNT) >= 0);
    assert.deepEqual(
      m.lsm.decisions().map((d) => [d.progType, d.event.bpf_kernel]),
      [
        [ProgType.SOCKET_FILTER, false],
        [ProgType.SYSCALL, false],
        [ProgType.SOCKET_FILTER, true],
      ],
    );
    assert.equal(m.lsm.fromKernel, false, 'back in user space after the run');
  });

  it('a denial: EACCES from user space, -EACCES returned by bpf_sys_bpf to the program', () => {
    const pol = (what: string) =>
      `policy_name=deny_${what} policy_version=1.0.0\nDEFAULT action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=${what} action=DENY\n`;
    const m = new Machine();
    m.lsm.install(pol('TRUE'));
    assert.equal(userLoad(m, COUNT), 'ok');
    assert.equal(loadThroughSysBpf(m, COUNT), -13);
    const m2 = new Machine();
    m2.lsm.install(pol('FALSE'));
    assert.equal(userLoad(m2, COUNT), 'EACCES');
    const rec = m2.auditLog().at(-1)!;
    assert.match(rec.text, /rule="op=BPF_PROG_LOAD bpf_kernel=FALSE action=DENY"/);
    assert.equal(rec.access?.line, 3);
  });

  it('the hook runs before verification and after the attr checks', () => {
    const m = new Machine();
    // Without a policy the verifier refuses it; with a denying policy the hook's EACCES comes first.
    assert.equal(userLoad(m, COUNT, { insns: NO_EXIT }), 'EINVAL');
    m.lsm.install(
      'policy_name=deny_all policy_version=1.0.0\nDEFAULT action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY\n',
    );
    const n = m.lsm.decisions().length;
    assert.equal(userLoad(m, COUNT, { insns: NO_EXIT }), 'EACCES');
    assert.equal(m.lsm.decisions().length, n + 1, 'the policy decided it');
    assert.equal(m.lsm.decisions().at(-1)!.decision.action, 'DENY');
    // Bad flags: refused before the hook, no decision.
    assert.equal(userLoad(m, COUNT, { progFlags: 1 << 30 }), 'EINVAL');
    assert.equal(m.lsm.decisions().length, n + 1);
  });
});
