/**
 * The machine's own kernel BTF (src/machine/btf/vmlinux.ts) against the host's
 * /sys/kernel/btf/vmlinux (Linux 6.18): it validates and round-trips byte-exactly; every struct
 * has the real size, every member the real name, offset, bitfield size and type shape; enums the
 * real values; kfuncs are FUNCs with the linkage vmlinux gives kfuncs. BTF object id 1 answers
 * BTF_GET_FD_BY_ID / OBJ_GET_INFO_BY_FD with the kernel's shape (name `vmlinux`, kernel_btf, the
 * whole blob, ENOSPC for a short name buffer). CO-RE relocations computed against it equal those
 * computed against the real vmlinux for every member it has.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  BPF_CORE_RELO,
  BTF_KIND,
  type Btf,
  type BtfMember,
  computeCoreRelo,
  parseBtf,
} from '../../src/btf/index.js';
import {
  Machine,
  machineVmlinuxBtf,
  machineVmlinuxBytes,
  VMLINUX_ENUMS,
  VMLINUX_STRUCTS,
} from '../../src/machine/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { backends } from '../backend/backends.js';

const HAVE_VMLINUX = existsSync('/sys/kernel/btf/vmlinux');
const noVmlinux = HAVE_VMLINUX ? false : 'no /sys/kernel/btf/vmlinux here';
let real: Btf | undefined;
function vmlinux(): Btf {
  real ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  return real;
}

/** A type's shape: kinds down to a named type or a base type, names of named types. */
function shape(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  const t = btf.type(id);
  switch (t.kind) {
    case 'INT':
      return `int:${t.name}:${t.size}:${t.encoding}`;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
      return `${t.kind}(${shape(btf, t.type, depth)})`;
    case 'TYPE_TAG':
      return shape(btf, t.type, depth);
    case 'TYPEDEF':
      return `typedef:${t.name}(${shape(btf, t.type, depth)})`;
    case 'ARRAY':
      return `array[${t.nelems}](${shape(btf, t.type, depth)})`;
    case 'STRUCT':
    case 'UNION':
      if (t.name !== '' || depth > 3) return `${t.kind}:${t.name}:${t.size}`;
      return `${t.kind}:anon:${t.size}{${t.members
        .map((m) => `${m.name}@${m.bitOffset}/${m.bitfieldSize}:${shape(btf, m.type, depth + 1)}`)
        .join(',')}}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum:${t.name}:${t.size}`;
    default:
      return t.kind;
  }
}

test('the machine vmlinux validates and round-trips byte-exactly', () => {
  for (const kfuncMetadata of [false, true]) {
    const btf = machineVmlinuxBtf({ kfuncMetadata });
    btf.validate();
    const bytes = machineVmlinuxBytes({ kfuncMetadata });
    const again = parseBtf(bytes);
    again.validate();
    assert.deepEqual(again.serialize(), bytes);
    assert.equal(again.typeCount, btf.typeCount);
    for (let id = 1; id < btf.typeCount; id++) assert.deepEqual(again.type(id), btf.type(id), `type ${id}`);
  }
});

test('every struct, member and enum equals the real vmlinux', { skip: noVmlinux }, () => {
  const k = vmlinux();
  const m = machineVmlinuxBtf({ kfuncMetadata: true });
  let members = 0;
  for (const s of VMLINUX_STRUCTS) {
    const kid = k.findId(s.name, BTF_KIND.STRUCT);
    const mid = m.findId(s.name, BTF_KIND.STRUCT);
    assert.ok(kid !== undefined && mid !== undefined, s.name);
    const kt = k.type(kid);
    const mt = m.type(mid);
    assert.ok(kt.kind === 'STRUCT' && mt.kind === 'STRUCT');
    assert.equal(mt.size, kt.size, `${s.name} size`);
    for (const mm of mt.members) {
      const km: BtfMember | undefined =
        mm.name === ''
          ? kt.members.find((x) => x.name === '' && x.bitOffset === mm.bitOffset)
          : kt.members.find((x) => x.name === mm.name);
      assert.ok(km !== undefined, `${s.name}.${mm.name || '<anon>'} exists in vmlinux`);
      assert.equal(mm.bitOffset, km.bitOffset, `${s.name}.${mm.name} offset`);
      assert.equal(mm.bitfieldSize, km.bitfieldSize, `${s.name}.${mm.name} bitfield`);
      assert.equal(shape(m, mm.type), shape(k, km.type), `${s.name}.${mm.name} type`);
      members++;
    }
    // uapi ctx structs are complete.
    if (['__sk_buff', 'xdp_md', 'bpf_sock', 'bpf_sock_tuple', 'bpf_flow_keys'].includes(s.name))
      assert.equal(mt.members.length, kt.members.length, `${s.name} has every member`);
  }
  assert.ok(members >= 80, `${members} members compared`);
  for (const e of VMLINUX_ENUMS) {
    const kt = k.type(k.findId(e.name, BTF_KIND.ENUM)!);
    const mt = m.type(m.findId(e.name, BTF_KIND.ENUM)!);
    assert.ok(kt.kind === 'ENUM' && mt.kind === 'ENUM');
    assert.deepEqual(
      mt.values.map((v) => [v.name, v.value]),
      kt.values.map((v) => [v.name, v.value]),
      e.name,
    );
  }
});

