import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BTF_KIND, Btf, type BtfComposite, dumpC } from '../../src/btf/index.js';
import { FormatError } from '../../src/util/errors.js';
import { data, hasTool, run, vmlinux } from './helpers.js';

const clang = hasTool('clang');
const bpftool = hasTool('bpftool');
const vm = vmlinux();

/** Compiles C for the BPF target; returns clang's stderr (empty when clean) or throws on errors. */
function compile(src: string): string {
  const r = spawnSync('clang', ['-target', 'bpf', '-Wall', '-c', '-o', '/dev/null', '-x', 'c', '-'], {
    input: src,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`clang failed:\n${r.stderr.split('\n').slice(0, 20).join('\n')}`);
  return r.stderr;
}

/**
 * `_Static_assert`s that clang's layout of every uniquely named struct/union equals the BTF's
 * size, (natural) alignment and member offsets. Types holding a `va_list` by value are skipped: `__builtin_va_list` is
 * a compiler builtin whose size depends on the target (8 bytes on BPF, 24 on x86-64).
 */
function layoutAsserts(btf: Btf): string {
  const count = new Map<string, number>();
  for (let id = 1; id < btf.typeCount; id++) {
    const k = btf.kindOf(id);
    if (k === BTF_KIND.STRUCT || k === BTF_KIND.UNION || k === BTF_KIND.ENUM || k === BTF_KIND.ENUM64) {
      const n = btf.nameOf(id);
      if (n) count.set(n, (count.get(n) ?? 0) + 1);
    }
  }
  const vaMemo = new Map<number, boolean>();
  const hasVaList = (id: number, depth = 0): boolean => {
    if (depth > 200) return false;
    let r = id;
    for (let i = 0; i < 100 && r !== 0; i++) {
      const k = btf.kindOf(r);
      if (k === BTF_KIND.TYPEDEF && btf.nameOf(r) === '__builtin_va_list') return true;
      if (k === BTF_KIND.TYPEDEF || k === BTF_KIND.CONST || k === BTF_KIND.VOLATILE || k === BTF_KIND.ARRAY)
        r = k === BTF_KIND.ARRAY ? (btf.type(r) as { type: number }).type : btf.sizeOrType(r);
      else break;
    }
    const k = r === 0 ? 0 : btf.kindOf(r);
    if (k !== BTF_KIND.STRUCT && k !== BTF_KIND.UNION) return false;
    const c = vaMemo.get(r);
    if (c !== undefined) return c;
    vaMemo.set(r, false);
    const v = btf.members(r).some((m) => hasVaList(m.type, depth + 1));
    vaMemo.set(r, v);
    return v;
  };
  const out: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const k = btf.kindOf(id);
    if (k !== BTF_KIND.STRUCT && k !== BTF_KIND.UNION) continue;
    const t = btf.type(id) as BtfComposite;
    if (!t.name || count.get(t.name) !== 1 || hasVaList(id)) continue;
    const tag = `${k === BTF_KIND.STRUCT ? 'struct' : 'union'} ${t.name}`;
    out.push(`_Static_assert(sizeof(${tag}) == ${t.size}, "size of ${tag}");`);
    out.push(`_Static_assert(_Alignof(${tag}) == ${btf.alignOf(id)}, "alignment of ${tag}");`);
    for (const m of t.members)
      if (m.name && !m.bitfieldSize && m.bitOffset % 8 === 0)
        out.push(
          `_Static_assert(__builtin_offsetof(${tag}, ${m.name}) == ${m.bitOffset / 8}, "${tag}.${m.name}");`,
        );
  }
  return out.join('\n');
}

/**
 * The name a typedef statement's last line declares: `} name;`, `T name[3];`, `T (*name)(...);`,
 * `T (* const name)[32];` or a function type `T name(...);`.
 */
function typedefName(line: string): string {
  const ptr = /\(\*\s*(?:const\s+)?([A-Za-z_]\w*)\)/.exec(line);
  if (ptr) return ptr[1]!;
  let t = line.replace(/;$/, '').replace(/(\[\d+\])+$/, '');
  if (t.endsWith(')')) {
    // drop the parameter list of a function type
    let depth = 0;
    for (let i = t.length - 1; i >= 0; i--) {
      if (t[i] === ')') depth++;
      else if (t[i] === '(' && --depth === 0) {
        t = t.slice(0, i);
        break;
      }
    }
  }
  const m = /([A-Za-z_]\w*)\s*$/.exec(t);
  if (!m) throw new Error(`no typedef name in ${line}`);
  return m[1]!;
}

