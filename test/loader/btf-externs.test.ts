/**
 * The loader's BTF for objects with externs (test/fixtures/externs.c, test/lskel/fixtures/ksyms.c):
 * `loadableBtf()` fixes what Linux 6.18's BPF_BTF_LOAD refuses in extern declarations (unnamed
 * kfunc parameters: "Invalid arg#N"; typeless ksym VARs of type `const void`: "Invalid type_id";
 * `.kconfig` DATASEC entries out of offset order: "Invalid offset"), so direct loads keep their
 * BTF (no warning) and programs carry func_info and line_info, on both backends. Objects that need
 * none of this keep their BTF bytes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BTF_KIND, type Btf, parseBtf } from '../../src/btf/index.js';
import { fixForKernel, RawBtf } from '../../src/loader/btfraw.js';
import { BpfObject, type Collection } from '../../src/loader/index.js';
import { backendKernelBtf } from '../../src/loader/kernelbtf.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import type { MapCreateAttr, ProgLoadAttr } from '../../src/uapi/attrs.js';
import { backends } from '../backend/backends.js';
import { FIXTURES, hostOptions, objectBytes } from './helpers.js';

const KSYMS = new Uint8Array(readFileSync(new URL('../lskel/fixtures/ksyms.bpfel.o', import.meta.url)));
/** A made-up address for the typeless ksym `vfs_read` (the programs only load it as a constant). */
const VFS_READ = 0xffffffff81234560n;

/** Every fixture object: test/fixtures, test/loader/fixtures and the ksyms one. */
function allFixtures(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const dir of [FIXTURES, new URL('fixtures', import.meta.url).pathname])
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.bpfel.o'))
      .sort())
      out.push([f, new Uint8Array(readFileSync(join(dir, f)))]);
  out.push(['ksyms.bpfel.o', KSYMS]);
  return out;
}

/** What BPF_BTF_LOAD refuses that {@link fixForKernel} fixes, found in `btf`; empty when none. */
function kernelRefusals(btf: Btf): string[] {
  const out: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.type(id);
    if (t.kind === 'FUNC') {
      const proto = btf.type(t.type);
      if (proto.kind === 'FUNC_PROTO')
        proto.params.forEach((p, i) => {
          if (p.type !== 0 && p.name === '') out.push(`FUNC ${t.name}: parameter ${i + 1} has no name`);
        });
    } else if (t.kind === 'VAR') {
      if (btf.skipModifiers(t.type) === 0) out.push(`VAR ${t.name} has type void`);
    } else if (t.kind === 'DATASEC') {
      t.vars.forEach((v, i) => {
        if (i > 0 && v.offset < t.vars[i - 1]!.offset) out.push(`DATASEC ${t.name}: entry ${i} out of order`);
      });
    }
  }
  return out;
}

test('the source BTF of the extern objects has what the kernel refuses; loadableBtf() has none of it', () => {
  for (const bytes of [objectBytes('externs'), KSYMS]) {
    const obj = BpfObject.open(bytes, hostOptions(2));
    const before = kernelRefusals(obj.spec.btf!.btf);
    assert.ok(
      before.some((x) => /parameter 1 has no name/.test(x)),
      before.join('\n'),
    );
    assert.ok(
      before.some((x) => /has type void/.test(x)),
      before.join('\n'),
    );
    assert.deepEqual(kernelRefusals(parseBtf(obj.loadableBtf()!)), []);
  }
  // ksyms.c declares CONFIG_HZ before LINUX_KERNEL_VERSION; `.kconfig` lays them out the other way.
  const ks = BpfObject.open(KSYMS, hostOptions(2));
  const src = ks.spec.btf!.btf;
  const srcKconfig = src.type(src.findId('.kconfig', BTF_KIND.DATASEC)!);
  assert.equal(srcKconfig.kind, 'DATASEC');
  const fixed = parseBtf(ks.loadableBtf()!);
  const kconfig = fixed.type(fixed.findId('.kconfig', BTF_KIND.DATASEC)!);
  assert.ok(kconfig.kind === 'DATASEC' && srcKconfig.kind === 'DATASEC');
  assert.deepEqual(
    kconfig.vars.map((v) => v.offset),
    [...kconfig.vars.map((v) => v.offset)].sort((a, b) => a - b),
  );
  assert.deepEqual(
    new Set(kconfig.vars.map((v) => fixed.type(v.type).name)),
    new Set(srcKconfig.vars.map((v) => src.type(v.type).name)),
  );
});

