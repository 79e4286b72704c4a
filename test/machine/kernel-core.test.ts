/**
 * Kernel-side CO-RE (PROG_LOAD `core_relos`, as gen_loader's light skeletons use it): the same
 * attr on Linux and on the machine gives the same verdict, errno, patched instructions (xlated,
 * for ALU relocations), test-run result and CO-RE log lines. Type ids in the log lines are each
 * backend's own vmlinux id of the named type; the test maps the kernel's to the machine's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { BTF_KIND, type Btf, parseBtf } from '../../src/btf/index.js';
import { linkProgram } from '../../src/elf/index.js';
import { progHash } from '../../src/hash/index.js';
import { encode } from '../../src/isa/codec.js';
import { BpfObject } from '../../src/loader/index.js';
import { Machine, machineVmlinuxBtf } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { VerifierError } from '../../src/sys/errors.js';
import type { LoadedFd } from '../../src/sys/fd.js';
import type { TestRunAttr } from '../../src/uapi/attrs.js';
import { backends } from '../backend/backends.js';
import { objectBytes } from '../loader/helpers.js';
import {
  add0,
  type CoreCase,
  exit,
  insn,
  jeq0,
  loadWithRelos,
  localBtf,
  mov0,
  prog,
  BPF_CORE_RELO as R,
} from './core-relo-case.js';

const kernel = backends().find((b) => b.name === 'kernel')!;
const l = localBtf();
const skbOff = (slot: number) => ({ slot, typeId: l.skb, access: '0:0', kind: R.FIELD_BYTE_OFFSET });

/** Cases whose outcome must be the same on both backends. */
const CASES: Record<string, CoreCase> = {
  'field offset and a missing field exists=0': {
    insns: prog(mov0(0), add0(1), exit()),
    relos: [skbOff(0), { slot: 1, typeId: l.skb, access: '0:1', kind: R.FIELD_EXISTS }],
  },
  'enum value': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: l.xdpAction, access: '0', kind: R.ENUMVAL_VALUE }],
  },
  'missing enumerator exists=0': {
    insns: prog(mov0(1), exit()),
    relos: [{ slot: 0, typeId: l.xdpAction, access: '1', kind: R.ENUMVAL_EXISTS }],
  },
  'type size': {
    insns: prog(mov0(8), exit()),
    relos: [{ slot: 0, typeId: l.skb, access: '0', kind: R.TYPE_SIZE }],
  },
  'task_struct.tgid offset': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: l.task, access: '0:0', kind: R.FIELD_BYTE_OFFSET }],
  },
  'bpf_sock.state offset': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: l.sock, access: '0:0', kind: R.FIELD_BYTE_OFFSET }],
  },
  'local type id': {
    insns: prog(mov0(l.skb), exit()),
    relos: [{ slot: 0, typeId: l.skb, access: '0', kind: R.TYPE_ID_LOCAL }],
  },
  'record of 20 bytes': { insns: prog(mov0(0), exit()), relos: [skbOff(0)], recSize: 20 },
  'record of 252 bytes': { insns: prog(mov0(0), exit()), relos: [skbOff(0)], recSize: 252 },
  'without func_info core_relos are ignored': {
    insns: prog(mov0(0), exit()),
    relos: [skbOff(0)],
    noFuncInfo: true,
  },
  'level 2 keeps the CO-RE lines': {
    insns: prog(mov0(0), add0(1), exit()),
    relos: [skbOff(0), { slot: 1, typeId: l.skb, access: '0:1', kind: R.FIELD_EXISTS }],
    logLevel: 2,
  },
  'poisoned reachable instruction': {
    insns: prog(mov0(4), exit()),
    relos: [{ slot: 0, typeId: l.skb, access: '0:1', kind: R.FIELD_BYTE_OFFSET }],
  },
  'bad type id': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: 999, access: '0:0', kind: R.FIELD_BYTE_OFFSET }],
  },
  'insn_off past the program': { insns: prog(mov0(0), exit()), relos: [skbOff(5)] },
  'instruction without the local value': { insns: prog(mov0(3), exit()), relos: [skbOff(0)] },
  'bad access string': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: l.skb, access: '0:7', kind: R.FIELD_BYTE_OFFSET }],
  },
  'nonzero bytes past the known record': {
    insns: prog(mov0(0), exit()),
    relos: [skbOff(0)],
    recSize: 20,
    tail: 1,
  },
  'void local type: candidate search fails': {
    insns: prog(mov0(0), exit()),
    relos: [{ slot: 0, typeId: 0, access: '0', kind: R.TYPE_SIZE }],
  },
  'record of 12 bytes': { insns: prog(mov0(0), exit()), relos: [skbOff(0)], recSize: 12 },
  'record of 256 bytes': { insns: prog(mov0(0), exit()), relos: [skbOff(0)], recSize: 256 },
  'prog_btf_fd not open': { insns: prog(mov0(0), exit()), relos: [skbOff(0)], progBtfFd: 999 },
  'LDX offset': { insns: prog(insn(0x61, 0, 1, 0, 0), exit()), relos: [skbOff(0)] },
};

