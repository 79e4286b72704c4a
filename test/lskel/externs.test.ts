/**
 * Externs, CO-RE, host overrides and error unwinding through light skeletons, on both backends.
 * test/lskel/fixtures/ksyms.c: `.kconfig` values (baked in at generation), kfuncs with a CO-RE
 * field read, a weak missing typed ksym, typeless ksyms (resolved by the loader at run time), and
 * a strong missing kfunc.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, it } from 'node:test';
import { BTF_KIND, type BtfComposite, parseBtf } from '../../src/btf/index.js';
import { signerFromFiles } from '../../src/cli/signer.js';
import { BpfObject } from '../../src/loader/index.js';
import { backendKernelBtf } from '../../src/loader/kernelbtf.js';
import {
  generateLightSkeleton,
  type LightSkeleton,
  LoaderError,
  loadAndRun,
  lskelFromJson,
  lskelToJson,
  pemOrDer,
  runAttack,
  signLightSkeleton,
} from '../../src/lskel/index.js';
import { Machine } from '../../src/machine/machine.js';
import { MachineKeyrings } from '../../src/machine/signature/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { KeySpec } from '../../src/uapi/constants.js';
import { possibleCpus } from '../backend/backends.js';
import { kernel, openFds, skip } from '../kernel/kernel.js';
import { hostOptions, kernelConfig, objectBytes, vmlinuxBtf } from '../loader/helpers.js';
import { testKey } from './keys.js';

const CPUS = possibleCpus();
const KSYMS = new Uint8Array(readFileSync(new URL('fixtures/ksyms.bpfel.o', import.meta.url)));

function kallsyms(name: string): bigint | undefined {
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[2] === name) return BigInt(`0x${f[0]}`);
  }
  return undefined;
}

/** The ksyms fixture opened for this host, with only `progs` loaded. */
function ksyms(...progs: string[]): BpfObject {
  const obj = BpfObject.open(KSYMS, { ...hostOptions(CPUS), ksymAddress: kallsyms });
  for (const p of obj.programs.values()) p.autoload = progs.includes(p.name);
  return obj;
}

function sign(l: LightSkeleton): LightSkeleton {
  const k = testKey('p256');
  return signLightSkeleton(l, signerFromFiles(k.key, k.cert));
}

function machine(): Machine {
  const kr = new MachineKeyrings();
  kr.addCertificate(pemOrDer(testKey('p256').cert, 'CERTIFICATE'), KeySpec.SESSION_KEYRING);
  return new Machine({ keyrings: kr, cpus: CPUS });
}

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/** Runs each program once and returns `.bss` (u64 out[8], then u64 core_out[4]). */
function runAndRead(b: Backend, maps: Map<string, number>, progs: Map<string, number>): bigint[] {
  for (const fd of progs.values())
    assert.equal(b.progTestRun({ progFd: fd, ctxIn: new Uint8Array(8) }).retval, 0);
  const v = new Uint8Array(96);
  assert.ok(b.mapLookupElem(maps.get('.bss')!, u32(0), v));
  return [...new BigUint64Array(v.buffer)];
}

