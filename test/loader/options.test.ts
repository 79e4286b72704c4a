/**
 * Options and lifetimes, on every backend: BTF sanitized for a backend that lacks BTF kinds (an
 * "old kernel" wrapper refuses them, the loader rewrites them and the real backend accepts the
 * result), a backend with no BTF at all, map max_entries / initial value / autocreate overrides,
 * program type overrides, `using` closing every fd, and the loaded program's tag agreeing with
 * the hash an exclusive map would get.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BTF_KIND, parseBtf } from '../../src/btf/index.js';
import { ProgType } from '../../src/elf/index.js';
import { BpfObject, probeBtfFeatures } from '../../src/loader/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError } from '../../src/sys/errors.js';
import { backends } from '../backend/backends.js';
import { hostOptions, objectBytes } from './helpers.js';

/** `b`, except that BPF_BTF_LOAD refuses (EINVAL) BTF holding any of `kinds`, or all BTF. */
function olderBackend(b: Backend, kinds: number[] | 'all'): Backend {
  return new Proxy(b, {
    get(target, key) {
      if (key === 'btfLoad')
        return (attr: Parameters<Backend['btfLoad']>[0]) => {
          const btf = parseBtf(attr.btf);
          let bad = kinds === 'all';
          for (let id = 1; !bad && id < btf.typeCount; id++)
            bad = (kinds as number[]).includes(btf.kindOf(id));
          if (bad) throw new BpfError('BPF_BTF_LOAD', 22, 'unknown kind');
          return target.btfLoad(attr);
        };
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

for (const bc of backends()) {
  describe(`loader options on ${bc.name}`, { skip: bc.skip }, () => {
    test('BTF is sanitized for a backend without DATASEC/VAR, FLOAT, DECL_TAG, TYPE_TAG, ENUM64', () => {
      const K = BTF_KIND;
      const old = olderBackend(bc.backend(), [K.DATASEC, K.VAR, K.FLOAT, K.DECL_TAG, K.TYPE_TAG, K.ENUM64]);
      const f = probeBtfFeatures(old);
      assert.deepEqual(
        [f.btf, f.func, f.datasec, f.float, f.declTag, f.typeTag, f.enum64],
        [true, true, false, false, false, false, false],
      );
      const c = BpfObject.open(objectBytes('globals'), hostOptions(bc.cpus)).load(old);
      try {
        assert.deepEqual(c.warnings, []);
        const fd = c.btfFd!;
        const size = old.objGetInfoByFd(fd.fd, { kind: 'btf' }).btfSize;
        const raw = new Uint8Array(size);
        old.objGetInfoByFd(fd.fd, { kind: 'btf', btf: raw });
        const loaded = parseBtf(raw);
        for (let id = 1; id < loaded.typeCount; id++) {
          assert.ok(![K.DATASEC, K.VAR].includes(loaded.kindOf(id) as 14 | 15), `type ${id} was rewritten`);
        }
        assert.equal(c.programs.get('account')!.testRun({ dataIn: new Uint8Array(64) }).retval, 5 + 22);
        assert.equal(c.maps.get('.data')!.info().btfValueTypeId, 0);
      } finally {
        c.close();
      }
      // Typed maps keep their key/value types without DATASEC.
      const m = BpfObject.open(objectBytes('maps'), hostOptions(bc.cpus));
      m.maps.get('sized')!.pinning = 0;
      const mc = m.load(old);
      try {
        const info = mc.maps.get('flows')!.info();
        // The machine's map info does not report BTF ids (yet): checked on the kernel.
        if (bc.name === 'kernel')
          assert.ok(info.btfId > 0 && info.btfKeyTypeId > 0 && info.btfValueTypeId > 0);
        assert.equal(info.keySize, 12);
      } finally {
        mc.close();
      }
    });

    test('a backend that refuses all BTF: maps and programs load without it', () => {
      const old = olderBackend(bc.backend(), 'all');
      assert.equal(probeBtfFeatures(old).btf, false);
      const c = BpfObject.open(objectBytes('globals'), hostOptions(bc.cpus)).load(old);
      try {
        assert.equal(c.btfFd, undefined);
        assert.equal(c.maps.get('.data')!.info().btfId, 0);
        assert.equal(c.programs.get('account')!.testRun({ dataIn: new Uint8Array(64) }).retval, 5 + 22);
      } finally {
        c.close();
      }
    });

    test('a reused pinned map cannot be made exclusive', () => {
      const dir = bc.pinDir('loader-excl-pin');
      const open = () => BpfObject.open(objectBytes('maps'), { ...hostOptions(bc.cpus), pinRoot: dir });
      open().load(bc.backend()).close();
      const obj = open();
      obj.maps.get('sized')!.setExclusiveProgram(obj.programs.get('count_flows')!);
      assert.throws(
        () => obj.load(bc.backend()),
        (e: unknown) =>
          e instanceof Error &&
          /reuses the pinned map at .*sized, which cannot be made exclusive/.test(e.message),
      );
      bc.unpin(`${dir}/sized`);
    });

    test('map overrides (max_entries, initial value, autocreate) and program type overrides', () => {
      const obj = BpfObject.open(objectBytes('maps'), hostOptions(bc.cpus));
      obj.maps.get('flows')!.maxEntries = 77;
      obj.maps.get('seen')!.autocreate = false;
      obj.maps.get('sized')!.pinning = 0;
      obj.programs.get('count_flows')!.autoload = false;
      const c = obj.load(bc.backend());
      try {
        assert.equal(c.maps.get('flows')!.info().maxEntries, 77);
        assert.equal(c.maps.has('seen'), false);
      } finally {
        c.close();
      }
      const g = BpfObject.open(objectBytes('globals'), hostOptions(bc.cpus));
      const init = g.maps.get('.data')!.initialValue!;
      init[0] = 100; // bytes = 100
      g.maps.get('.data')!.setInitialValue(init);
      assert.throws(() => g.maps.get('.data')!.setInitialValue(new Uint8Array(3)), RangeError);
      assert.throws(() => g.maps.get('.data')!.setVariable('nope', 1), RangeError);
      const gc = g.load(bc.backend());
      try {
        const data = gc.maps.get('.data')!;
        assert.deepEqual(data.formatValue(data.lookup(0)!), { bytes: 100, hidden_state: 5 });
      } finally {
        gc.close();
      }
      const s = BpfObject.open(objectBytes('sections'), hostOptions(bc.cpus));
      for (const p of s.programs.values()) p.autoload = p.name === 'unknown';
      s.programs.get('unknown')!.type = ProgType.SOCKET_FILTER;
      const sc = s.load(bc.backend());
      try {
        assert.equal(sc.programs.get('unknown')!.info().type, ProgType.SOCKET_FILTER);
      } finally {
        sc.close();
      }
    });

    test('log level: the verifier log of a successful load is kept on the program fd', () => {
      const obj = BpfObject.open(objectBytes('globals'), { ...hostOptions(bc.cpus), logLevel: 2 });
      const c = obj.load(bc.backend());
      try {
        assert.match(c.programs.get('account')!.fd.log, /processed \d+ insns/);
      } finally {
        c.close();
      }
    });

    test('using closes every fd; the program tag is the first 8 bytes of its hash', () => {
      let fds: { closed: boolean }[] = [];
      {
        using c = BpfObject.open(objectBytes('subprogs'), hostOptions(bc.cpus)).load(bc.backend());
        fds = [
          ...[...c.maps.values()].map((m) => m.fd),
          ...[...c.programs.values()].map((p) => p.fd),
          c.btfFd!,
        ];
        for (const p of c.programs.values()) assert.deepEqual(p.info().tag, p.hash.subarray(0, 8));
        assert.ok(fds.every((f) => !f.closed));
      }
      assert.ok(fds.length > 4 && fds.every((f) => f.closed));
    });
  });
}
