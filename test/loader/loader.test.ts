/**
 * The loader against every backend (one suite, run once per backend): every fixture loads (with
 * the programs this host cannot load listed with the exact reason), global data, map-in-map and
 * prog_array slots, test runs, pinning by name, exclusive maps, and errors that name the program,
 * the instruction and the symbol.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BpfObject, type Collection, LoaderError, ProgramLoadError } from '../../src/loader/index.js';
import { Machine } from '../../src/machine/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { MapFlag } from '../../src/uapi/constants.js';
import { type BackendCase, backends } from '../backend/backends.js';
import { hostOptions, objectBytes } from './helpers.js';

/**
 * Programs of the fixtures this host refuses, and how. Kernel: lockdown=integrity refuses
 * fentry/fexit/fmod_ret tracing, LSM and EXT loads with EPERM before the verifier (tp_btf and
 * iter tracing programs load); struct_ops programs need a struct_ops map (ENOTSUPP); `runqueues` is not in kallsyms (ENOENT from the verifier); some cgroup hooks
 * require a return value of 1 (cgroup/recvmsg6 returning 0: EINVAL); the section `my_custom_section` has no program type.
 */
type Expect = { errno: string } | { loader: RegExp };
const KERNEL_REFUSES: Record<string, Record<string, Expect>> = {
  core: { check_exec: { errno: 'EPERM' }, check_open: { errno: 'EPERM' } },
  externs: { on_newtask: { errno: 'ENOENT' } },
  sections: {
    fent: { errno: 'EPERM' },
    fexi: { errno: 'EPERM' },
    fmodret: { errno: 'EPERM' },
    fents: { errno: 'EPERM' },
    frep: { errno: 'EPERM' },
    lsmp: { errno: 'EPERM' },
    lsms: { errno: 'EPERM' },
    lsmcg: { errno: 'EPERM' },
    sops: { errno: 'ENOTSUPP' },
    sopss: { errno: 'ENOTSUPP' },
    cgrm6: { errno: 'EINVAL' },
    unknown: { loader: /section 'my_custom_section' is not a known program type/ },
  },
};

/**
 * The machine runs with `lockdown: 'integrity'`, like this host, and refuses the same programs
 * the same way: it loads every program type the kernel loads here (src/machine/prog.ts), applies
 * the same lockdown refusal, the same attach-type and return-range rules. Remaining differences,
 * each with its reason:
 * - BTF-attached tracing programs the kernel loads (tp_btf, iter, iter.s): their attach_btf_id
 *   names a type of the host's vmlinux BTF, which the machine's own, much smaller vmlinux BTF
 *   (src/machine/btf) does not have: EINVAL, 'attach_btf_id N is invalid', as the kernel says for
 *   an id it does not have. (The machine's BTF has no tracepoints or iterator targets either.)
 * - externs/on_newtask (tp_btf): the kernel finds no `runqueues` in kallsyms (ENOENT from the
 *   verifier); the machine refuses its attach_btf_id first (EINVAL), as above.
 */
const MACHINE_REFUSES: Record<string, Record<string, Expect>> = {
  ...KERNEL_REFUSES,
  externs: { on_newtask: { errno: 'EINVAL' } },
  sections: {
    ...KERNEL_REFUSES.sections,
    tpbtf: { errno: 'EINVAL' },
    itert: { errno: 'EINVAL' },
    iters: { errno: 'EINVAL' },
  },
};

/** The machine of this suite: the host's CPUs and its lockdown mode. */
function hostLike(bc: BackendCase): BackendCase {
  if (bc.name !== 'machine') return bc;
  const m = new Machine({ cpus: bc.cpus, profile: { lockdown: 'integrity' } });
  return {
    ...bc,
    backend: () => m,
    pinDir: (name) => {
      const dir = `/sys/fs/bpf/${name}-${process.pid}`;
      m.bpffs.mkdir(dir);
      return dir;
    },
    unpin: (path) => {
      m.bpffs.unlink(path);
    },
  };
}

const FIXTURES = ['core', 'externs', 'globals', 'legacy', 'mapinmap', 'maps', 'sections', 'subprogs'];

