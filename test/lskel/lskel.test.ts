import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { signerFromFiles } from '../../src/cli/signer.js';
import { linkProgram } from '../../src/elf/link.js';
import { parseObject } from '../../src/elf/object.js';
import { progHash } from '../../src/hash/index.js';
import { encode } from '../../src/isa/codec.js';
import { Pseudo } from '../../src/isa/opcodes.js';
import { BpfObject } from '../../src/loader/object.js';
import {
  ATTACKS,
  generateLightSkeleton,
  type LightSkeleton,
  LoaderError,
  loadAndRun,
  pemOrDer,
  probeScheme,
  runAttack,
  signLightSkeleton,
  UnsupportedError,
} from '../../src/lskel/index.js';
import { Machine } from '../../src/machine/machine.js';
import { MachineKeyrings } from '../../src/machine/signature/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { KeySpec, MapType } from '../../src/uapi/constants.js';
import { kernel, openFds, skip } from '../kernel/kernel.js';
import { testKey } from './keys.js';

const fixture = (n: string) => parseObject(new Uint8Array(readFileSync(`test/fixtures/${n}.bpfel.o`)));
const SUPPORTED = ['globals', 'maps', 'legacy', 'subprogs', 'mapinmap'];

function signed(name: string, keyName = 'a'): LightSkeleton {
  const k = testKey('p256', keyName);
  return signLightSkeleton(
    generateLightSkeleton(fixture(name), { signed: true, name }),
    signerFromFiles(k.key, k.cert),
  );
}

function trustingMachine(): Machine {
  const kr = new MachineKeyrings();
  kr.addCertificate(pemOrDer(testKey('p256').cert, 'CERTIFICATE'), KeySpec.SESSION_KEYRING);
  return new Machine({ keyrings: kr });
}

/** The program hash a direct load (MAP_FD/MAP_VALUE relocations) of `name` gives. */
function directHash(obj: string, name: string): Uint8Array {
  const linked = linkProgram(fixture(obj), name);
  const insns = linked.insns.map((x) => ({ ...x }));
  for (const r of linked.relocations) {
    const i = insns[r.insn]!;
    if (r.kind === 'map') insns[r.insn] = { ...i, src: Pseudo.MAP_FD, imm: 1000 + r.insn, imm2: 0 };
    else if (r.kind === 'data')
      insns[r.insn] = { ...i, src: Pseudo.MAP_VALUE, imm: 2000 + r.insn, imm2: r.offset };
  }
  return progHash(encode(insns));
}

function checkCollection(b: Backend, obj: string, l: LightSkeleton, c: ReturnType<typeof loadAndRun>): void {
  const spec = fixture(obj);
  assert.deepEqual(
    [...c.maps.keys()],
    spec.maps.map((m) => m.name),
  );
  assert.deepEqual(
    [...c.programs.keys()],
    spec.programs.map((p) => p.name),
  );
  for (const m of spec.maps) {
    const fd = c.maps.get(m.name)!.fd;
    const info = b.objGetInfoByFd(fd, { kind: 'map' });
    assert.equal(info.type, m.type, m.name);
    assert.equal(info.maxEntries, m.maxEntries, m.name);
    if (m.data !== undefined) {
      const v = new Uint8Array(m.valueSize);
      assert.ok(b.mapLookupElem(fd, new Uint8Array(4), v));
      assert.deepEqual(v, m.data, `${m.name} initial value`);
      if (m.readonly) {
        assert.throws(
          () => b.mapUpdateElem(fd, new Uint8Array(4), v, 0),
          (e: unknown) => e instanceof BpfError && e.code === 'EPERM',
        );
      }
    }
  }
  for (const p of l.programs) {
    const info = b.objGetInfoByFd(c.programs.get(p.name)!.fd, { kind: 'prog' });
    assert.deepEqual(info.tag, p.hash!.subarray(0, 8), `${p.name} tag`);
    assert.deepEqual(p.hash, directHash(obj, p.name), `${p.name} hashes like a direct load`);
  }
}

const backends: { name: string; make: () => Backend; skip: string | false }[] = [
  { name: 'machine', make: trustingMachine, skip: false },
  { name: 'kernel', make: () => kernel(), skip },
];