test(
  'kfuncs: FUNC with the linkage vmlinux gives kfuncs, a bpf_kfunc tag, only with the profile',
  { skip: noVmlinux },
  () => {
    const k = vmlinux();
    const kf = k.type(k.findId('bpf_task_acquire', BTF_KIND.FUNC)!);
    const m = machineVmlinuxBtf({ kfuncMetadata: true });
    const id = m.findId('bpf_loader_verify_metadata', BTF_KIND.FUNC);
    assert.ok(id !== undefined);
    const f = m.type(id);
    assert.ok(f.kind === 'FUNC' && kf.kind === 'FUNC');
    assert.equal(f.linkage, kf.linkage);
    const tags = (b: Btf, fid: number) => {
      const out: string[] = [];
      for (let i = 1; i < b.typeCount; i++) {
        const t = b.type(i);
        if (t.kind === 'DECL_TAG' && t.type === fid) out.push(t.name);
      }
      return out;
    };
    assert.deepEqual(tags(m, id), ['bpf_kfunc']);
    assert.ok(tags(k, kf.id).includes('bpf_kfunc'));
    assert.equal(machineVmlinuxBtf({ kfuncMetadata: false }).findId('bpf_loader_verify_metadata'), undefined);
  },
);

test(
  'CO-RE against the machine vmlinux equals CO-RE against the real vmlinux, member by member',
  { skip: noVmlinux },
  () => {
    const k = vmlinux();
    const m = machineVmlinuxBtf({ kfuncMetadata: false });
    let n = 0;
    for (const s of VMLINUX_STRUCTS) {
      // The local type: the machine's own struct, renamed with a flavor, as a program would have it.
      const local = parseBtf(machineVmlinuxBytes({ kfuncMetadata: false }));
      const sid = local.findId(s.name, BTF_KIND.STRUCT)!;
      const st = local.type(sid);
      assert.ok(st.kind === 'STRUCT');
      st.members.forEach((mm, i) => {
        if (mm.name === '') return;
        for (const kind of [
          BPF_CORE_RELO.FIELD_BYTE_OFFSET,
          BPF_CORE_RELO.FIELD_BYTE_SIZE,
          BPF_CORE_RELO.FIELD_EXISTS,
          BPF_CORE_RELO.FIELD_SIGNED,
          BPF_CORE_RELO.FIELD_LSHIFT_U64,
          BPF_CORE_RELO.FIELD_RSHIFT_U64,
        ]) {
          const relo = { typeId: sid, access: `0:${i}`, kind };
          const where = () => `${s.name}.${mm.name}`;
          const a = computeCoreRelo(local, m, relo, where);
          const b = computeCoreRelo(local, k, relo, where);
          assert.equal(a.target, b.target, `${s.name}.${mm.name} kind ${kind}`);
          n++;
        }
      });
      const size = { typeId: sid, access: '0', kind: BPF_CORE_RELO.TYPE_SIZE };
      assert.equal(
        computeCoreRelo(local, m, size, () => '').target,
        computeCoreRelo(local, k, size, () => '').target,
      );
    }
    assert.ok(n >= 300, `${n} relocations compared`);
  },
);

const kernel = backends().find((b) => b.name === 'kernel')!;

function btfInfo(b: ReturnType<typeof kernel.backend>, nameLen: number) {
  using fd = b.btfGetFdById(1);
  return b.objGetInfoByFd(fd.fd, { kind: 'btf', name: new Uint8Array(nameLen) });
}

test(
  'BTF id 1 is the machine vmlinux, as Linux: name, kernel_btf, size, the blob, ENOSPC',
  { skip: kernel.skip },
  () => {
    const mc = new Machine();
    const k = kernel.backend();
    assert.equal(mc.btfGetNextId(0), 1);
    assert.equal(k.btfGetNextId(0), 1);
    const ki = btfInfo(k, 64);
    const mi = btfInfo(mc, 64);
    assert.deepEqual({ ...mi, btfSize: 0 }, { ...ki, btfSize: 0 });
    assert.deepEqual(mi, {
      id: 1,
      name: 'vmlinux',
      kernelBtf: true,
      btfSize: machineVmlinuxBytes(mc.profile).length,
    });
    // The blob.
    using fd = mc.btfGetFdById(1);
    const buf = new Uint8Array(mi.btfSize);
    mc.objGetInfoByFd(fd.fd, { kind: 'btf', btf: buf });
    assert.deepEqual(buf, machineVmlinuxBytes(mc.profile));
    // A name buffer of 4 bytes: ENOSPC on both, with the truncated name written.
    for (const b of [k, mc]) {
      using f = b.btfGetFdById(1);
      const nb = new Uint8Array(4);
      assert.throws(
        () => b.objGetInfoByFd(f.fd, { kind: 'btf', name: nb }),
        (e: unknown) => e instanceof BpfError && e.code === 'ENOSPC',
      );
      assert.deepEqual([...nb], [0x76, 0x6d, 0x6c, 0]);
    }
    // A user BTF has no name and is not kernel BTF, on both.
    for (const b of [k, mc]) {
      using u = b.btfLoad({ btf: machineVmlinuxBytes({ kfuncMetadata: false }) });
      const info = b.objGetInfoByFd(u.fd, { kind: 'btf', name: new Uint8Array(16) });
      assert.equal(info.kernelBtf, false);
      assert.equal(info.name, '');
    }
  },
);

test('BTF id 1 cannot be freed: closing every fd keeps it', () => {
  const mc = new Machine();
  mc.btfGetFdById(1).close();
  assert.equal(mc.btfGetNextId(0), 1);
  assert.equal(mc.objectCounts.btfs, 1);
});
