/**
 * Light skeletons of every fixture against direct loads (src/loader), on both backends: the same
 * maps (type, sizes, flags, contents) and the same programs (type, tag), through unsigned and
 * signed (inline scheme) loaders. Programs the host refuses are found by loading each one
 * directly; they are left out of both (autoload off), and a skeleton of each alone fails at its
 * PROG_LOAD with the errno of the direct load (or is refused by the generator, which names why).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signerFromFiles } from '../../src/cli/signer.js';
import { BpfObject, LoaderError as DirectLoaderError } from '../../src/loader/index.js';
import { backendKernelBtf } from '../../src/loader/kernelbtf.js';
import {
  generateLightSkeleton,
  type LightSkeleton,
  LoaderError,
  loadAndRun,
  type MetadataScheme,
  pemOrDer,
  signLightSkeleton,
  UnsupportedError,
} from '../../src/lskel/index.js';
import { type KernelProfile, Machine } from '../../src/machine/machine.js';
import { MachineKeyrings } from '../../src/machine/signature/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, Errno } from '../../src/sys/errors.js';
import { KeySpec, MapType } from '../../src/uapi/constants.js';
import { possibleCpus } from '../backend/backends.js';
import { kernel, skip } from '../kernel/kernel.js';
import { hostOptions, objectBytes } from '../loader/helpers.js';
import { testKey } from './keys.js';

const FIXTURES = ['core', 'externs', 'globals', 'legacy', 'mapinmap', 'maps', 'sections', 'subprogs'];
const CPUS = possibleCpus();

/** What test/loader/loader.test.ts lists as refused by the kernel (lockdown, kallsyms, ...). */
const KERNEL_REFUSES: Record<string, string[]> = {
  core: ['check_exec', 'check_open'],
  externs: ['on_newtask'],
  sections: 'fent fexi fmodret fents frep lsmp lsms lsmcg sops sopss cgrm6 unknown'.split(' '),
};

function machine(profile: Partial<KernelProfile> = {}): Machine {
  const kr = new MachineKeyrings();
  kr.addCertificate(pemOrDer(testKey('p256').cert, 'CERTIFICATE'), KeySpec.SESSION_KEYRING);
  return new Machine({ keyrings: kr, cpus: CPUS, profile });
}

/**
 * Opens a fixture for `b`: the direct loader resolves BTF names against the backend's own
 * vmlinux BTF (the machine has its own), as the skeleton's loader does when it runs there.
 */
const open = (name: string, b: Backend): BpfObject =>
  BpfObject.open(objectBytes(name), {
    ...hostOptions(CPUS),
    ...(b instanceof Machine ? { kernelBtf: backendKernelBtf(b) } : {}),
  });

/** errno name of a direct load of `prog` alone, or undefined when it loads. */
function directRefusal(b: Backend, name: string, prog: string): string | undefined {
  const obj = open(name, b);
  for (const p of obj.programs.values()) p.autoload = p.name === prog;
  try {
    obj.load(b).close();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    if (e instanceof DirectLoaderError) return 'loader';
    throw e;
  }
}

function sign(l: LightSkeleton): LightSkeleton {
  const k = testKey('p256');
  return signLightSkeleton(l, signerFromFiles(k.key, k.cert));
}

function compare(
  b: Backend,
  name: string,
  refused: readonly string[],
  signed: boolean | MetadataScheme,
  adjust: (obj: BpfObject) => void = () => {},
): void {
  const withOff = (): BpfObject => {
    const obj = open(name, b);
    for (const p of refused) obj.programs.get(p)!.autoload = false;
    adjust(obj);
    return obj;
  };
  const direct = withOff().load(b);
  const u = generateLightSkeleton(withOff(), {
    name,
    signed: signed !== false,
    scheme: typeof signed === 'string' ? signed : undefined,
  });
  const c = loadAndRun(b, signed !== false ? sign(u) : u);
  try {
    assert.deepEqual([...c.programs.keys()].sort(), [...direct.programs.keys()].sort(), `${name} programs`);
    assert.deepEqual([...c.maps.keys()].sort(), [...direct.maps.keys()].sort(), `${name} maps`);
    for (const [p, lp] of direct.programs) {
      const want = lp.info();
      const got = b.objGetInfoByFd(c.programs.get(p)!.fd, { kind: 'prog' });
      assert.equal(got.type, want.type, `${name}/${p} type`);
      assert.deepEqual(got.tag, want.tag, `${name}/${p} tag`);
      const hash = u.programs.find((x) => x.name === p)!.hash;
      if (hash !== undefined)
        assert.deepEqual(hash.subarray(0, 8), want.tag, `${name}/${p} precomputed hash`);
    }
    for (const [m, lm] of direct.maps) {
      const fd = c.maps.get(m)!.fd;
      const got = b.objGetInfoByFd(fd, { kind: 'map' });
      const want = lm.info();
      for (const f of ['type', 'keySize', 'valueSize', 'maxEntries', 'mapFlags'] as const)
        assert.equal(got[f], want[f], `${name}/${m} ${f}`);
      if (lm.type === MapType.ARRAY) {
        const v = new Uint8Array(lm.valueSize);
        for (let k = 0; k < lm.maxEntries; k++) {
          const key = new Uint8Array(new Uint32Array([k]).buffer);
          assert.ok(b.mapLookupElem(fd, key, v));
          assert.deepEqual(v, lm.lookup(key), `${name}/${m}[${k}]`);
        }
      }
    }
  } finally {
    c.close();
    direct.close();
  }
}