for (const be of backends) {
  describe(`light skeletons on the ${be.name}`, { skip: be.skip }, () => {
    for (const obj of SUPPORTED) {
      it(`${obj}: signed (inline scheme) and unsigned loaders create the object's maps and programs`, () => {
        const b = be.make();
        for (const l of [signed(obj), generateLightSkeleton(fixture(obj))]) {
          const c = loadAndRun(b, l);
          try {
            assert.equal(
              c.signature,
              !l.signed ? 'unsigned' : be.name === 'kernel' ? 'not-verified-by-kernel' : 'verified',
            );
            if (l.signed && be.name === 'kernel')
              assert.match(c.warnings[0]!, /CONFIG_SYSTEM_DATA_VERIFICATION/);
            checkCollection(b, obj, l, c);
          } finally {
            c.close();
          }
        }
      });
    }

    it('maps and programs equal what the loader (BpfObject) creates directly: contents and program hashes', () => {
      const b = be.make();
      for (const obj of SUPPORTED) {
        const bytes = new Uint8Array(readFileSync(`test/fixtures/${obj}.bpfel.o`));
        const direct = BpfObject.open(bytes).load(b);
        const c = loadAndRun(b, signed(obj));
        try {
          for (const [name, lp] of direct.programs) {
            const info = b.objGetInfoByFd(c.programs.get(name)!.fd, { kind: 'prog' });
            assert.deepEqual(info.tag, lp.info().tag, `${obj}/${name} tag`);
            assert.equal(info.type, lp.info().type, `${obj}/${name} type`);
          }
          for (const [name, lm] of direct.maps) {
            const fd = c.maps.get(name)!.fd;
            const info = b.objGetInfoByFd(fd, { kind: 'map' });
            const want = lm.info();
            for (const f of ['type', 'keySize', 'valueSize', 'maxEntries', 'mapFlags'] as const)
              assert.equal(info[f], want[f], `${obj}/${name} ${f}`);
            if (lm.type === MapType.ARRAY) {
              const v = new Uint8Array(lm.valueBufferSize);
              for (let k = 0; k < lm.maxEntries; k++) {
                const key = new Uint8Array(new Uint32Array([k]).buffer);
                assert.ok(b.mapLookupElem(fd, key, v));
                assert.deepEqual(v, lm.lookup(key), `${obj}/${name}[${k}]`);
              }
            }
          }
        } finally {
          c.close();
          direct.close();
        }
      }
    });

    it('mapinmap: outer maps and prog_arrays hold what .values says', () => {
      const b = be.make();
      const c = loadAndRun(b, signed('mapinmap'));
      try {
        const idOf = (fd: number): number => b.objGetInfoByFd(fd, { kind: 'map' }).id;
        const progId = (fd: number): number => b.objGetInfoByFd(fd, { kind: 'prog' }).id;
        const v = new Uint8Array(4);
        const at = (mapName: string, k: number): number | undefined => {
          const key = new Uint8Array(new Uint32Array([k]).buffer);
          return b.mapLookupElem(c.maps.get(mapName)!.fd, key, v)
            ? new DataView(v.buffer).getUint32(0, true)
            : undefined;
        };
        assert.equal(at('outer_arr', 0), idOf(c.maps.get('inner_a')!.fd));
        assert.equal(at('outer_arr', 3), idOf(c.maps.get('inner_b')!.fd));
        assert.equal(at('outer_arr', 1), undefined);
        assert.equal(at('jump_table', 1), progId(c.programs.get('tail_a')!.fd));
        assert.equal(at('jump_table', 2), progId(c.programs.get('tail_b')!.fd));
      } finally {
        c.close();
      }
    });

    it('attack lab: every attack is refused or ignored', () => {
      const b = be.make();
      const l = signed('globals');
      const other = signed('globals', 'b');
      const want: Record<string, RegExp> = {
        'omit-exclusive': /not exclusive/,
        'unfrozen-metadata': /hash differs/,
        'tamper-data': /hash differs/,
        'tamper-insns': be.name === 'kernel' ? /EACCES/ : /EKEYREJECTED/,
        'wrong-key': be.name === 'kernel' ? /cannot verify/ : /ENOKEY/,
        'share-metadata-map': /EACCES/,
        'override-max-entries': /signed max_entries/,
      };
      for (const kind of ATTACKS) {
        const r = runAttack(b, l, kind, {}, other);
        assert.notEqual(r.outcome, 'succeeded', `${kind}: ${r.why}`);
        if (be.name === 'machine') assert.notEqual(r.outcome, 'not-enforceable', kind);
        assert.match(r.why, want[kind]!, `${kind}: ${r.why}`);
      }
    });

    it('unsigned loaders honour a max_entries override; errors close every fd the loader made', () => {
      const b = be.make();
      const l = generateLightSkeleton(fixture('legacy'));
      const c = loadAndRun(b, l, { maxEntries: { legacy_hash: 128 } });
      try {
        assert.equal(b.objGetInfoByFd(c.maps.get('legacy_hash')!.fd, { kind: 'map' }).maxEntries, 128);
      } finally {
        c.close();
      }
      // An impossible size makes the second MAP_CREATE fail: the first map must not leak (the
      // kernel frees maps asynchronously, so count this process's open fds there).
      const count = (): number => {
        if (be.name === 'kernel') return openFds();
        let n = 0;
        for (let id = b.mapGetNextId(0); id !== undefined; id = b.mapGetNextId(id)) n++;
        return n;
      };
      const before = count();
      assert.throws(
        () => loadAndRun(b, l, { maxEntries: { legacy_array: 0xffffffff } }),
        (e: unknown) => e instanceof LoaderError && e.reason === 'failed',
      );
      assert.equal(count(), before);
    });
  });
}