interface Outcome {
  errno?: string;
  xlated?: string;
  retval?: number;
  coreLines: string[];
  lastLine?: string;
}

function outcome(b: Backend, c: CoreCase, ids: (s: string) => string, xlated: boolean): Outcome {
  const r = loadWithRelos(b, c);
  if (r.fd !== undefined) {
    using fd = r.fd;
    const x = new Uint8Array(256);
    const info = b.objGetInfoByFd(fd.fd, { kind: 'prog', xlatedProgInsns: x });
    const run = b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 1 });
    return {
      ...(xlated ? { xlated: [...x.subarray(0, info.xlatedProgLen)].join(',') } : {}),
      retval: run.retval,
      coreLines: fd.log
        .split('\n')
        .filter((s) => /relo|CO-RE/.test(s))
        .map(ids),
    };
  }
  const e = r.error;
  assert.ok(e instanceof VerifierError, String(e));
  const lines = e.log.split('\n').filter((s) => s !== '');
  return {
    errno: e.code,
    coreLines: lines.filter((s) => /relo|CO-RE/.test(s)).map(ids),
    lastLine: lines.filter((s) => !s.startsWith('processed ')).at(-1),
  };
}

let realVmlinux: Btf | undefined;

/** Rewrites `[id]` of the kernel's vmlinux to the machine's id of the same named type. */
function kernelToMachineIds(mach: Btf): (s: string) => string {
  realVmlinux ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  const k = realVmlinux;
  return (s) =>
    s
      .replace(/\[(\d+)\] (STRUCT|ENUM|UNION) ([A-Za-z_]\w*)/g, (all, id, kind, name) => {
        const kt = k.type(Number(id));
        if (kt.name !== name) return all;
        const mid = mach.findId(
          name,
          kind === 'STRUCT' ? BTF_KIND.STRUCT : kind === 'UNION' ? BTF_KIND.UNION : BTF_KIND.ENUM,
        );
        return `[${mid}] ${kind} ${name}`;
      })
      .replace(/found target candidate \[(\d+)\]/, (all, id) => {
        const name = k.type(Number(id)).name;
        const mid = mach.findId(name);
        return mid === undefined ? all : `found target candidate [${mid}]`;
      })
      // Member indices of kernel-internal structs differ (the machine's task_struct is a subset).
      .replace(/task_struct\.tgid \(0:\d+ /, 'task_struct.tgid (0:N ');
}

for (const [name, c] of Object.entries(CASES)) {
  test(`kernel-side CO-RE, same on both backends: ${name}`, { skip: kernel.skip }, () => {
    const m = new Machine();
    const mb = machineVmlinuxBtf(m.profile);
    const fromKernel = kernelToMachineIds(mb);
    // LDX on __sk_buff is rewritten by the kernel's ctx conversion: compare results, not xlated.
    const xl = name !== 'LDX offset';
    const want = outcome(kernel.backend(), c, fromKernel, xl);
    const got = outcome(m, c, (s) => s.replace(/task_struct\.tgid \(0:\d+ /, 'task_struct.tgid (0:N '), xl);
    assert.deepEqual(got, want);
  });
}

test(
  "kernel-side CO-RE: TYPE_ID_TARGET is the id in each backend's own vmlinux",
  { skip: kernel.skip },
  () => {
    const c: CoreCase = {
      insns: prog(mov0(l.skb), exit()),
      relos: [{ slot: 0, typeId: l.skb, access: '0', kind: R.TYPE_ID_TARGET }],
    };
    const k = kernel.backend();
    realVmlinux ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const m = new Machine();
    for (const [b, btf] of [
      [k, realVmlinux],
      [m, machineVmlinuxBtf(m.profile)],
    ] as const) {
      const r = loadWithRelos(b, c);
      assert.ok(r.fd !== undefined, String(r.error));
      using fd = r.fd;
      const run = b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 1 });
      assert.equal(run.retval, btf.findId('__sk_buff', BTF_KIND.STRUCT));
    }
  },
);

