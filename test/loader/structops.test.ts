/**
 * struct_ops maps (test/loader/fixtures/structops.c): a TCP congestion control in
 * `.struct_ops.link` (created with BPF_F_LINK and filled at load, which registers nothing: no link
 * is made) and a bpf_dummy_ops whose programs run with BPF_PROG_TEST_RUN. On the kernel the map
 * value read back holds the programs' ids and the data members; on the machine, which has no
 * struct_ops, the load is refused with an UnsupportedError naming the map.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { parseBtf } from '../../src/btf/index.js';
import { BpfObject, LoaderError, UnsupportedError } from '../../src/loader/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { MapFlag, MapType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { hostOptions, objectBytes } from './helpers.js';

const bytes = () => objectBytes('structops');

describe('struct_ops: open', () => {
  test('each variable of .struct_ops.link is a STRUCT_OPS map with its function pointers', () => {
    const obj = BpfObject.open(bytes());
    const cc = obj.maps.get('tsbpf_cc')!;
    assert.equal(cc.spec.type, MapType.STRUCT_OPS);
    assert.equal(cc.flags, MapFlag.LINK);
    assert.equal(cc.structOps!.typeName, 'tcp_congestion_ops');
    assert.deepEqual(cc.structOps!.funcs.map((f) => [f.member, f.program]).sort(), [
      ['cong_avoid', 'cc_cong_avoid'],
      ['init', 'cc_init'],
      ['ssthresh', 'cc_ssthresh'],
      ['undo_cwnd', 'cc_undo_cwnd'],
    ]);
    assert.equal(obj.maps.get('dummy')!.structOps!.typeName, 'bpf_dummy_ops');
    assert.throws(() => cc.setValueSize(8), /struct_ops map's value/);
  });
  test('without the kernel BTF: a LoaderError naming the map', () => {
    const obj = BpfObject.open(bytes());
    for (const p of obj.programs.values()) p.autoload = false;
    const m = backends()
      .find((x) => x.name === 'machine')!
      .backend();
    assert.throws(
      () => obj.load(m),
      (e: unknown) => e instanceof LoaderError && e.map === 'tsbpf_cc' && /kernel BTF/.test(e.message),
    );
  });
});

for (const bc of backends()) {
  describe(`struct_ops on ${bc.name}`, { skip: bc.skip }, () => {
    if (bc.name === 'machine') {
      test('refused with an UnsupportedError naming the map', () => {
        const obj = BpfObject.open(bytes(), hostOptions(bc.cpus));
        assert.throws(
          () => obj.load(bc.backend()),
          (e: unknown) =>
            e instanceof UnsupportedError &&
            e.feature === 'struct_ops' &&
            e.map === 'tsbpf_cc' &&
            /struct_ops map 'tsbpf_cc' \(tcp_congestion_ops\)/.test(e.message),
        );
      });
      return;
    }

    test('tcp_congestion_ops: created with the kernel value type, programs attached by member, value filled', () => {
      const b = bc.backend();
      const opts = hostOptions(bc.cpus);
      const obj = BpfObject.open(bytes(), opts);
      obj.maps.get('dummy')!.autocreate = false;
      obj.maps.get('dummy_reg')!.autocreate = false;
      using c = obj.load(b);
      const kb = opts.kernelBtf as ReturnType<typeof parseBtf>;
      const wrapperId = kb.findId('bpf_struct_ops_tcp_congestion_ops', 4)!;
      const structId = kb.findId('tcp_congestion_ops', 4)!;
      const m = c.maps.get('tsbpf_cc')!;
      const info = m.info();
      assert.equal(info.type, MapType.STRUCT_OPS);
      assert.equal(info.btfVmlinuxValueTypeId, wrapperId);
      assert.equal(info.valueSize, kb.sizeOf(wrapperId));
      assert.equal(info.mapFlags & MapFlag.LINK, MapFlag.LINK);
      for (const p of ['cc_init', 'cc_ssthresh', 'cc_cong_avoid', 'cc_undo_cwnd'])
        assert.equal(c.programs.get(p)!.info().attachBtfId, structId, p);
      // The kernel's copy of the value: state READY (3), program ids at the function pointers,
      // the name copied.
      const v = m.lookup(0)!;
      const dv = new DataView(v.buffer, v.byteOffset);
      assert.equal(dv.getUint32(4, true), 3);
      const w = kb.type(wrapperId);
      const k = kb.type(structId);
      assert.ok(w.kind === 'STRUCT' && k.kind === 'STRUCT');
      const base = w.kind === 'STRUCT' ? w.members.find((x) => x.name === 'data')!.bitOffset / 8 : 0;
      const at = (name: string) =>
        base + (k.kind === 'STRUCT' ? k.members.find((x) => x.name === name)!.bitOffset / 8 : 0);
      const ids: Record<string, string> = {
        init: 'cc_init',
        ssthresh: 'cc_ssthresh',
        cong_avoid: 'cc_cong_avoid',
        undo_cwnd: 'cc_undo_cwnd',
      };
      for (const [member, prog] of Object.entries(ids))
        assert.equal(dv.getUint32(at(member), true), c.programs.get(prog)!.info().id, member);
      assert.equal(dv.getUint32(at('cwnd_event'), true), 0);
      const name = new TextDecoder().decode(v.subarray(at('name'), at('name') + 16)).replace(/\0+$/, '');
      assert.equal(name, 'tsbpf_cc');
      // What the loader wrote: program fds at the same places.
      const sv = new DataView(m.structOpsValue!.buffer);
      assert.equal(sv.getUint32(at('init'), true), c.programs.get('cc_init')!.fd.fd);
      // Not registered: the congestion control is not available to sockets.
      const avail = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8');
      assert.ok(!avail.includes('tsbpf_cc'), avail);
    });

    test('bpf_dummy_ops: programs load attached by member; test_1 runs with BPF_PROG_TEST_RUN', () => {
      const b = bc.backend();
      const obj = BpfObject.open(bytes(), hostOptions(bc.cpus));
      obj.maps.get('dummy')!.autocreate = false;
      obj.maps.get('dummy_reg')!.autocreate = false;
      for (const p of obj.programs.values()) p.autoload = p.name.startsWith('dummy');
      obj.maps.get('tsbpf_cc')!.autocreate = false;
      using c = obj.load(b);
      // test_1(NULL state) returns 0xf2f3f4f5. dummy_2 reads the fifth argument of test_2, which
      // verifies only with expected_attach_type = 1 (test_1 has one argument).
      assert.equal(c.programs.get('dummy_1')!.testRun({ ctxIn: new Uint8Array(8) }).retval, 0xf2f3f4f5);
      assert.equal(
        c.programs.get('dummy_2')!.info().attachBtfId,
        c.programs.get('dummy_1')!.info().attachBtfId,
      );
    });

    test('.struct_ops (not link): created but not filled at load; registerStructOps() fills it', () => {
      const b = bc.backend();
      const obj = BpfObject.open(bytes(), hostOptions(bc.cpus));
      obj.maps.get('tsbpf_cc')!.autocreate = false;
      obj.maps.get('dummy')!.autocreate = false;
      for (const p of obj.programs.values()) p.autoload = p.name.startsWith('dummy');
      using c = obj.load(b);
      const m = c.maps.get('dummy_reg')!;
      assert.equal(m.info().mapFlags & MapFlag.LINK, 0);
      assert.ok(
        m.lookup(0)!.every((x) => x === 0),
        'never filled: the kernel reads back zeros',
      );
      assert.ok(m.structOpsValue!.some((x) => x !== 0));
      // bpf_dummy_ops has no registration: the kernel refuses the fill that would register it.
      assert.throws(
        () => m.registerStructOps(),
        (e: unknown) => BpfError.is(e, 'EOPNOTSUPP'),
      );
      const obj2 = BpfObject.open(bytes(), { ...hostOptions(bc.cpus), registerStructOps: true });
      obj2.maps.get('tsbpf_cc')!.autocreate = false;
      obj2.maps.get('dummy')!.autocreate = false;
      for (const p of obj2.programs.values()) p.autoload = p.name.startsWith('dummy');
      assert.throws(
        () => obj2.load(b),
        (e: unknown) =>
          BpfError.is(e, 'EOPNOTSUPP') && /struct_ops map 'dummy_reg'/.test((e as Error).message),
      );
    });

    test('bpf_dummy_ops map: the kernel refuses to fill it (EOPNOTSUPP), named', () => {
      const b = bc.backend();
      const obj = BpfObject.open(bytes(), hostOptions(bc.cpus));
      obj.maps.get('tsbpf_cc')!.autocreate = false;
      obj.maps.get('dummy_reg')!.autocreate = false;
      assert.throws(
        () => obj.load(b),
        (e: unknown) => BpfError.is(e, 'EOPNOTSUPP') && /struct_ops map 'dummy'/.test((e as Error).message),
      );
    });
  });
}