describe(
  'externs on the kernel (kconfig at generation; ksyms, kfuncs and CO-RE when the loader runs)',
  { skip },
  () => {
    const hz = BigInt(/^CONFIG_HZ=(\d+)$/m.exec(kernelConfig())![1]!);
    const [maj, min] = release().split('.').map(Number);
    it('the programs see the values a direct load gives them; .kconfig is baked and frozen', () => {
      const b = kernel();
      const direct = ksyms('kfuncs', 'kallsyms', 'core_flavor').load(b);
      const fdsOf = (m: Iterable<[string, { fd: { fd: number } }]>) =>
        new Map([...m].map(([k, v]) => [k, v.fd.fd] as [string, number]));
      const want = runAndRead(b, fdsOf(direct.maps), fdsOf(direct.programs));
      const tags = new Map([...direct.programs].map(([k, v]) => [k, v.info().tag]));
      direct.close();
      assert.equal(want[0], hz); // CONFIG_HZ
      assert.equal(
        want[1],
        BigInt(
          (maj! << 16) +
            (min! << 8) +
            Math.min(255, Number(release().split('.')[2]?.replace(/\D.*$/, '') ?? 0)),
        ),
      );
      assert.equal(want[2], 7n); // weak missing kconfig: 0
      assert.equal(want[4], 2n); // weak missing typed ksym: null
      assert.equal(want[5], kallsyms('vfs_read')); // typeless ksym
      assert.equal(want[6], 0n); // weak missing typeless ksym
      // CO-RE on a local task_struct flavor: the running kernel's offsets and size.
      const vmlinux = parseBtf(vmlinuxBtf());
      const ts = vmlinux.type(vmlinux.findId('task_struct', BTF_KIND.STRUCT)!) as BtfComposite;
      const off = (f: string) => BigInt(ts.members.find((m) => m.name === f)!.bitOffset / 8);
      assert.deepEqual(want.slice(8), [off('pid'), off('tgid'), 0n, BigInt(ts.size)]);
      assert.notEqual(off('pid'), 4n, 'the relocation changes the compiled value');
      for (const l of [
        generateLightSkeleton(ksyms('kfuncs', 'kallsyms', 'core_flavor')),
        sign(generateLightSkeleton(ksyms('kfuncs', 'kallsyms', 'core_flavor'), { signed: true })),
      ]) {
        assert.equal(l.programs.find((p) => p.name === 'kfuncs')!.hash, undefined, 'depends on the kernel');
        const c = loadAndRun(b, l);
        try {
          const got = runAndRead(
            b,
            new Map([...c.maps].map(([k, v]) => [k, v.fd])),
            new Map([...c.programs].map(([k, v]) => [k, v.fd])),
          );
          assert.deepEqual(got, want, l.signed ? 'signed' : 'unsigned');
          // Kernel-side CO-RE and run-time kfunc/ksym ids give the instructions the loader
          // layer's user-space relocation gives: same tags.
          for (const [p, fd] of c.programs)
            assert.deepEqual(b.objGetInfoByFd(fd.fd, { kind: 'prog' }).tag, tags.get(p), `${p} tag`);
          const kc = c.maps.get('.kconfig')!.fd;
          const v = new Uint8Array(l.maps.find((m) => m.name === '.kconfig')!.valueSize);
          assert.ok(b.mapLookupElem(kc, u32(0), v));
          assert.deepEqual(v, ksyms().kconfigLayout()!.value);
          assert.throws(
            () => b.mapUpdateElem(kc, u32(0), v, 0),
            (e: unknown) => BpfError.is(e, 'EPERM'),
          );
          // Kernel-side CO-RE and line_info: the kfuncs program's tag equals the direct load's
          // (the loader layer relocates in user space), and it carries its line_info.
          const info = b.objGetInfoByFd(c.programs.get('kfuncs')!.fd, { kind: 'prog' });
          assert.equal(
            info.nrLineInfo,
            ksyms('kfuncs')
              .relocate()
              .find((r) => r.program.name === 'kfuncs')!.linked.lineInfo.length,
          );
          assert.ok(info.nrLineInfo > 0);
        } finally {
          c.close();
        }
      }
    });

    it('a strong missing kfunc fails the loader at its look-up, with no fd left behind', () => {
      const b = kernel();
      assert.throws(() => ksyms('missing').load(b), /bpf_tsbpf_no_such_kfunc/);
      const l = generateLightSkeleton(ksyms('kfuncs', 'missing'));
      const before = openFds();
      assert.throws(
        () => loadAndRun(b, l),
        (e: unknown) =>
          e instanceof LoaderError &&
          e.reason === 'failed' &&
          /btf_find_by_name_kind\('bpf_tsbpf_no_such_kfunc', FUNC\): ENOENT/.test(e.message),
      );
      assert.equal(openFds(), before);
    });

    it('a PROG_LOAD that fails after look-ups, BTF and maps closes them all (externs: runqueues not in kallsyms)', () => {
      const b = kernel();
      const l = generateLightSkeleton(BpfObject.open(objectBytes('externs'), hostOptions(CPUS)));
      const before = openFds();
      assert.throws(
        () => loadAndRun(b, l),
        (e: unknown) => e instanceof LoaderError && /PROG_LOAD of 'on_newtask': ENOENT/.test(e.message),
      );
      assert.equal(openFds(), before);
    });
  },
);