test(
  'kernel-side CO-RE: a poisoned instruction on a path the verifier never takes',
  { skip: kernel.skip },
  () => {
    // r0 = 0; if r0 == 0 goto +1; r0 = <missing field offset>; exit
    const c: CoreCase = {
      insns: prog(mov0(0), jeq0(0, 1), mov0(4), exit()),
      relos: [{ slot: 2, typeId: l.skb, access: '0:1', kind: R.FIELD_BYTE_OFFSET }],
    };
    // Linux checks helper ids only on the instructions its walk visits, and so does the machine
    // (its verifier, not its structural pre-check): the poisoned call is dead, both load it, and
    // the program runs to its r0 = 0.
    for (const b of [kernel.backend(), new Machine()]) {
      const r = loadWithRelos(b, c);
      assert.ok(r.fd !== undefined, `${b instanceof Machine ? 'machine' : 'Linux'}: ${r.error}`);
      using fd = r.fd;
      assert.equal(b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 1 }).retval, 0);
    }
  },
);

test(
  'prog_btf_fd naming the kernel BTF (EACCES) or a map (EINVAL): the same on both backends',
  { skip: kernel.skip },
  () => {
    const c: CoreCase = { insns: prog(mov0(0), exit()), relos: [skbOff(0)] };
    const seen: string[][] = [];
    for (const b of [kernel.backend(), new Machine()]) {
      using vmlinux = b.btfGetFdById(1);
      using map = b.mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      const codes = [vmlinux.fd, map.fd].map((fd) => {
        const r = loadWithRelos(b, { ...c, progBtfFd: fd });
        assert.ok(
          r.error instanceof VerifierError,
          `${b.name}: prog_btf_fd ${fd}: ${r.fd !== undefined ? 'loaded' : String(r.error)}`,
        );
        return r.error.code;
      });
      seen.push(codes);
    }
    assert.deepEqual(seen, [
      ['EACCES', 'EINVAL'],
      ['EACCES', 'EINVAL'],
    ]);
  },
);

test(
  'an exclusive map checks the hash of the CO-RE-patched instructions, on both backends',
  { skip: kernel.skip },
  () => {
    const mk = (fd: number, imm: number) =>
      prog(insn(0x18, 1, 1, 0, fd), new Uint8Array(8), mov0(imm), exit());
    const verdicts: string[] = [];
    for (const b of [kernel.backend(), new Machine()]) {
      for (const imm of [0, 8]) {
        using map = b.mapCreate({
          mapType: 2,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          exclProgHash: progHash(mk(0, imm)),
        });
        const r = loadWithRelos(b, { insns: mk(map.fd, 0), relos: [{ ...skbOff(2) }] });
        r.fd?.close();
        verdicts.push(r.fd !== undefined ? 'ok' : (r.error as VerifierError).code);
      }
    }
    // Hash of the instructions as given: refused; hash after relocation (mark at 8): loads.
    assert.deepEqual(verdicts, ['EACCES', 'ok', 'EACCES', 'ok']);
  },
);