describe('light-skeleton generator', () => {
  it('is deterministic and binds the signed hash into the loader', () => {
    const a = generateLightSkeleton(fixture('globals'), { signed: true });
    const b = generateLightSkeleton(fixture('globals'), { signed: true });
    assert.deepEqual(a.insns, b.insns);
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(signed('globals').signature, signed('globals').signature);
    const u = generateLightSkeleton(fixture('globals'));
    assert.notDeepEqual(u.insns, a.insns);
    assert.equal(a.maps.find((m) => m.name === '.rodata')?.readonly, true);
    assert.equal(a.maps.find((m) => m.name === '.rodata')?.type, MapType.ARRAY);
  });

  it('names what it does not support: unknown sections, struct_ops and freplace programs', () => {
    const only = (keep: string) => {
      const obj = BpfObject.open(new Uint8Array(readFileSync('test/fixtures/sections.bpfel.o')));
      for (const p of obj.programs.values()) p.autoload = p.name === keep;
      return obj;
    };
    assert.throws(
      () => generateLightSkeleton(only('unknown')),
      /'my_custom_section' is not a known program type/,
    );
    assert.throws(() => generateLightSkeleton(only('sops')), /struct_ops programs need a struct_ops map/);
    assert.throws(() => generateLightSkeleton(only('frep')), /freplace programs need a target program fd/);
    assert.throws(() => generateLightSkeleton(only('frep')), UnsupportedError);
    // Externs and CO-RE are generated (kconfig needs a value for its strong externs).
    assert.throws(
      () => generateLightSkeleton(fixture('externs')),
      /kconfig extern 'LINUX_KERNEL_VERSION' has no value/,
    );
    assert.ok(
      generateLightSkeleton(fixture('core')).programs.every(
        (p) => p.name !== 'sys_probe' || p.hash === undefined,
      ),
    );
  });
});