describe('skeleton JSON with run-time resolution', () => {
  it('round-trips: no precomputed hash for kernel-dependent programs, value offsets, steps, log buffer', () => {
    const l = sign(generateLightSkeleton(ksyms('kfuncs', 'kallsyms', 'core_flavor'), { signed: true }));
    const back = lskelFromJson(lskelToJson(l));
    assert.deepEqual(back, l);
    assert.equal(back.programs.find((p) => p.name === 'kfuncs')!.hash, undefined);
    assert.ok(back.steps!.includes("btf_find_by_name_kind('bpf_task_from_pid', FUNC)"));
    assert.ok(back.steps!.includes("kallsyms_lookup_name('vfs_read')"));
    assert.equal(back.log!.size, 16384);
    assert.equal(generateLightSkeleton(ksyms('kfuncs'), { logSize: 0 }).log, undefined);
    assert.throws(() => generateLightSkeleton(ksyms('kfuncs'), { logSize: -1 }), RangeError);
  });
});

describe('externs and CO-RE on the machine (its own vmlinux BTF)', () => {
  const open = (b: Machine, ...progs: string[]): BpfObject => {
    const obj = BpfObject.open(KSYMS, { ...hostOptions(CPUS), kernelBtf: backendKernelBtf(b) });
    for (const p of obj.programs.values()) p.autoload = progs.includes(p.name);
    return obj;
  };
  it('the machine applies the CO-RE records the loader passes: same values as a direct load, its BTF offsets', () => {
    const b = machine();
    const direct = open(b, 'core_flavor').load(b);
    const fdsOf = (m: Iterable<[string, { fd: { fd: number } }]>) =>
      new Map([...m].map(([k, v]) => [k, v.fd.fd] as [string, number]));
    const want = runAndRead(b, fdsOf(direct.maps), fdsOf(direct.programs));
    const tag = direct.programs.get('core_flavor')!.info().tag;
    direct.close();
    const mv = backendKernelBtf(b)!;
    const ts = mv.type(mv.findId('task_struct', BTF_KIND.STRUCT)!) as BtfComposite;
    const off = (f: string) => BigInt(ts.members.find((m) => m.name === f)!.bitOffset / 8);
    assert.deepEqual(want.slice(8), [off('pid'), off('tgid'), 0n, BigInt(ts.size)]);
    for (const l of [
      generateLightSkeleton(open(b, 'core_flavor')),
      sign(generateLightSkeleton(open(b, 'core_flavor'), { signed: true })),
    ]) {
      const c = loadAndRun(b, l);
      try {
        const fds = (m: Map<string, { fd: number }>) => new Map([...m].map(([k, v]) => [k, v.fd]));
        assert.deepEqual(runAndRead(b, fds(c.maps), fds(c.programs)), want);
        assert.deepEqual(b.objGetInfoByFd(c.programs.get('core_flavor')!.fd, { kind: 'prog' }).tag, tag);
      } finally {
        c.close();
      }
    }
  });

  it('a kfunc the machine does not have: refused by the look-up, as by the direct load; no fd left', () => {
    const b = machine();
    assert.throws(() => open(b, 'kfuncs').load(b), /kfunc 'bpf_task_from_pid' is not in the kernel BTF/);
    const l = generateLightSkeleton(open(b, 'core_flavor', 'kfuncs'));
    const before = b.proc.fds.size;
    assert.throws(
      () => loadAndRun(b, l),
      (e: unknown) =>
        e instanceof LoaderError &&
        e.errno === 2 &&
        e.step === "btf_find_by_name_kind('bpf_task_from_pid', FUNC)",
    );
    assert.equal(b.proc.fds.size, before);
  });
});

const backends: { name: string; make: () => Backend; skip: string | false; fds: (b: Backend) => number }[] = [
  { name: 'machine', make: machine, skip: false, fds: (b) => (b as Machine).proc.fds.size },
  { name: 'kernel', make: () => kernel(), skip, fds: () => openFds() },
];