function loadAll(
  name: string,
  b: ReturnType<ReturnType<typeof backends>[number]['backend']>,
  cpus: number,
  refuses: Record<string, Record<string, Expect>>,
): Collection {
  const obj = BpfObject.open(objectBytes(name), hostOptions(cpus));
  for (const p of Object.keys(refuses[name] ?? {})) obj.programs.get(p)!.autoload = false;
  return obj.load(b);
}

const only = process.env.TSBPF_LOADER_BACKEND;
for (const bc of backends()
  .filter((x) => only === undefined || x.name === only)
  .map(hostLike)) {
  const refuses = bc.name === 'kernel' ? KERNEL_REFUSES : MACHINE_REFUSES;
  describe(`loader on ${bc.name}`, { skip: bc.skip }, () => {
    for (const name of FIXTURES) {
      test(`${name}: every program loads, except the listed ones, which fail as listed`, () => {
        const b = bc.backend();
        const c = loadAll(name, b, bc.cpus, refuses);
        try {
          const obj = BpfObject.open(objectBytes(name));
          const expectedProgs = [...obj.programs.keys()].filter((p) => !(p in (refuses[name] ?? {})));
          assert.deepEqual([...c.programs.keys()].sort(), expectedProgs.sort());
          for (const m of obj.maps.values()) assert.ok(c.maps.has(m.name), `map ${m.name}`);
          for (const p of c.programs.values()) assert.equal(p.info().type, p.type);
        } finally {
          c.close();
        }
        for (const [prog, why] of Object.entries(refuses[name] ?? {})) {
          const obj = BpfObject.open(objectBytes(name), hostOptions(bc.cpus));
          for (const p of obj.programs.values()) p.autoload = p.name === prog;
          assert.throws(
            () => obj.load(b).close(),
            (e: unknown) => {
              if ('errno' in why)
                return e instanceof BpfError && e.code === why.errno && e.message.includes(`'${prog}'`);
              return e instanceof LoaderError && why.loader.test(e.message) && e.program === prog;
            },
            `${name}/${prog}`,
          );
        }
      });
    }

    test('globals: initial contents, .rodata frozen and read-only for programs, variables set before load', () => {
      const b = bc.backend();
      const obj = BpfObject.open(objectBytes('globals'), hostOptions(bc.cpus));
      const c = obj.load(b);
      try {
        const data = c.maps.get('.data')!;
        assert.deepEqual(data.formatValue(data.lookup(0)!), { bytes: 7, hidden_state: 5 });
        const ro = c.maps.get('.rodata')!;
        assert.equal(ro.info().mapFlags & MapFlag.RDONLY_PROG, MapFlag.RDONLY_PROG);
        assert.deepEqual(ro.formatValue(ro.lookup(0)!), {
          threshold: 100,
          banner: 'tsbpf',
          greeting: 'hello',
        });
        assert.throws(
          () => ro.update(0, new Uint8Array(ro.valueSize)),
          (e: unknown) => BpfError.is(e, 'EPERM'),
        );
        assert.deepEqual(
          c.maps.get('.rodata.config')!.formatValue(c.maps.get('.rodata.config')!.lookup(0)!),
          {
            ports: [22, 80, 443, 8080],
          },
        );
        const r = c.programs.get('account')!.testRun({ dataIn: new Uint8Array(64) });
        assert.equal(r.retval, 5 + 22);
        assert.deepEqual(c.maps.get('.bss')!.formatValue(c.maps.get('.bss')!.lookup(0)!), { packets: 1 });
        assert.equal((data.formatValue(data.lookup(0)!) as { bytes: number }).bytes, 7 + 64);
        const counters = c.maps.get('.data.counters')!;
        assert.deepEqual(counters.formatValue(counters.lookup(0)!), {
          custom_counter: 43,
          custom_pair: [1, 2 + 64],
        });
      } finally {
        c.close();
      }
      const obj2 = BpfObject.open(objectBytes('globals'), hostOptions(bc.cpus));
      obj2.maps.get('.rodata')!.setVariable('threshold', 10);
      const c2 = obj2.load(b);
      try {
        assert.equal(
          c2.programs.get('account')!.testRun({ dataIn: new Uint8Array(64) }).retval,
          443 + 'e'.charCodeAt(0),
        );
      } finally {
        c2.close();
      }
    });

    test('mapinmap: .values slots of map-in-map and prog_array, tail calls', () => {
      const b = bc.backend();
      const c = loadAll('mapinmap', b, bc.cpus, refuses);
      try {
        const outer = c.maps.get('outer_arr')!;
        const idOf = (m: string) => c.maps.get(m)!.info().id;
        assert.equal(outer.formatValue(outer.lookup(0)!), idOf('inner_a'));
        assert.equal(outer.formatValue(outer.lookup(3)!), idOf('inner_b'));
        assert.equal(outer.lookup(1), undefined);
        const jt = c.maps.get('jump_table')!;
        assert.equal(jt.formatValue(jt.lookup(1)!), c.programs.get('tail_a')!.info().id);
        const run = (len: number) =>
          c.programs.get('dispatch')!.testRun({ dataIn: new Uint8Array(len) }).retval;
        // test_run pulls the 14-byte Ethernet header: skb->len = data - 14.
        assert.equal(run(14 + 65), 1);
        assert.equal(run(14 + 66), 2);
        assert.equal(run(14 + 64), 0);
      } finally {
        c.close();
      }
    });

    test('subprogs: calls, a callback and global functions relocated; test runs', () => {
      const b = bc.backend();
      const c = loadAll('subprogs', b, bc.cpus, refuses);
      try {
        assert.equal(c.programs.get('tc_third')!.testRun({ dataIn: new Uint8Array(64) }).retval, 7);
        assert.equal(c.programs.get('sys_entry')!.testRun({}).retval !== undefined, true);
        const first = c.programs.get('tc_first')!;
        assert.deepEqual(
          first.linked.functions.map((f) => f.name),
          ['tc_first', 'global_helper', 'run_loop', 'mix', 'loop_step'],
        );
      } finally {
        c.close();
      }
    });

    test('maps: typed keys and values, iteration, BTF formatting', () => {
      const b = bc.backend();
      const c = loadAll('maps', b, bc.cpus, refuses);
      try {
        const flows = c.maps.get('flows')!;
        const key = new Uint8Array(12);
        key[0] = 1;
        const val = new Uint8Array(16);
        val[0] = 3;
        val[8] = 200;
        flows.update(key, val);
        assert.deepEqual(flows.dump(), [
          { key: { saddr: 1, daddr: 0, sport: 0, dport: 0 }, value: { packets: 3, bytes: 200 } },
        ]);
        assert.equal(flows.delete(key), true);
        assert.equal(flows.delete(key), false);
        const counters = c.maps.get('counters')!;
        counters.update(1, new Uint8Array(8 * bc.cpus).fill(1));
        assert.equal((counters.formatValue(counters.lookup(1)!) as unknown[]).length, bc.cpus);
        assert.equal([...c.maps.get('sized')!.keys()].length, 8);
      } finally {
        c.close();
      }
    });

    test('pinning by name: pinned at load, reused by the next load, an incompatible pin refused', () => {
      const b = bc.backend();
      const dir = bc.pinDir('loader-pin');
      const open = () => BpfObject.open(objectBytes('maps'), { ...hostOptions(bc.cpus), pinRoot: dir });
      const c1 = open().load(b);
      const id = c1.maps.get('sized')!.info().id;
      assert.equal(c1.maps.get('sized')!.reused, false);
      c1.maps.get('sized')!.update(2, new Uint8Array(16).fill(9));
      c1.close();
      const c2 = open().load(b);
      try {
        assert.equal(c2.maps.get('sized')!.reused, true);
        assert.equal(c2.maps.get('sized')!.info().id, id);
        assert.deepEqual(c2.maps.get('sized')!.lookup(2), new Uint8Array(16).fill(9));
      } finally {
        c2.close();
      }
      const bad = open();
      bad.maps.get('sized')!.maxEntries = 16;
      assert.throws(
        () => bad.load(b),
        (e: unknown) =>
          e instanceof LoaderError &&
          e.map === 'sized' &&
          /pinned map at .*sized is incompatible \(max_entries 8 != 16\)/.test(e.message),
      );
      bc.unpin(`${dir}/sized`);
    });

    test('exclusive maps: the chosen program loads, another one using the map gets EACCES', () => {
      const b = bc.backend();
      const open = () => BpfObject.open(objectBytes('excl'), hostOptions(bc.cpus));
      const obj = open();
      obj.programs.get('overreach')!.autoload = false;
      obj.programs.get('intruder')!.autoload = false;
      const secret = obj.maps.get('secret')!;
      secret.setExclusiveProgram(obj.programs.get('reader')!);
      assert.equal(secret.exclusiveProgram?.name, 'reader');
      const c = obj.load(b);
      try {
        assert.equal(c.maps.get('secret')!.exclusiveTo, 'reader');
        c.maps.get('secret')!.update(1, 41n);
        assert.equal(c.programs.get('reader')!.testRun({ dataIn: new Uint8Array(64) }).retval, 41);
        assert.equal(c.programs.get('bystander')!.testRun({ dataIn: new Uint8Array(64) }).retval, 7);
        assert.throws(() => secret.setExclusiveProgram(undefined), /already created/);
      } finally {
        c.close();
      }
      const obj2 = open();
      obj2.programs.get('overreach')!.autoload = false;
      obj2.maps.get('secret')!.setExclusiveProgram(obj2.programs.get('reader')!);
      assert.throws(
        () => obj2.load(b),
        (e: unknown) =>
          e instanceof ProgramLoadError &&
          e.code === 'EACCES' &&
          e.program === 'intruder' &&
          e.lines.includes("program's hash doesn't match map's excl_prog_hash"),
      );
      // Called again: now the intruder is the chosen one and the reader is refused.
      const obj3 = open();
      obj3.programs.get('overreach')!.autoload = false;
      obj3.maps.get('secret')!.setExclusiveProgram(obj3.programs.get('reader')!);
      obj3.maps.get('secret')!.setExclusiveProgram(obj3.programs.get('intruder')!);
      assert.throws(
        () => obj3.load(b),
        (e: unknown) => e instanceof ProgramLoadError && e.code === 'EACCES' && e.program === 'reader',
      );
    });

    test('exclusive maps: refused for a program not loaded, from another object, or once created', () => {
      const obj = BpfObject.open(objectBytes('excl'));
      const other = BpfObject.open(objectBytes('excl'));
      const secret = obj.maps.get('secret')!;
      assert.throws(
        () => secret.setExclusiveProgram(other.programs.get('reader')!),
        /belongs to another object/,
      );
      obj.programs.get('intruder')!.autoload = false;
      assert.throws(() => secret.setExclusiveProgram(obj.programs.get('intruder')!), /not being loaded/);
      secret.setExclusiveProgram(obj.programs.get('reader')!);
      obj.programs.get('reader')!.autoload = false;
      assert.throws(() => obj.load(bc.backend()), /exclusive program 'reader' is not being loaded/);
    });

    test('a verifier refusal names the program, the instruction and the source line', () => {
      const obj = BpfObject.open(objectBytes('excl'), hostOptions(bc.cpus));
      for (const p of obj.programs.values()) p.autoload = p.name === 'overreach';
      assert.throws(
        () => obj.load(bc.backend()),
        (e: unknown) =>
          e instanceof ProgramLoadError &&
          e.code === 'EACCES' &&
          e.program === 'overreach' &&
          e.insn !== undefined &&
          e.source !== undefined &&
          e.source.text.includes('c[1]') &&
          e.message.startsWith(`program 'overreach' insn ${e.insn} (`),
      );
    });

    test("a refusal inside a subprogram points at the subprogram's source line", () => {
      const obj = BpfObject.open(objectBytes('badsub'), hostOptions(bc.cpus));
      assert.throws(
        () => obj.load(bc.backend()),
        (e: unknown) => {
          if (!(e instanceof ProgramLoadError) || e.program !== 'outer' || e.code !== 'EACCES') return false;
          const prog = BpfObject.open(objectBytes('badsub')).relocate()[0]!;
          const peek = prog.linked.functions.find((f) => f.name === 'peek')!;
          return (
            e.insn! >= peek.slot && e.source!.text.includes('c[1]') && e.source!.file.endsWith('badsub.c')
          );
        },
      );
    });
  });
}
