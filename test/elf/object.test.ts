import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapFlag, MapType } from '../../src/elf/maptypes.js';
import { findMap, findProgram, type ObjectSpec, parseObject } from '../../src/elf/object.js';
import { AttachType, ProgType } from '../../src/elf/sections.js';
import { fixture, fixtureNames } from './fixtures.js';

const specs = new Map<string, { el: ObjectSpec; eb: ObjectSpec }>();
for (const name of fixtureNames()) {
  specs.set(name, { el: parseObject(fixture(name, 'bpfel')), eb: parseObject(fixture(name, 'bpfeb')) });
}
const el = (name: string): ObjectSpec => specs.get(name)!.el;

/** The spec without byte-order-dependent parts: global data contents and the BTF objects. */
function comparable(spec: ObjectSpec): unknown {
  return JSON.parse(
    JSON.stringify({ ...spec, endian: undefined, btf: spec.btf?.typeCount }, (k, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (k === 'data' && v instanceof Uint8Array) return v.length;
      return v;
    }),
  );
}

for (const name of fixtureNames()) {
  test(`${name}: bpfel and bpfeb give the same ObjectSpec (modulo byte order)`, () => {
    const { el: a, eb: b } = specs.get(name)!;
    assert.equal(a.endian, 'little');
    assert.equal(b.endian, 'big');
    assert.deepEqual(comparable(b), comparable(a));
  });
  test(`${name}: parsing is deterministic`, () => {
    assert.deepEqual(comparable(parseObject(fixture(name, 'bpfel'))), comparable(el(name)));
  });
}

test('maps.c: BTF-defined maps with types, sizes, flags, numa, pinning, map_extra; ringbuf', () => {
  const s = el('maps');
  const flows = findMap(s, 'flows')!;
  assert.equal(flows.origin, 'btf');
  assert.equal(flows.type, MapType.HASH);
  assert.equal(flows.keySize, 12);
  assert.equal(flows.valueSize, 16);
  assert.equal(flows.maxEntries, 1024);
  assert.equal(flows.flags, MapFlag.NO_PREALLOC);
  assert.ok(flows.keyType !== undefined && s.btf!.btf.nameOf(flows.keyType) === 'flow_key');
  assert.ok(flows.valueType !== undefined && s.btf!.btf.nameOf(flows.valueType) === 'flow_stats');
  const sized = findMap(s, 'sized')!;
  assert.deepEqual([sized.type, sized.keySize, sized.valueSize, sized.maxEntries], [MapType.ARRAY, 4, 16, 8]);
  assert.equal(sized.pinning, 1);
  assert.equal(sized.keyType, undefined);
  const seen = findMap(s, 'seen')!;
  assert.deepEqual(
    [seen.type, seen.keySize, seen.valueSize, seen.mapExtra],
    [MapType.BLOOM_FILTER, 0, 4, 3n],
  );
  const events = findMap(s, 'events')!;
  assert.deepEqual(
    [events.type, events.keySize, events.valueSize, events.maxEntries],
    [MapType.RINGBUF, 0, 0, 4096],
  );
  assert.equal(findMap(s, 'counters')!.type, MapType.PERCPU_ARRAY);
  assert.equal(s.license, 'Dual BSD/GPL');
  const prog = findProgram(s, 'count_flows')!;
  const mapRefs = prog.relocations
    .filter((r) => r.kind === 'map')
    .map((r) => (r.kind === 'map' ? r.map : ''));
  assert.deepEqual(mapRefs, ['flows', 'flows', 'counters', 'seen', 'sized']);
  for (const r of prog.relocations) assert.equal(prog.insns[r.insn]!.code, 0x18);
  assert.equal(findProgram(s, 'log_packet')!.type, ProgType.SOCKET_FILTER);
});

test('legacy.c: struct bpf_map_def definitions in the maps section', () => {
  const s = el('legacy');
  const lh = findMap(s, 'legacy_hash')!;
  assert.deepEqual(
    [lh.origin, lh.section, lh.type, lh.keySize, lh.valueSize, lh.maxEntries, lh.flags],
    ['legacy', 'maps', MapType.HASH, 4, 8, 64, 0],
  );
  const la = findMap(s, 'legacy_array')!;
  assert.deepEqual([la.type, la.keySize, la.valueSize, la.maxEntries], [MapType.ARRAY, 4, 4, 2]);
  const p = findProgram(s, 'legacy_user')!;
  assert.deepEqual(
    p.relocations.map((r) => (r.kind === 'map' ? r.map : r.kind)),
    ['legacy_array', 'legacy_hash'],
  );
});