for (const be of backends) {
  describe(`host overrides from loadAndRun on the ${be.name}`, { skip: be.skip }, () => {
    const globals = () => BpfObject.open(objectBytes('globals'), hostOptions(CPUS));
    it('unsigned loaders honour max_entries and initial values; signed ones ignore both', () => {
      const b = be.make();
      const u = generateLightSkeleton(globals());
      const data = u.maps.find((m) => m.name === '.data')!;
      const bss = u.maps.find((m) => m.name === '.bss')!;
      const newData = data.initialValue!.map((x, i) => x ^ (i + 1));
      const newBss = new Uint8Array(bss.valueSize).fill(0x5a);
      const ro = u.maps.find((m) => m.name === '.rodata')!;
      const newRo = ro.initialValue!.map((x) => x ^ 0x11);
      const opts = {
        maxEntries: { '.data.counters': 1 },
        initialValues: { '.data': newData, '.bss': newBss, '.rodata': newRo },
      };
      const read = (c: ReturnType<typeof loadAndRun>, name: string, size: number) => {
        const v = new Uint8Array(size);
        assert.ok(b.mapLookupElem(c.maps.get(name)!.fd, u32(0), v));
        return v;
      };
      const c = loadAndRun(b, u, opts);
      try {
        assert.deepEqual(read(c, '.data', data.valueSize), newData);
        assert.deepEqual(read(c, '.bss', bss.valueSize), newBss);
        assert.deepEqual(read(c, '.rodata', ro.valueSize), newRo);
        assert.deepEqual(c.warnings, []);
      } finally {
        c.close();
      }
      const s = sign(generateLightSkeleton(globals(), { signed: true }));
      const cs = loadAndRun(b, s, opts);
      try {
        assert.deepEqual(read(cs, '.data', data.valueSize), data.initialValue);
        assert.deepEqual(read(cs, '.bss', bss.valueSize), new Uint8Array(bss.valueSize));
        assert.deepEqual(read(cs, '.rodata', ro.valueSize), ro.initialValue);
        assert.equal(cs.warnings.filter((w) => /initial value override of '.*' ignored/.test(w)).length, 3);
      } finally {
        cs.close();
      }
      assert.equal(runAttack(b, s, 'override-max-entries').outcome, 'ignored');
      assert.match(runAttack(b, s, 'override-max-entries').why, /signed initial value/);
      assert.throws(() => loadAndRun(b, u, { initialValues: { '.data': new Uint8Array(1) } }), RangeError);
      assert.throws(() => loadAndRun(b, u, { initialValues: { nope: new Uint8Array(1) } }), RangeError);
    });

    it('a program the verifier refuses: the error names the step, keeps the errno and (machine) the log and source line', () => {
      const b = be.make();
      const l = generateLightSkeleton(BpfObject.open(objectBytes('badsub')));
      const before = be.fds(b);
      assert.throws(
        () => loadAndRun(b, l),
        (e: unknown) => {
          assert.ok(e instanceof LoaderError);
          assert.equal(e.step, "PROG_LOAD of 'outer'");
          assert.equal(e.errno, 13); // EACCES, as the direct load
          if (be.name === 'machine') {
            assert.match(e.log.at(-3)!, /invalid access to map value, value_size=8 off=8 size=8/);
            assert.match(e.message, /EACCES\ninvalid access to map value/);
            // The log's last instruction traced to its source line, as the direct load does.
            assert.deepEqual(e.source && [e.source.file, e.source.line], ['./badsub.c', 20]);
            assert.match(e.message, /PROG_LOAD of 'outer' \(\.\/badsub\.c:20: return \(int\)c\[1\];/);
          } else assert.deepEqual(e.log, []); // the kernel writes logs to user memory only
          return true;
        },
      );
      assert.equal(be.fds(b), before);
    });

    it('a failing loader leaves no fd behind (map creation, and a program the host refuses)', () => {
      const b = be.make();
      const l = generateLightSkeleton(globals());
      const before = be.fds(b);
      assert.throws(
        () => loadAndRun(b, l, { maxEntries: { '.data.counters': 0xffffffff } }),
        (e: unknown) => e instanceof LoaderError && /MAP_CREATE of '.data.counters'/.test(e.message),
      );
      assert.equal(be.fds(b), before);
      const k = generateLightSkeleton(ksyms('kfuncs', 'kallsyms', 'core_flavor'));
      const before2 = be.fds(b);
      let ok = false;
      try {
        loadAndRun(b, k).close();
        ok = true;
      } catch (e) {
        assert.ok(e instanceof LoaderError || e instanceof BpfError, String(e));
      }
      if (be.name === 'kernel') assert.ok(ok);
      assert.equal(be.fds(b), before2);
    });
  });
}