/** A program of core.bpfel.o loaded as gen_loader does: unrelocated, with core_relos for the kernel. */
function loadKernelCore(b: Backend, name: string): { fd?: LoadedFd; error?: unknown } {
  const obj = BpfObject.open(objectBytes('core'));
  const p = obj.programs.get(name)!;
  const btf = parseBtf(obj.loadableBtf()!);
  const linked = linkProgram(obj.spec, name);
  const rec = 16;
  const relos = new Uint8Array(linked.coreRelos.length * rec);
  const rv = new DataView(relos.buffer);
  linked.coreRelos.forEach((c, i) => {
    rv.setUint32(i * rec, c.slot * 8, true);
    rv.setUint32(i * rec + 4, c.typeId, true);
    rv.setUint32(i * rec + 8, btf.addString(c.access), true);
    rv.setUint32(i * rec + 12, c.kind, true);
  });
  const fi = new Uint8Array(linked.funcInfo.length * 8);
  const fv = new DataView(fi.buffer);
  linked.funcInfo.forEach((f, i) => {
    fv.setUint32(i * 8, f.slot, true);
    fv.setUint32(i * 8 + 4, f.typeId, true);
  });
  using btfFd = b.btfLoad({ btf: btf.serialize() });
  try {
    const fd = b.progLoad({
      progType: p.type,
      expectedAttachType: p.attachType,
      progFlags: p.flags,
      insns: encode(linked.insns),
      license: 'GPL',
      progBtfFd: btfFd.fd,
      funcInfo: fi,
      funcInfoRecSize: 8,
      coreRelos: relos,
      coreReloRecSize: rec,
    });
    return { fd };
  } catch (e) {
    return { error: e };
  }
}

test(
  'core.bpfel.o through kernel-side CO-RE (as a light skeleton loads it): same results on both backends',
  { skip: kernel.skip },
  () => {
    const m = new Machine();
    const runs: Record<string, Partial<TestRunAttr>> = {
      sock_len: { dataIn: new Uint8Array(60), repeat: 1 },
      xdp_drop_small: { dataIn: new Uint8Array(40), repeat: 1 },
      tc_mark: { dataIn: new Uint8Array(60), repeat: 1 },
      sys_probe: {},
    };
    for (const [name, attr] of Object.entries(runs)) {
      const got: unknown[] = [];
      for (const b of [kernel.backend(), m]) {
        const r = loadKernelCore(b, name);
        assert.ok(
          r.fd !== undefined,
          `${b.name} ${name}: ${String(r.error)} ${(r.error as VerifierError)?.log ?? ''}`,
        );
        using fd = r.fd;
        const x = new Uint8Array(512);
        const info = b.objGetInfoByFd(fd.fd, { kind: 'prog', xlatedProgInsns: x });
        got.push({
          retval: b.progTestRun({ progFd: fd.fd, ...attr }).retval,
          // ctx accesses are rewritten by Linux (not by the machine): compare xlated for sys_probe only.
          xlated: name === 'sys_probe' ? [...x.subarray(0, info.xlatedProgLen)].join(',') : '',
        });
      }
      assert.deepEqual(got[1], got[0], name);
    }
  },
);

test('machine: arbitrary core_relo records give a load or an errno, never a stray exception', () => {
  const m = new Machine();
  const lb = localBtf();
  const nTypes = lb.btf.typeCount;
  const accesses = ['0', '0:0', '0:1', '0:2', '1:0', '0:0:0', '0:99999', 'x', '', '0:-1', '4294967296'];
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          slot: fc.integer({ min: 0, max: 3 }),
          typeId: fc.integer({ min: 0, max: nTypes + 2 }),
          access: fc.constantFrom(...accesses),
          kind: fc.integer({ min: 0, max: 14 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      fc.constantFrom(
        prog(mov0(0), add0(1), exit()),
        prog(insn(0x18, 0, 0, 0, 0), new Uint8Array(8), exit()),
      ),
      (relos, insns) => {
        const r = loadWithRelos(m, { insns, relos });
        if (r.fd !== undefined) r.fd.close();
        else assert.ok(r.error instanceof VerifierError, String(r.error));
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});