function spyingMachine(profile: Record<string, boolean>): {
  b: Backend;
  verdicts: { state: string }[];
  m: Machine;
} {
  const kr = new MachineKeyrings();
  kr.addCertificate(pemOrDer(testKey('p256').cert, 'CERTIFICATE'), KeySpec.SESSION_KEYRING);
  const m = new Machine({ keyrings: kr, profile });
  const verdicts: { state: string }[] = [];
  const b = new Proxy(m, {
    get(t, k) {
      if (k === 'progTestRun')
        return (a: Parameters<Machine['progTestRun']>[0]) => {
          const r = t.progTestRun(a);
          const p = t.progOf(a.progFd)!;
          if (p.signature.state !== 'UNSIGNED') verdicts.push(p.signature);
          return r;
        };
      const v = Reflect.get(t, k);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  }) as Backend;
  return { b, verdicts, m };
}

describe('kfunc metadata scheme (machine with the May 2026 profile)', () => {
  const k = testKey('p256');
  const kf = signLightSkeleton(
    generateLightSkeleton(fixture('globals'), { signed: true, scheme: 'kfunc' }),
    signerFromFiles(k.key, k.cert),
  );

  it('bpf_loader_verify_metadata checks the map; the verdict becomes METADATA_VERIFIED', () => {
    const { b, verdicts } = spyingMachine({ kfuncMetadata: true });
    const c = loadAndRun(b, kf);
    try {
      checkCollection(b, 'globals', kf, c);
    } finally {
      c.close();
    }
    assert.equal(verdicts[0]?.state, 'METADATA_VERIFIED');
  });

  it('the minimal prog BTF is signed; attacks are refused by the kfunc or the load', () => {
    const { b } = spyingMachine({ kfuncMetadata: true });
    const btf = kf.kfuncBtf!.slice();
    btf[btf.length - 2] ^= 0x20; // a letter of the kfunc's name changes case: still valid BTF, no longer the signed bytes
    assert.throws(() => loadAndRun(b, { ...kf, kfuncBtf: btf }), /EKEYREJECTED/);
    assert.match(runAttack(b, kf, 'omit-exclusive').why, /not exclusive/);
    assert.match(runAttack(b, kf, 'unfrozen-metadata').why, /not frozen/);
    assert.match(runAttack(b, kf, 'tamper-data').why, /hash differs/);
    assert.match(runAttack(b, kf, 'tamper-insns').why, /EKEYREJECTED/);
    assert.equal(runAttack(b, kf, 'override-max-entries').outcome, 'ignored');
  });

  it('the kernel backend refuses the scheme clearly', { skip }, () => {
    assert.throws(() => loadAndRun(kernel(), kf), /kfunc metadata scheme needs bpf_loader_verify_metadata/);
  });
});

describe('load-time metadata scheme (machine with the July 2026 profile)', () => {
  const profile = { loadTimeSignatures: true, strictExclusiveFdArray: true };
  function setup(): { b: Backend; verdicts: unknown[] } {
    const kr = new MachineKeyrings();
    kr.addCertificate(pemOrDer(testKey('p256').cert, 'CERTIFICATE'), KeySpec.SESSION_KEYRING);
    const m = new Machine({ keyrings: kr, profile });
    const verdicts: unknown[] = [];
    const b = new Proxy(m, {
      get(t, k) {
        if (k === 'progLoad')
          return (a: Parameters<Machine['progLoad']>[0]) => {
            const fd = t.progLoad(a);
            if (a.signature !== undefined) verdicts.push(t.progOf(fd.fd)!.signature);
            return fd;
          };
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as Backend;
    return { b, verdicts };
  }
  const k = testKey('p256');
  const lt = signLightSkeleton(
    generateLightSkeleton(fixture('globals'), { signed: true, scheme: 'load-time' }),
    signerFromFiles(k.key, k.cert),
  );

  it('the signature covers loader + blob; the verdict is METADATA_VERIFIED; the loader checks nothing', () => {
    const { b, verdicts } = setup();
    const c = loadAndRun(b, lt);
    try {
      checkCollection(b, 'globals', lt, c);
    } finally {
      c.close();
    }
    assert.equal((verdicts[0] as { state: string }).state, 'METADATA_VERIFIED');
    // The same loader signed over its instructions only does not verify under this scheme.
    const insnsOnly = signLightSkeleton({ ...lt, scheme: 'inline' }, signerFromFiles(k.key, k.cert));
    assert.throws(() => loadAndRun(b, { ...lt, signature: insnsOnly.signature }), /EKEYREJECTED/);
  });

  it('attacks: the load refuses them (non-exclusive, changed blob, unfrozen map)', () => {
    const { b } = setup();
    assert.equal(runAttack(b, lt, 'omit-exclusive').why.includes('EKEYREJECTED'), true);
    assert.match(runAttack(b, lt, 'tamper-data').why, /EKEYREJECTED/);
    assert.match(runAttack(b, lt, 'unfrozen-metadata').why, /EPERM/);
    assert.match(runAttack(b, lt, 'tamper-insns').why, /EKEYREJECTED/);
    assert.equal(runAttack(b, lt, 'override-max-entries').outcome, 'ignored');
  });
});

describe('scheme probe', () => {
  it('kfunc where the backend has bpf_loader_verify_metadata, inline on Linux 6.18 (machine profile and kernel)', () => {
    assert.equal(probeScheme(new Machine({ profile: { kfuncMetadata: true } })), 'kfunc');
    assert.equal(probeScheme(new Machine()), 'inline');
    if (!skip) assert.equal(probeScheme(kernel()), 'inline');
  });
});
