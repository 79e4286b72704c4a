// Every uapi layout and constant against the running kernel's BTF (/sys/kernel/btf/vmlinux),
// parsed with src/btf: a layout mistake cannot slip by.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type Btf, parseBtf } from '../../src/btf/index.js';
import { BTF_KIND } from '../../src/btf/kinds.js';
import * as C from '../../src/uapi/constants.js';
import * as L from '../../src/uapi/layout.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const skip = existsSync(VMLINUX) || process.env.CI === 'true' ? false : `${VMLINUX} is missing`;

/** Offset (bytes) and size of `path` inside type `id`, looking through anonymous members. */
function locate(btf: Btf, id: number, path: string[]): { off: number; size: number } | undefined {
  const t = btf.resolve(id);
  for (const m of btf.members(t)) {
    if (m.name === path[0]) {
      if (path.length === 1) return { off: m.bitOffset / 8, size: btf.sizeOf(m.type) };
      const inner = locate(btf, m.type, path.slice(1));
      return inner && { off: m.bitOffset / 8 + inner.off, size: inner.size };
    }
    if (m.name === '') {
      const inner = locate(btf, m.type, path);
      if (inner) return { off: m.bitOffset / 8 + inner.off, size: inner.size };
    }
  }
  return undefined;
}

const ATTRS = [
  L.MapCreateLayout,
  L.MapElemLayout,
  L.MapBatchLayout,
  L.ProgLoadLayout,
  L.ObjLayout,
  L.ProgAttachLayout,
  L.TestRunLayout,
  L.GetIdLayout,
  L.InfoLayout,
  L.BtfLoadLayout,
  L.LinkCreateLayout,
  L.LinkUpdateLayout,
  L.LinkDetachLayout,
  L.ProgBindMapLayout,
];
const INFOS = [L.ProgInfoLayout, L.MapInfoLayout, L.BtfInfoLayout, L.LinkInfoLayout];
/** Layouts that list only part of their struct (the variants tsbpf encodes). */
const PARTIAL = new Set<L.Layout>([L.LinkCreateLayout, L.LinkInfoLayout]);

describe('uapi layouts and constants against the kernel BTF', { skip }, () => {
  const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
  const attr = btf.findId('bpf_attr', BTF_KIND.UNION);

  test('sizeof(union bpf_attr)', () => {
    assert.ok(attr !== undefined);
    assert.equal(btf.sizeOf(attr), L.BPF_ATTR_SIZE);
  });

  for (const layout of [...ATTRS, ...INFOS]) {
    const name = layout.member === undefined ? layout.cType : `${layout.cType} member ${layout.member}`;
    test(`${name}: every field's offset and size; the layout's size`, () => {
      let groupId: number;
      if (layout.member === undefined) {
        const id = btf.findId(layout.cType.replace(/^struct /, ''), BTF_KIND.STRUCT);
        assert.ok(id !== undefined, layout.cType);
        groupId = id;
        assert.equal(layout.size, btf.sizeOf(id), `${name}: size`);
      } else {
        const members = btf.members(attr!);
        const m =
          typeof layout.member === 'number'
            ? members[layout.member]
            : members.find((x) => x.name === layout.member);
        assert.ok(m !== undefined, `${name}: member`);
        assert.equal(m.bitOffset, 0);
        groupId = m.type;
        if (!PARTIAL.has(layout)) {
          const ms = btf.members(btf.resolve(groupId));
          const last = ms[ms.length - 1]!;
          assert.equal(
            layout.size,
            last.bitOffset / 8 + btf.sizeOf(last.type),
            `${name}: size is the end of its last field`,
          );
        }
      }
      for (const [field, [off, size]] of Object.entries(layout.fields as Record<string, L.FieldSpec>)) {
        const got = locate(btf, groupId, field.split('.'));
        assert.ok(got !== undefined, `${name}: ${field} not in the kernel's BTF`);
        assert.deepEqual([off, size], [got.off, got.size], `${name}: ${field}`);
      }
      if (!PARTIAL.has(layout)) {
        // Every field of the kernel's struct is in the layout (through anonymous members too).
        const names = (id: number): string[] =>
          btf.members(btf.resolve(id)).flatMap((m) => (m.name === '' ? names(m.type) : [m.name]));
        for (const n of names(groupId)) {
          if (layout === L.ProgInfoLayout && n === 'gpl_compatible') continue; // bitfield, decoded by hand
          assert.ok(n in layout.fields, `${name}: kernel field ${n} missing from the layout`);
        }
      }
    });
  }

  test('enums: commands, map/prog/attach/link types, helper ids, BTF kinds', () => {
    const enumValues = (name: string): Map<string, number> => {
      const id = btf.findId(name, BTF_KIND.ENUM);
      assert.ok(id !== undefined, name);
      const t = btf.type(id);
      assert.ok(t.kind === 'ENUM');
      return new Map(t.values.map((v) => [v.name, v.value]));
    };
    const check = (obj: Record<string, number>, enumName: string, prefix: string, lower = false) => {
      const kernel = enumValues(enumName);
      let n = 0;
      for (const [k, v] of kernel) {
        if (k.startsWith('__') || k.startsWith('MAX_')) continue;
        let short = k.slice(prefix.length);
        if (lower) short = short.toLowerCase();
        assert.equal(obj[short], v, `${enumName}: ${k}`);
        n++;
      }
      assert.equal(Object.keys(obj).length, n, `${enumName}: same number of names`);
    };
    const cmd = enumValues('bpf_cmd');
    for (const [k, v] of Object.entries(C.Cmd)) assert.equal(cmd.get(`BPF_${k}`), v, `bpf_cmd ${k}`);
    check(C.MapType, 'bpf_map_type', 'BPF_MAP_TYPE_');
    check(C.ProgType, 'bpf_prog_type', 'BPF_PROG_TYPE_');
    check(C.AttachType, 'bpf_attach_type', 'BPF_');
    check(C.LinkType, 'bpf_link_type', 'BPF_LINK_TYPE_');
    check(C.Helper, 'bpf_func_id', 'BPF_FUNC_', true);
    assert.equal(C.Helper.sys_bpf, 166);
  });

  test('flag enums of the kernel BTF: element flags, map flags', () => {
    const byName = new Map<string, number>();
    for (let id = 1; id < btf.typeCount; id++) {
      const t = btf.type(id);
      if (t.kind === 'ENUM' && t.name === '') for (const v of t.values) byName.set(v.name, v.value);
    }
    for (const [k, v] of Object.entries(C.ElemFlag)) assert.equal(byName.get(`BPF_${k}`), v, k);
    for (const [k, v] of Object.entries(C.MapFlag)) assert.equal(byName.get(`BPF_F_${k}`), v, k);
  });
});