test('fixForKernel leaves BTF that needs nothing byte for byte as it is (every fixture)', () => {
  for (const [name, bytes] of allFixtures()) {
    const obj = BpfObject.open(bytes, hostOptions(2));
    const loadable = obj.loadableBtf();
    if (loadable === undefined) continue;
    const raw = new RawBtf(parseBtf(loadable));
    let asked = 0;
    fixForKernel(raw, () => {
      asked++;
      return 1;
    });
    assert.equal(asked, 0, name);
    assert.deepEqual(raw.serialize(), loadable, name);
    if (obj.spec.externs.length === 0)
      assert.equal(parseBtf(loadable).typeCount, obj.spec.btf!.btf.typeCount, `${name}: no type appended`);
  }
});

/** Opens the ksyms fixture for `b` with only `progs` loaded. */
function ksyms(b: Backend, kernel: boolean, progs: string[]): BpfObject {
  const obj = BpfObject.open(KSYMS, {
    ...hostOptions(2),
    ksymAddress: (n) => (n === 'vfs_read' ? VFS_READ : undefined),
    ...(kernel ? {} : { kernelBtf: backendKernelBtf(b) }),
  });
  for (const p of obj.programs.values()) p.autoload = progs.includes(p.name);
  return obj;
}

/** The id of the collection's BTF object. */
function btfId(b: Backend, c: Collection): number {
  assert.ok(c.btfFd !== undefined, 'the object BTF is loaded');
  return b.objGetInfoByFd(c.btfFd.fd, { kind: 'btf' }).id;
}

/** What the loader passed to MAP_CREATE and PROG_LOAD (and the backend accepted), by name. */
interface Seen {
  maps: Map<string, MapCreateAttr>;
  progs: Map<string, ProgLoadAttr>;
}

