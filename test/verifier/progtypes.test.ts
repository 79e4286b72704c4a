// Program types on the kernel and on the machine (test/verifier/progtypes.ts): for every type the
// machine loads, ctx reads and writes at every offset and size, return values around the type's
// range, helpers, direct packet access, attach types, sleepable flags, BTF ids and test runs. The
// machine (lockdown 'integrity', like this host) must give the kernel's verdict, errno and error
// line for each, except the differences listed below with their reason.
//
// The comparison runs against the recording (progtypes-kernel.json) everywhere, and re-checks the
// recording against the live kernel when bpf(2) is usable. `UPDATE_PROGTYPES=1` rewrites it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BTF_KIND } from '../../src/btf/kinds.js';
import { encode } from '../../src/isa/codec.js';
import { backendKernelBtf } from '../../src/loader/kernelbtf.js';
import { Machine } from '../../src/machine/index.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { TestRunAttr } from '../../src/uapi/attrs.js';
import { AttachType, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from '../kernel/kernel.js';
import { errorLine } from './harness.js';
import {
  CONFIGS,
  loadAnswer,
  type PtRecord,
  ptPrograms,
  ptRuns,
  readPtRecord,
  runAnswer,
  writePtRecord,
} from './progtypes.js';

/**
 * Where the machine answers differently, and why. A key is a program name or a regular
 * expression (between slashes) over names.
 */
const KNOWN: Record<string, string> = {
  // Pointers the machine's verifier does not model: the load is refused (EACCES) with
  // "ctx field off=N size=8 (TYPE) is not supported by the machine", where Linux accepts.
  'flow_dissector/r8@144': 'flow_keys pointer: not modelled',
  'raw_tp_w/r8@0': 'the writable tracepoint buffer (tp_buffer): not modelled',
  '/^netfilter\\/r8@(0|8)$/': 'BTF pointers (trusted_ptr_nf_hook_state, trusted_ptr_sk_buff): not modelled',
};

function known(name: string): string | undefined {
  for (const [k, why] of Object.entries(KNOWN)) {
    if (k.startsWith('/') ? new RegExp(k.slice(1, -1)).test(name) : k === name) return why;
  }
  return undefined;
}

if (process.env.UPDATE_PROGTYPES === '1') {
  const k = kernel();
  const rec: PtRecord = { loads: {}, runs: {} };
  for (const p of ptPrograms()) rec.loads[p.name] = loadAnswer(k, p);
  for (const r of ptRuns()) rec.runs[r.name] = runAnswer(k, r);
  writePtRecord(rec);
}

const record = readPtRecord();
const integrity = (): Machine => new Machine({ profile: { lockdown: 'integrity' } });

describe('program types: the machine against the kernel', () => {
  const programs = ptPrograms();
  const runs = ptRuns();

  test('every program and run is recorded, and every configuration is covered', () => {
    const missing = programs.filter((p) => record.loads[p.name] === undefined).map((p) => p.name);
    const missingRuns = runs.filter((r) => record.runs[r.name] === undefined).map((r) => r.name);
    assert.deepEqual([...missing, ...missingRuns], [], 'run with UPDATE_PROGTYPES=1 to record the kernel');
    assert.ok(programs.length > 5000, `${programs.length} programs`);
    for (const c of CONFIGS)
      assert.ok(
        programs.some((p) => p.name.startsWith(`${c.tag}/`)),
        c.tag,
      );
  });

  test('loads: same verdict, errno and error line (lockdown integrity), except the listed differences', () => {
    const m = integrity();
    const diffs: string[] = [];
    const unsound: string[] = [];
    const stale: string[] = [];
    let same = 0;
    for (const p of programs) {
      const k = record.loads[p.name];
      if (k === undefined) continue;
      const got = loadAnswer(m, p);
      const why = known(p.name);
      if (got === k) {
        same++;
        if (why !== undefined) stale.push(p.name);
        continue;
      }
      if (k !== 'accepted' && got === 'accepted') unsound.push(`${p.name}: kernel ${k}`);
      else if (why === undefined) diffs.push(`${p.name}: kernel '${k}' machine '${got}'`);
    }
    assert.deepEqual(unsound, [], 'the machine accepted programs the kernel refuses');
    assert.deepEqual(diffs, [], 'unlisted differences');
    assert.deepEqual(stale, [], 'listed differences that no longer differ');
    assert.ok(same > 5000, `${same} equal`);
  });

  test('test runs: same retval, sizes, data and ctx out, or the same errno', () => {
    const m = integrity();
    const diffs: string[] = [];
    for (const r of runs) {
      const k = record.runs[r.name];
      if (k === undefined) continue;
      const got = runAnswer(m, r);
      if (got !== k) diffs.push(`${r.name}: kernel '${k}' machine '${got}'`);
    }
    assert.deepEqual(diffs, []);
  });

  test('soundness: every accepted program of a type with a test runner runs without a fault', () => {
    const m = integrity();
    const eth = (n: number, proto: number): Uint8Array => {
      const d = new Uint8Array(n);
      for (let k = 0; k < n; k++) d[k] = (k * 37 + 11) & 0xff;
      d[12] = proto >> 8;
      d[13] = proto & 0xff;
      return d;
    };
    const skbInputs = [
      { dataIn: eth(64, 0x0800) },
      { dataIn: eth(100, 0x86dd) },
      { dataIn: eth(14, 0x1234) },
    ];
    const lookup = new Uint8Array(72);
    lookup[8] = 2;
    lookup[12] = 6;
    const inputs: Record<number, Omit<TestRunAttr, 'progFd'>[]> = {
      [ProgType.CGROUP_SKB]: skbInputs,
      [ProgType.LWT_IN]: skbInputs,
      [ProgType.LWT_OUT]: skbInputs,
      [ProgType.LWT_XMIT]: skbInputs,
      [ProgType.RAW_TRACEPOINT]: [{ ctxIn: eth(96, 0) }, { ctxIn: eth(8, 0) }],
      [ProgType.FLOW_DISSECTOR]: [{ dataIn: eth(64, 0x0800) }, { dataIn: eth(14, 0) }],
      [ProgType.NETFILTER]: [{ dataIn: eth(64, 0x0800) }],
      [ProgType.SK_LOOKUP]: [{ ctxIn: lookup }],
    };
    const faults: string[] = [];
    let runs = 0;
    for (const p of programs) {
      const ins = inputs[p.progType];
      if (ins === undefined || loadAnswer(m, p) !== 'accepted') continue;
      for (const attr of ins) {
        runs++;
        const got = runAnswer(m, { name: p.name, prog: p, attr });
        if (got === 'EFAULT') faults.push(`${p.name} ${JSON.stringify(Object.keys(attr))}`);
      }
    }
    assert.deepEqual(faults, []);
    assert.ok(runs > 500, `${runs} runs`);
  });

  test('the recording is what the running kernel says', { skip }, () => {
    const k = kernel();
    const stale: string[] = [];
    for (const p of programs) {
      const live = loadAnswer(k, p);
      if (record.loads[p.name] !== live)
        stale.push(`${p.name}: recorded ${record.loads[p.name]} live ${live}`);
    }
    for (const r of runs) {
      const live = runAnswer(k, r);
      if (record.runs[r.name] !== live) stale.push(`${r.name}: recorded ${record.runs[r.name]} live ${live}`);
    }
    assert.deepEqual(stale, []);
  });
});

describe('program types: lockdown and BTF-attached types on the machine', () => {
  const load = (m: Machine, progType: number, attachType: number, extra: Record<string, unknown> = {}) => {
    try {
      m.progLoad({
        progType,
        expectedAttachType: attachType,
        insns: encode([
          { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
          { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
        ]),
        license: 'GPL',
        logLevel: 1,
        ...extra,
      }).close();
      return 'accepted';
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return `${e.code}|${e instanceof VerifierError ? errorLine(e.lines) : ''}`;
    }
  };

  test("lockdown 'none' (the default): fentry/fexit/fmod_ret, LSM and EXT reach the verifier", () => {
    const m = new Machine({});
    const btf = backendKernelBtf(m)!;
    const int = btf.findId('int', BTF_KIND.INT)!;
    const u32 = btf.findId('u32', BTF_KIND.TYPEDEF)!;
    const task = btf.findId('task_struct', BTF_KIND.STRUCT)!;
    const past = btf.typeCount;
    for (const a of [AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN]) {
      assert.equal(load(m, ProgType.TRACING, a), 'EINVAL|Tracing programs must provide btf_id');
      assert.equal(
        load(m, ProgType.TRACING, a, { attachBtfId: past }),
        `EINVAL|attach_btf_id ${past} is invalid`,
      );
      assert.equal(
        load(m, ProgType.TRACING, a, { attachBtfId: int }),
        `EINVAL|attach_btf_id ${int} is not a function`,
      );
    }
    assert.equal(load(m, ProgType.LSM, AttachType.LSM_MAC), 'EINVAL|Tracing programs must provide btf_id');
    assert.equal(
      load(m, ProgType.LSM, AttachType.LSM_MAC, { attachBtfId: int }),
      `EINVAL|attach_btf_id ${int} is not a function`,
    );
    assert.equal(load(m, ProgType.EXT, 0), 'EINVAL|Tracing programs must provide btf_id');
    // The kernel's checks on the target's kind (measured on this host for tp_btf and iter).
    assert.equal(
      load(m, ProgType.TRACING, AttachType.TRACE_RAW_TP, { attachBtfId: task }),
      `EINVAL|attach_btf_id ${task} is not a typedef`,
    );
    assert.equal(
      load(m, ProgType.TRACING, AttachType.TRACE_RAW_TP, { attachBtfId: u32 }),
      `EINVAL|attach_btf_id ${u32} points to wrong type name u32`,
    );
    assert.equal(
      load(m, ProgType.TRACING, AttachType.TRACE_ITER, { attachBtfId: u32 }),
      `EINVAL|attach_btf_id ${u32} is not a function`,
    );
    // Another attach type with a valid id: EINVAL without a line.
    assert.equal(load(m, ProgType.TRACING, 0, { attachBtfId: int }), 'EINVAL|');
  });

  test("lockdown 'integrity' and 'confidentiality': EPERM before the verifier, no log", () => {
    for (const lockdown of ['integrity', 'confidentiality'] as const) {
      const m = new Machine({ profile: { lockdown } });
      for (const a of [AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT, AttachType.MODIFY_RETURN])
        assert.equal(load(m, ProgType.TRACING, a, { attachBtfId: 42 }), 'EPERM|');
      assert.equal(load(m, ProgType.LSM, AttachType.LSM_MAC), 'EPERM|');
      assert.equal(load(m, ProgType.EXT, 0), 'EPERM|');
      // Iterators and BTF raw tracepoints are not refused by lockdown.
      assert.equal(
        load(m, ProgType.TRACING, AttachType.TRACE_ITER),
        'EINVAL|Tracing programs must provide btf_id',
      );
    }
  });

  test("lockdown 'confidentiality' removes the kernel-read helpers", () => {
    const insns = encode([
      { code: 0xbf, dst: 1, src: 10, off: 0, imm: 0 },
      { code: 0x07, dst: 1, src: 0, off: 0, imm: -8 },
      { code: 0xb7, dst: 2, src: 0, off: 0, imm: 8 },
      { code: 0xb7, dst: 3, src: 0, off: 0, imm: 0 },
      { code: 0x85, dst: 0, src: 0, off: 0, imm: 113 },
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
    const m = new Machine({ profile: { lockdown: 'confidentiality' } });
    assert.throws(
      () => m.progLoad({ progType: ProgType.KPROBE, insns, license: 'GPL', logLevel: 1 }),
      (e: unknown) =>
        e instanceof VerifierError &&
        errorLine(e.lines) === 'program of this type cannot use helper bpf_probe_read_kernel#113',
    );
    new Machine({ profile: { lockdown: 'integrity' } })
      .progLoad({ progType: ProgType.KPROBE, insns, license: 'GPL', logLevel: 1 })
      .close();
  });

  test('privileges by type: CAP_NET_ADMIN and CAP_PERFMON', () => {
    const noNet = new Machine({ caps: ['CAP_BPF', 'CAP_PERFMON'] });
    assert.equal(load(noNet, ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT), 'EPERM|');
    assert.equal(load(noNet, ProgType.KPROBE, 0), 'accepted');
    assert.equal(load(noNet, ProgType.SK_LOOKUP, AttachType.SK_LOOKUP), 'accepted');
    const noPerf = new Machine({ caps: ['CAP_BPF', 'CAP_NET_ADMIN'] });
    assert.equal(load(noPerf, ProgType.KPROBE, 0), 'EPERM|');
    assert.equal(load(noPerf, ProgType.CGROUP_SYSCTL, 0), 'accepted');
    assert.equal(
      load(noPerf, ProgType.SYSCALL, 0, { progFlags: ProgFlag.SLEEPABLE }),
      'accepted',
      'syscall programs need CAP_BPF only',
    );
  });
});