test('globals.c: every global data section is an array map with its bytes, variables and DATASEC', () => {
  const s = el('globals');
  const names = s.maps.map((m) => m.name);
  assert.deepEqual(names, ['.bss', '.data', '.rodata', '.data.counters', '.rodata.config']);
  for (const m of s.maps) {
    assert.equal(m.origin, 'data');
    assert.equal(m.type, MapType.ARRAY);
    assert.equal(m.maxEntries, 1);
    assert.equal(m.keySize, 4);
    assert.equal(m.valueSize, m.data!.length);
    assert.ok(m.btfId !== undefined, `${m.name} has a DATASEC`);
    assert.equal(s.btf!.btf.nameOf(m.btfId), m.name);
    assert.equal(m.readonly, m.name.startsWith('.rodata'));
    assert.equal((m.flags & MapFlag.RDONLY_PROG) !== 0, m.readonly);
  }
  const data = findMap(s, '.data')!;
  assert.deepEqual(
    data.variables.map((v) => [v.name, v.offset, v.size, v.global]),
    [
      ['bytes', 0, 8, true],
      ['hidden_state', 8, 4, false],
    ],
  );
  assert.equal(new DataView(data.data!.buffer).getBigUint64(0, true), 7n);
  const ro = findMap(s, '.rodata.config')!;
  assert.deepEqual([...new Uint16Array(ro.data!.buffer.slice(0, 8))], [22, 80, 443, 8080]);
  assert.deepEqual([...findMap(s, '.bss')!.data!], [0, 0, 0, 0]);
  assert.equal(s.kernelVersion, 0x00061200);
  const p = findProgram(s, 'account')!;
  const refs = p.relocations.map((r) => (r.kind === 'data' ? `${r.map}+${r.offset}` : r.kind));
  // `hidden_state` is static: referenced through the section symbol with its offset in imm.
  assert.ok(refs.includes('.data+8'), refs.join(' '));
  assert.ok(refs.includes('.data.counters+8'), refs.join(' '));
  assert.ok(refs.includes('.rodata+4'), refs.join(' '));
  const bigEndian = findMap(specs.get('globals')!.eb, '.rodata.config')!;
  assert.equal(new DataView(bigEndian.data!.buffer).getUint16(0, false), 22);
});

test('subprogs.c: programs in one section, .text and static subprograms, calls and a callback', () => {
  const s = el('subprogs');
  assert.deepEqual(
    s.programs.map((p) => [p.name, p.section, p.type]),
    [
      ['tc_first', 'tc', ProgType.SCHED_CLS],
      ['tc_second', 'tc', ProgType.SCHED_CLS],
      ['tc_third', 'tc', ProgType.SCHED_CLS],
      ['sys_entry', 'syscall', ProgType.SYSCALL],
    ],
  );
  const subs = s.functions.filter((f) => f.section === '.text');
  assert.deepEqual(subs.map((f) => [f.name, f.global]).sort(), [
    ['global_helper', true],
    ['loop_step', false],
    ['mix', false],
    ['run_loop', false],
  ]);
  assert.deepEqual(findProgram(s, 'tc_first')!.subprograms, [
    'global_helper',
    'run_loop',
    'mix',
    'loop_step',
  ]);
  assert.deepEqual(findProgram(s, 'tc_third')!.subprograms, ['global_helper', 'mix']);
  assert.equal(findProgram(s, 'sys_entry')!.sleepable, true);
  const runLoop = s.functions.find((f) => f.name === 'run_loop')!;
  const ptr = runLoop.relocations.find((r) => r.kind === 'funcPtr');
  assert.ok(ptr && ptr.kind === 'funcPtr' && ptr.target === 'loop_step' && ptr.elfType === 'R_BPF_64_64');
  const first = findProgram(s, 'tc_first')!;
  assert.deepEqual(
    first.relocations.map((r) => (r.kind === 'call' ? `${r.target}/${r.elfType}` : r.kind)),
    ['global_helper/R_BPF_64_32', 'run_loop/R_BPF_64_32'],
  );
  // Calls resolved by the compiler inside .text are still recorded.
  const gh = s.functions.find((f) => f.name === 'global_helper')!;
  assert.deepEqual(
    gh.relocations.map((r) => (r.kind === 'call' ? `${r.target}/${r.elfType}` : r.kind)),
    ['mix/none'],
  );
  for (const f of s.functions) {
    assert.ok(f.btfFunc !== undefined && s.btf!.btf.nameOf(f.btfFunc) === f.name, `${f.name} func_info`);
    assert.ok(f.lineInfo.length > 0 && f.lineInfo[0]!.slot === 0, `${f.name} line_info`);
    assert.equal(f.funcInfo[0]?.slot, 0);
  }
});

test('mapinmap.c: array_of_maps / hash_of_maps with inner definitions, .values for maps and programs', () => {
  const s = el('mapinmap');
  const arr = findMap(s, 'outer_arr')!;
  assert.equal(arr.type, MapType.ARRAY_OF_MAPS);
  assert.deepEqual([arr.keySize, arr.valueSize, arr.maxEntries], [4, 4, 4]);
  assert.deepEqual(
    [arr.inner!.type, arr.inner!.keySize, arr.inner!.valueSize, arr.inner!.maxEntries],
    [MapType.ARRAY, 4, 8, 2],
  );
  assert.deepEqual(arr.values, [
    { index: 0, target: 'inner_a', kind: 'map' },
    { index: 3, target: 'inner_b', kind: 'map' },
  ]);
  const hash = findMap(s, 'outer_hash')!;
  assert.equal(hash.type, MapType.HASH_OF_MAPS);
  assert.deepEqual([hash.inner!.type, hash.inner!.maxEntries, hash.inner!.valueSize], [MapType.HASH, 16, 4]);
  assert.deepEqual(hash.values, []);
  const jt = findMap(s, 'jump_table')!;
  assert.equal(jt.type, MapType.PROG_ARRAY);
  assert.deepEqual(jt.values, [
    { index: 1, target: 'tail_a', kind: 'program' },
    { index: 2, target: 'tail_b', kind: 'program' },
  ]);
  assert.deepEqual(
    s.programs.map((p) => p.name),
    ['tail_a', 'tail_b', 'dispatch'],
  );
});