/** `b`, recording the MAP_CREATE and PROG_LOAD attrs it accepts. */
function recording(b: Backend): { backend: Backend; seen: Seen } {
  const seen: Seen = { maps: new Map(), progs: new Map() };
  const backend = new Proxy(b, {
    get(target, key, receiver) {
      if (key === 'mapCreate')
        return (attr: MapCreateAttr) => {
          const fd = target.mapCreate(attr);
          seen.maps.set(attr.mapName ?? '', attr);
          return fd;
        };
      if (key === 'progLoad')
        return (attr: ProgLoadAttr) => {
          const fd = target.progLoad(attr);
          seen.progs.set(attr.progName ?? '', attr);
          return fd;
        };
      const v = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { backend, seen };
}

for (const bc of backends()) {
  const kernel = bc.name === 'kernel';
  describe(`object BTF with externs on ${bc.name}`, { skip: bc.skip }, () => {
    test('every fixture: BPF_BTF_LOAD accepts loadableBtf()', () => {
      const b = bc.backend();
      for (const [name, bytes] of allFixtures()) {
        const btf = BpfObject.open(bytes, hostOptions(bc.cpus)).loadableBtf();
        if (btf !== undefined) b.btfLoad({ btf }).close();
        else assert.fail(`${name} has no BTF`);
      }
    });

    test('externs: the BTF loads (no warning); .bss and .kconfig are created with its types', () => {
      const { backend: b, seen } = recording(bc.backend());
      const obj = BpfObject.open(objectBytes('externs'), hostOptions(bc.cpus));
      // on_newtask is refused on both backends (test/loader/loader.test.ts says why).
      obj.programs.get('on_newtask')!.autoload = false;
      const c = obj.load(b);
      try {
        assert.deepEqual(c.warnings, []);
        assert.ok(c.btfFd !== undefined);
        const fixed = parseBtf(obj.loadableBtf()!);
        for (const name of ['.bss', '.kconfig']) {
          const attr = [...seen.maps.values()].find((x) => x.mapName?.endsWith(name));
          assert.ok(attr !== undefined, name);
          assert.equal(attr.btfFd, c.btfFd.fd, name);
          assert.equal(attr.btfValueTypeId, fixed.findId(name, BTF_KIND.DATASEC), name);
          // Map info names the BTF object and the type ids, on both backends.
          const info = c.maps.get(name)!.info();
          assert.equal(info.btfId, btfId(b, c), name);
          assert.equal(info.btfKeyTypeId, attr.btfKeyTypeId ?? 0, name);
          assert.equal(info.btfValueTypeId, attr.btfValueTypeId, name);
          assert.equal(info.btfVmlinuxValueTypeId, 0, name);
        }
        const kc = c.maps.get('.kconfig')!;
        const config = hostOptions(bc.cpus).kconfig!;
        const shown = kc.formatValue(kc.lookup(0)!) as Record<string, unknown>;
        assert.equal(shown.CONFIG_HZ, Number(/^CONFIG_HZ=(\d+)$/m.exec(config)![1]));
        assert.equal(shown.CONFIG_BPF_JIT_ALWAYS_ON, /^CONFIG_BPF_JIT_ALWAYS_ON=y$/m.test(config));
      } finally {
        c.close();
      }
    });

    // The machine does not call kfuncs (its default profile), so `kfuncs` loads on the kernel only.
    const progs = kernel ? ['kfuncs', 'kallsyms', 'core_flavor'] : ['kallsyms', 'core_flavor'];
    test(`ksyms: ${progs.join(', ')} load with the object's BTF, func_info and line_info`, () => {
      const { backend: b, seen } = recording(bc.backend());
      const c = ksyms(b, kernel, progs).load(b);
      try {
        assert.deepEqual(c.warnings, []);
        assert.ok(c.btfFd !== undefined);
        assert.deepEqual([...c.programs.keys()].sort(), [...progs].sort());
        for (const p of c.programs.values()) {
          const attr = seen.progs.get(p.name);
          assert.ok(attr !== undefined, p.name);
          assert.equal(attr.progBtfFd, c.btfFd.fd, p.name);
          // One struct bpf_func_info (8 bytes) unless a record size says otherwise.
          assert.equal(attr.funcInfo?.length, attr.funcInfoRecSize ?? 8, `${p.name}: one func_info record`);
          assert.ok((attr.lineInfo?.length ?? 0) > 0, p.name);
          // Program info names the BTF object and counts func_info and line_info (with Linux's
          // record sizes), on both backends.
          const info = p.info();
          assert.equal(info.btfId, btfId(b, c), p.name);
          assert.equal(info.nrFuncInfo, 1, p.name);
          assert.equal(info.funcInfoRecSize, 8, p.name);
          assert.equal(info.nrLineInfo, attr.lineInfo!.length / (attr.lineInfoRecSize ?? 16), p.name);
          assert.equal(info.lineInfoRecSize, 16, p.name);
          assert.equal(p.testRun({ ctxIn: new Uint8Array(8) }).retval, 0, p.name);
        }
        const out = new BigUint64Array(c.maps.get('.bss')!.lookup(0)!.slice().buffer);
        assert.equal(out[5], VFS_READ);
        assert.equal(out[6], 0n);
      } finally {
        c.close();
      }
    });

    if (kernel)
      test('each fix is needed: the kernel refuses the BTF without it, with its log line', () => {
        const b = bc.backend();
        const obj = BpfObject.open(KSYMS, hostOptions(bc.cpus));
        const good = parseBtf(obj.loadableBtf()!);
        const src = obj.spec.btf!.btf;
        const broken: [string, (raw: RawBtf) => void, RegExp][] = [
          [
            'unnamed kfunc parameter',
            (raw) => {
              const proto = raw.records[good.findId('bpf_task_from_pid', BTF_KIND.FUNC)!]![2]!;
              raw.records[proto]![3] = 0;
            },
            /FUNC bpf_task_from_pid type_id=\d+ Invalid arg#1/,
          ],
          [
            'typeless ksym VAR of type const void',
            (raw) => {
              const id = good.findId('vfs_read', BTF_KIND.VAR)!;
              raw.records[id]![2] = src.rawRecord(id)[2]!;
            },
            /VAR vfs_read type_id=\d+ linkage=1 Invalid type_id/,
          ],
          [
            '.kconfig entries out of offset order',
            (raw) => {
              const r = raw.records[good.findId('.kconfig', BTF_KIND.DATASEC)!]!;
              const first = r.slice(3, 6);
              r.copyWithin(3, 6, 9);
              r.set(first, 6);
            },
            /Invalid offset/,
          ],
        ];
        for (const [what, breakIt, line] of broken) {
          const raw = new RawBtf(good);
          breakIt(raw);
          assert.throws(
            () => b.btfLoad({ btf: raw.serialize(), logLevel: 1 }).close(),
            (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && line.test(e.message),
            what,
          );
          fixForKernel(raw, () => good.findId('int', BTF_KIND.INT)!);
          b.btfLoad({ btf: raw.serialize() }).close();
        }
      });
  });
}