const backends: { name: string; make: () => Backend; skip: string | false }[] = [
  { name: 'machine', make: machine, skip: false },
  { name: 'kernel', make: () => kernel(), skip },
];

for (const be of backends) {
  describe(
    `every fixture through a light skeleton equals a direct load, on the ${be.name}`,
    { skip: be.skip },
    () => {
      for (const name of FIXTURES) {
        it(`${name}: same maps, contents and program tags (unsigned and signed); refused programs refused alike`, () => {
          const b = be.make();
          const all = [...open(name, b).programs.keys()];
          const refusals = new Map<string, string>();
          for (const p of all) {
            const why = directRefusal(b, name, p);
            if (why !== undefined) refusals.set(p, why);
          }
          if (be.name === 'kernel')
            assert.deepEqual(
              [...refusals.keys()].sort(),
              (KERNEL_REFUSES[name] ?? []).sort(),
              `${name} refusals`,
            );
          const refused = [...refusals.keys()];
          compare(b, name, refused, false);
          compare(b, name, refused, true);
          for (const [p, why] of refusals) {
            const obj = open(name, b);
            for (const q of obj.programs.values()) q.autoload = q.name === p;
            let l: LightSkeleton;
            try {
              l = generateLightSkeleton(obj, { name });
            } catch (e) {
              assert.ok(e instanceof UnsupportedError, `${name}/${p}: ${e}`);
              assert.match((e as Error).message, new RegExp(`'${p}'`));
              continue;
            }
            // A direct load the loader layer refuses (a BTF name the backend does not have) is
            // refused by the skeleton's look-up of that name; the others at the same PROG_LOAD.
            assert.throws(
              () => loadAndRun(b, l).close(),
              (e: unknown) =>
                e instanceof LoaderError &&
                (why === 'loader'
                  ? e.errno === Errno.ENOENT && /^btf_find_by_name_kind\(/.test(e.step ?? '')
                  : e.errno === Errno[why as keyof typeof Errno] && e.step === `PROG_LOAD of '${p}'`),
              `${name}/${p}: refused with ${why}`,
            );
          }
        });
      }

      // The skeleton resolves the weak typeless ksym bpf_prog_active with bpf_kallsyms_lookup_name
      // (helper 179): -ENOENT on both (this Linux lists no data symbols; the machine has no kernel
      // symbols), so 0, as in the direct load. What refuses the program then: on Linux its PROG_LOAD
      // (as the direct load); on the machine the look-up of the kfunc bpf_task_acquire, which the
      // machine's vmlinux BTF does not have (the direct load's loader refusal, by the same name).
      it('externs/on_newtask (its typeless ksym needs bpf_kallsyms_lookup_name) is refused alike', () => {
        const b = be.make();
        const why = directRefusal(b, 'externs', 'on_newtask');
        assert.notEqual(why, undefined);
        if (be.name === 'machine') assert.equal(why, 'loader');
        assert.throws(
          () => loadAndRun(b, generateLightSkeleton(open('externs', b))).close(),
          (e: unknown) =>
            e instanceof LoaderError &&
            (why === 'loader'
              ? e.errno === Errno.ENOENT && e.step === "btf_find_by_name_kind('bpf_task_acquire', FUNC)"
              : e.errno === Errno[why as keyof typeof Errno] && e.step === "PROG_LOAD of 'on_newtask'"),
        );
      });

      it('resized global data (setValueSize) and changed max_entries are what the skeleton signs', () => {
        const b = be.make();
        const adjust = (obj: BpfObject): void => {
          obj.maps.get('.data.table')!.setValueSize(4 + 4 * 16);
          obj.maps.get('.bss')!.setValueSize(8 + 8 * 5);
        };
        compare(b, 'resize', [], false, adjust);
        compare(b, 'resize', [], true, adjust);
        compare(b, 'maps', [], true, (obj) => {
          obj.maps.get('counters')!.maxEntries = 3;
        });
      });
    },
  );
}

describe('the kfunc and load-time schemes (machine profiles) on the CO-RE fixture', () => {
  for (const [scheme, profile] of [
    ['kfunc', { kfuncMetadata: true }],
    ['load-time', { loadTimeSignatures: true, strictExclusiveFdArray: true }],
  ] as const) {
    it(`${scheme}: same maps and program tags as a direct load`, () => {
      const b = machine(profile);
      const refused = [...open('core', b).programs.keys()].filter(
        (p) => directRefusal(b, 'core', p) !== undefined,
      );
      compare(b, 'core', refused, scheme);
    });
  }
});