test('externs.c: kconfig, typed and typeless ksyms, kfuncs, weak flags', () => {
  const s = el('externs');
  const byName = new Map(s.externs.map((e) => [e.name, e]));
  assert.deepEqual([...byName.values()].map((e) => [e.name, e.kind, e.weak]).sort(), [
    ['CONFIG_BPF_JIT_ALWAYS_ON', 'kconfig', true],
    ['CONFIG_HZ', 'kconfig', false],
    ['LINUX_KERNEL_VERSION', 'kconfig', false],
    ['bpf_prog_active', 'ksym', true],
    ['bpf_task_acquire', 'kfunc', false],
    ['bpf_task_release', 'kfunc', false],
    ['runqueues', 'ksym', false],
  ]);
  assert.equal(byName.get('LINUX_KERNEL_VERSION')!.size, 4);
  assert.equal(byName.get('CONFIG_BPF_JIT_ALWAYS_ON')!.size, 1);
  const rq = byName.get('runqueues')!;
  assert.ok(rq.type !== undefined && s.btf!.btf.nameOf(s.btf!.btf.resolve(rq.type)) === 'rq');
  assert.equal(byName.get('bpf_prog_active')!.size, undefined);
  const acq = byName.get('bpf_task_acquire')!;
  assert.equal(s.btf!.btf.type(acq.btfId!).kind, 'FUNC');
  const p = findProgram(s, 'on_newtask')!;
  assert.equal(p.type, ProgType.TRACING);
  assert.equal(p.attachType, AttachType.TRACE_RAW_TP);
  assert.equal(p.attachTo, 'task_newtask');
  const ext = p.relocations.filter((r) => r.kind === 'extern');
  const calls = ext
    .filter((r) => p.insns[r.insn]!.code === 0x85)
    .map((r) => (r.kind === 'extern' ? r.extern : ''));
  assert.deepEqual(calls, ['bpf_task_acquire', 'bpf_task_release']);
  for (const r of ext) {
    if (r.kind !== 'extern') continue;
    assert.equal(r.externKind, byName.get(r.extern)!.kind);
  }
});

test('core.c: CO-RE relocations attached per program; lsm, lsm.s, socket, xdp, tc, syscall', () => {
  const s = el('core');
  const exec = findProgram(s, 'check_exec')!;
  assert.equal(exec.type, ProgType.LSM);
  assert.equal(exec.attachType, AttachType.LSM_MAC);
  assert.equal(exec.attachTo, 'bprm_check_security');
  assert.equal(exec.sleepable, false);
  assert.ok(exec.coreRelos.length >= 3, `core relos ${exec.coreRelos.length}`);
  for (const r of exec.coreRelos) {
    assert.ok(r.slot >= 0 && r.slot < exec.slots);
    assert.match(r.access, /^\d+(:\d+)*$/);
  }
  const open = findProgram(s, 'check_open')!;
  assert.equal(open.sleepable, true);
  assert.ok(open.coreRelos.some((r) => s.btf!.btf.nameOf(r.typeId) === 'file'));
  assert.deepEqual(
    s.programs.map((p) => p.typeName),
    ['LSM', 'LSM', 'SOCKET_FILTER', 'XDP', 'SCHED_CLS', 'SYSCALL'],
  );
  assert.equal(findProgram(s, 'xdp_drop_small')!.attachType, AttachType.XDP);
});

test('sections.c: unknown section names give UNSPEC; the table covers every fixture section', () => {
  const s = el('sections');
  const unknown = findProgram(s, 'unknown')!;
  assert.deepEqual([unknown.type, unknown.sectionPattern], [0, undefined]);
  for (const p of s.programs) if (p.name !== 'unknown') assert.ok(p.type !== 0, `${p.section}`);
  assert.equal(findProgram(s, 'xdpfrags')!.xdpFrags, true);
  assert.equal(findProgram(s, 'urp')!.sleepable, true);
  assert.equal(findProgram(s, 'frep')!.type, ProgType.EXT);
  assert.equal(findProgram(s, 'sopss')!.sleepable, true);
});

test('a view at an odd offset of a larger buffer parses to the same spec', () => {
  for (const name of ['core', 'globals', 'subprogs']) {
    const b = fixture(name, 'bpfeb');
    const big = new Uint8Array(b.length + 7);
    big.set(b, 3);
    assert.deepEqual(comparable(parseObject(big.subarray(3, 3 + b.length))), comparable(specs.get(name)!.eb));
  }
});