function builtBtf(): Btf {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  const u8 = b.addInt('unsigned char', 1);
  const ll = b.addInt('long long unsigned int', 8);
  const e64 = b.addEnum64('big', 8, [
    { name: 'BIG_MAX', value: 0xffffffffffffffffn },
    { name: 'BIG_ONE', value: 1n },
  ]);
  const se64 = b.addEnum64(
    'sbig',
    8,
    [
      { name: 'SBIG_MIN', value: -0x8000000000000000n },
      { name: 'SBIG_NEG', value: -5n },
    ],
    true,
  );
  const se = b.addEnum('sneg', 4, [{ name: 'SNEG', value: -7 }], true);
  const small = b.addEnum('tiny', 1, [{ name: 'TINY_A', value: 1 }]);
  // two different structs with the same name, and an enumerator name used twice
  const dupA = b.addStruct('dup', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const dupB = b.addStruct('dup', 8, [{ name: 'b', type: ll, bitOffset: 0 }]);
  b.addEnum('again', 4, [{ name: 'TINY_A', value: 2 }]);
  const node = b.nextId;
  const pnode = node + 1;
  b.addStruct('list', 16, [
    { name: 'next', type: pnode, bitOffset: 0 },
    { name: 'flag', type: u8, bitOffset: 64, bitfieldSize: 1 },
    { name: 'mode', type: u8, bitOffset: 65, bitfieldSize: 3 },
    { name: 'late', type: u8, bitOffset: 96 },
  ]);
  b.addPtr(node);
  const fp = b.addFuncProto(int, [{ type: pnode }, { type: 0 }]);
  const pfp = b.addPtr(fp);
  const arr = b.addArray(pfp, int, 3);
  const cint = b.addConst(int);
  const vptr = b.addVolatile(b.addPtr(cint));
  b.addStruct('holder', 88, [
    { name: 'e', type: e64, bitOffset: 0 },
    { name: 's', type: se64, bitOffset: 64 },
    { name: 'n', type: se, bitOffset: 128 },
    { name: 't', type: small, bitOffset: 160 },
    { name: 'x', type: dupA, bitOffset: 192 },
    { name: 'y', type: dupB, bitOffset: 256 },
    { name: 'cbs', type: arr, bitOffset: 320 },
    { name: 'vp', type: vptr, bitOffset: 512 },
    { name: 'tail', type: int, bitOffset: 640 },
  ]);
  b.addTypedef('cb_t', pfp);
  b.addFloat('double', 8);
  const tt = b.addTypeTag('user', int);
  b.addStruct('tagged', 8, [{ name: 'up', type: b.addPtr(tt), bitOffset: 0 }]);
  b.addFwd('only_fwd', 'union');
  return b;
}

describe('btf C dump', () => {
  it('dumps the kinds fixture in dependency order', () => {
    const c = dumpC(Btf.parse(data('kinds.bpfel.btf')));
    assert.match(c, /struct fwd_only;/);
    assert.match(c, /union fwd_union;/);
    assert.match(c, /\tint \(\*cb\)\(int, struct node \*\);/);
    assert.match(c, /\tvoid \(\*cbs\[2\]\)\(void\);/);
    assert.match(c, /\tchar \*names\[3\];/);
    assert.match(c, /\tunsigned int a: 3;/);
    assert.match(c, /\} __attribute__\(\(packed\)\);/);
    assert.match(c, /int __attribute__\(\(btf_type_tag\("user"\)\)\) \*up;/);
    assert.ok(c.indexOf('struct bits {') < c.indexOf('union u {'));
    assert.ok(c.indexOf('enum color {') < c.indexOf('struct node {'));
  });
  it('renames duplicates, writes enum64 values with suffixes', () => {
    const c = dumpC(builtBtf());
    assert.match(c, /struct dup___2 \{/);
    assert.match(c, /TINY_A___2 = 2,/);
    assert.match(c, /BIG_MAX = 18446744073709551615ULL,/);
    assert.match(c, /SBIG_MIN = \(-9223372036854775807LL - 1\),/);
    assert.match(c, /SNEG = -7,/);
    assert.match(c, /typedef int \(\*cb_t\)\(struct list \*, \.\.\.\);/);
    assert.match(c, /const int \* volatile vp;|const int \*volatile vp;/);
  });
  it('reports a typedef loop and by-value self-containment as FormatError', () => {
    const b = new Btf();
    const id = b.nextId;
    b.addTypedef('a', id + 1);
    b.addTypedef('b', id);
    assert.throws(() => dumpC(b), FormatError);
    assert.throws(() => b.resolve(id), FormatError);
    const s = new Btf();
    const sid = s.nextId;
    s.addStruct('self', 4, [{ name: 'me', type: sid, bitOffset: 0 }]);
    assert.throws(() => dumpC(s), FormatError);
    assert.throws(() => s.alignOf(sid), FormatError);
  });
  it('compiles: fixture and built types', { skip: clang ? false : 'clang not installed' }, () => {
    const fixture = Btf.parse(data('kinds.bpfel.btf'));
    compile(`${dumpC(fixture)}\n${layoutAsserts(fixture)}\nint main(void) { return 0; }\n`);
    const built = builtBtf();
    compile(`${dumpC(built)}\n${layoutAsserts(built)}\nint main(void) { return 0; }\n`);
  });
  it(
    'compiles the vmlinux dump, with clang agreeing on every struct size and member offset',
    { skip: !clang ? 'clang not installed' : !vm ? '/sys/kernel/btf/vmlinux not readable' : false },
    () => {
      const btf = Btf.parse(vm!);
      const c = dumpC(btf);
      const warnings = compile(`${c}\n${layoutAsserts(btf)}\nint main(void) { return 0; }\n`);
      assert.equal(warnings.trim(), '');
    },
  );
  it(
    'pads unions longer than their members, and long gaps without unbounded output',
    { skip: clang ? false : 'clang not installed' },
    () => {
      const b = new Btf();
      const ch = b.addInt('char', 1, { encoding: 2 });
      const int = b.addInt('int', 4, { encoding: 1 });
      const u = b.addUnion('wide', 20, [
        { name: 'c', type: ch, bitOffset: 0 },
        { name: 'i', type: int, bitOffset: 0 },
      ]);
      const big = b.addStruct('gappy', 200_008, [
        { name: 'a', type: ch, bitOffset: 0 },
        { name: 'b', type: int, bitOffset: 8 * 4096 },
        { name: 'z', type: int, bitOffset: 8 * 200_004 },
      ]);
      b.addStruct('holder', 200_032, [
        { name: 'u', type: u, bitOffset: 0 },
        { name: 'g', type: big, bitOffset: 8 * 20 },
      ]);
      const c = dumpC(b);
      assert.match(
        c,
        /union wide \{\n\tchar c;\n\tint i;\n\tstruct \{\n(\t\tlong: 64;\n){2}\t\tint: 32;\n\t\};\n\};/,
      );
      assert.match(c, /\tchar a;\n(\tlong: 64;\n){511}\tint b;/);
      assert.match(c, /unsigned char __pad_4100\[195904\];\n\tint z;/);
      assert.ok(c.length < 20_000);
      compile(`${c}\n${layoutAsserts(b)}\nint main(void) { return 0; }\n`);
    },
  );
  it(
    'defines the same named types as bpftool for vmlinux',
    { skip: !bpftool ? 'bpftool not installed' : !vm ? '/sys/kernel/btf/vmlinux not readable' : false },
    () => {
      const defined = (c: string) =>
        [...c.matchAll(/^(?:struct|union|enum) [A-Za-z0-9_]+ \{$/gm)].map((m) => m[0]).sort();
      /** Tags only forward-declared, never defined (where forward declarations go is order, not content). */
      const declaredOnly = (c: string) => {
        const def = new Set(defined(c).map((d) => d.slice(0, -2)));
        return [...c.matchAll(/^((?:struct|union) [A-Za-z0-9_]+);$/gm)]
          .map((m) => m[1]!)
          .filter((d) => !def.has(d))
          .sort();
      };
      /** Names of the top-level typedefs (statements are separated by blank lines in both dumps). */
      const typedefs = (c: string) =>
        c
          .split('\n\n')
          .filter((st) => st.startsWith('typedef '))
          .map((st) => typedefName(st.split('\n').at(-1)!))
          .sort();
      const ours = dumpC(Btf.parse(vm!));
      const theirs = run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c']);
      assert.ok(defined(ours).length > 10000);
      assert.deepEqual(defined(ours), defined(theirs));
      assert.deepEqual(declaredOnly(ours), declaredOnly(theirs));
      assert.ok(declaredOnly(ours).length > 0);
      const td = typedefs(ours);
      assert.ok(td.length > 1000);
      assert.deepEqual(td, typedefs(theirs));
    },
  );
});
