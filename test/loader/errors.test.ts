/**
 * Externs (kconfig values, typed and typeless ksyms, kfuncs) and the errors of bad objects and
 * options: each names the program, the instruction and the symbol. Needs no backend.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BTF_KIND, type Btf } from '../../src/btf/index.js';
import type { ObjectSpec, ProgramSpec } from '../../src/elf/index.js';
import { LD_IMM64, Pseudo } from '../../src/isa/opcodes.js';
import {
  BpfObject,
  encodeKconfigValue,
  type KconfigSlot,
  kernelVersionCode,
  LoaderError,
  parseKernelConfig,
} from '../../src/loader/index.js';
import { FormatError } from '../../src/util/errors.js';
import { FIXTURES, hostOptions, objectBytes } from './helpers.js';

const opts = () => hostOptions(2);
const vmlinux = () => opts().kernelBtf as Btf;

function withProgram(spec: ObjectSpec, name: string, edit: (p: ProgramSpec) => ProgramSpec): ObjectSpec {
  return { ...spec, programs: spec.programs.map((p) => (p.name === name ? edit(p) : p)) };
}

const isLoaderError = (program: string | undefined, symbol: string | undefined, re: RegExp) => (e: unknown) =>
  e instanceof LoaderError && e.program === program && e.symbol === symbol && re.test(e.message);

test('externs: kconfig values from the config text and release, ksyms and kfuncs from vmlinux BTF', () => {
  const config = 'CONFIG_HZ=300\n# CONFIG_BPF_JIT_ALWAYS_ON is not set\n';
  const obj = BpfObject.open(objectBytes('externs'), {
    ...opts(),
    kconfig: config,
    kernelRelease: '6.18.44-x',
    ksymAddress: (n) => (n === 'bpf_prog_active' ? 0xffffffff81234560n : undefined),
  });
  const layout = obj.kconfigLayout()!;
  const dv = new DataView(layout.value.buffer);
  assert.equal(dv.getUint32(layout.offsets.get('LINUX_KERNEL_VERSION')!, true), kernelVersionCode('6.18.44'));
  assert.equal(kernelVersionCode('6.18.44'), (6 << 16) + (18 << 8) + 44);
  assert.equal(dv.getInt32(layout.offsets.get('CONFIG_HZ')!, true), 300);
  assert.equal(layout.value[layout.offsets.get('CONFIG_BPF_JIT_ALWAYS_ON')!], 0);
  const [r] = obj.relocate();
  const srcs = new Map<string, { src: number; imm: number; imm2?: number }>();
  for (const rel of r!.linked.relocations)
    if (rel.kind === 'extern') srcs.set(rel.extern, r!.insns[rel.insn]!);
  assert.equal(srcs.get('runqueues')!.src, Pseudo.BTF_ID);
  assert.equal(srcs.get('runqueues')!.imm, vmlinux().findId('runqueues', BTF_KIND.VAR));
  assert.equal(srcs.get('bpf_task_acquire')!.src, 2);
  assert.equal(srcs.get('bpf_task_acquire')!.imm, vmlinux().findId('bpf_task_acquire', BTF_KIND.FUNC));
  const pa = srcs.get('bpf_prog_active')!;
  assert.equal(pa.src, 0);
  assert.equal(BigInt.asUintN(64, (BigInt(pa.imm2!) << 32n) | BigInt(pa.imm >>> 0)), 0xffffffff81234560n);
  assert.equal(r!.mapRefs.filter((m) => m.map === '.kconfig').length > 0, true);
});

test('externs: a weak typeless ksym with no address reads 0; a missing kconfig value is an error', () => {
  const obj = BpfObject.open(objectBytes('externs'), opts());
  const [r] = obj.relocate();
  const rel = r!.linked.relocations.find((x) => x.kind === 'extern' && x.extern === 'bpf_prog_active')!;
  const insn = r!.insns[rel.insn]!;
  assert.equal(insn.code, LD_IMM64);
  assert.deepEqual([insn.src, insn.imm, insn.imm2], [0, 0, 0]);
  const bad = BpfObject.open(objectBytes('externs'), { ...opts(), kconfig: 'CONFIG_FOO=y\n' });
  assert.throws(() => bad.relocate(), isLoaderError(undefined, 'CONFIG_HZ', /not in the kernel config/));
  const noRelease = BpfObject.open(objectBytes('externs'), { ...opts(), kernelRelease: undefined });
  assert.throws(
    () => noRelease.relocate(),
    isLoaderError(undefined, 'LINUX_KERNEL_VERSION', /no kernelRelease/),
  );
  const wrong = BpfObject.open(objectBytes('externs'), { ...opts(), kconfig: 'CONFIG_HZ="fast"\n' });
  assert.throws(() => wrong.relocate(), isLoaderError(undefined, 'CONFIG_HZ', /is a string/));
  assert.throws(
    () => parseKernelConfig('CONFIG_A=y\nnonsense\n'),
    (e: unknown) => e instanceof FormatError && e.where === 'kconfig:2:1',
  );
});

test('errors: a kfunc or typed ksym missing from the target BTF names program, insn and symbol', () => {
  const target = vmlinux();
  const stripped = {
    findId: (name: string, kind?: number) =>
      name === 'bpf_task_acquire' || name === 'runqueues' ? undefined : target.findId(name, kind),
  } as unknown as Btf;
  const obj = BpfObject.open(objectBytes('externs'), { ...opts(), kernelBtf: stripped });
  assert.throws(
    () => obj.relocate(),
    (e: unknown) => {
      return (
        e instanceof LoaderError &&
        e.program === 'on_newtask' &&
        typeof e.insn === 'number' &&
        (e.symbol === 'runqueues' || e.symbol === 'bpf_task_acquire') &&
        /is not (a variable )?in the kernel BTF/.test(e.message)
      );
    },
  );
});

test('errors: a relocation against a map the object does not define', () => {
  const base = BpfObject.open(objectBytes('legacy')).spec;
  const spec = { ...base, maps: base.maps.filter((m) => m.name !== 'legacy_hash') };
  const obj = BpfObject.fromSpec(spec);
  assert.throws(
    () => obj.relocate(),
    (e: unknown) => {
      return (
        e instanceof LoaderError &&
        e.program === 'legacy_user' &&
        e.insn === 12 &&
        e.symbol === 'legacy_hash' &&
        e.message === "program 'legacy_user' insn 12: relocation against 'legacy_hash': no map 'legacy_hash'"
      );
    },
  );
});

test('errors: a map relocation on an instruction that is not ld_imm64', () => {
  const base = BpfObject.open(objectBytes('legacy')).spec;
  const spec = withProgram(base, 'legacy_user', (p) => ({
    ...p,
    relocations: p.relocations.map((r) =>
      r.kind === 'map' && r.map === 'legacy_hash' ? { ...r, insn: 0, slot: 0 } : r,
    ),
  }));
  assert.throws(
    () => BpfObject.fromSpec(spec).relocate(),
    isLoaderError(
      'legacy_user',
      'legacy_hash',
      /insn 0: relocation against map 'legacy_hash' on a non-ld_imm64 instruction/,
    ),
  );
});

test('errors: a map that is not created, an unknown section, a missing attach target', () => {
  const obj = BpfObject.open(objectBytes('legacy'));
  obj.maps.get('legacy_array')!.autocreate = false;
  assert.throws(
    () => obj.relocate(),
    isLoaderError('legacy_user', 'legacy_array', /insn 6: uses map 'legacy_array', which is not created/),
  );
  const sec = BpfObject.open(objectBytes('sections'));
  for (const p of sec.programs.values()) p.autoload = p.name === 'unknown';
  assert.throws(
    () => sec.relocate(),
    isLoaderError('unknown', 'my_custom_section', /not a known program type/),
  );
  const tp = BpfObject.open(objectBytes('sections'), opts());
  for (const p of tp.programs.values()) p.autoload = p.name === 'tpbtf';
  tp.programs.get('tpbtf')!.attachTo = 'no_such_tracepoint';
  assert.throws(
    () => tp.load({} as never),
    isLoaderError('tpbtf', 'btf_trace_no_such_tracepoint', /attach target .* is not in the kernel BTF/),
  );
});

test('errors: a CO-RE access the local BTF cannot follow names the program, insn and type', () => {
  const base = BpfObject.open(objectBytes('core')).spec;
  const spec = withProgram(base, 'check_open', (p) => ({
    ...p,
    coreRelos: p.coreRelos.map((c, i) => (i === 0 ? { ...c, access: '0:9999' } : c)),
  }));
  const obj = BpfObject.fromSpec(spec, opts());
  for (const p of obj.programs.values()) p.autoload = p.name === 'check_open';
  assert.throws(
    () => obj.relocate(),
    (e: unknown) => {
      return (
        e instanceof LoaderError &&
        e.program === 'check_open' &&
        e.insn === 0 &&
        e.symbol === 'file' &&
        /member 9999 of STRUCT file does not exist/.test(e.message)
      );
    },
  );
});

test('errors: malformed bytes are a FormatError; a big-endian object is refused at load', () => {
  assert.throws(() => BpfObject.open(objectBytes('globals').subarray(0, 100)), FormatError);
  const be = BpfObject.open(new Uint8Array(readFileSync(join(FIXTURES, 'globals.bpfeb.o'))));
  assert.throws(() => be.load({} as never), /big-endian/);
});

test('kconfig values: bool, tristate, char, signed and unsigned ints, strings; wrong shapes refused', () => {
  const enc = (shape: KconfigSlot['shape'], size: number, raw: string, signed = false) => {
    const out = new Uint8Array(size);
    encodeKconfigValue({ name: 'CONFIG_X', size, shape, signed }, raw, out);
    return Array.from(out);
  };
  assert.deepEqual(enc('bool', 1, 'y'), [1]);
  assert.deepEqual(enc('bool', 1, 'n'), [0]);
  assert.throws(() => enc('bool', 1, 'm'), /not valid for a bool/);
  assert.deepEqual(enc('tristate', 4, 'm'), [2, 0, 0, 0]);
  assert.deepEqual(enc('char', 1, 'm'), ['m'.charCodeAt(0)]);
  assert.deepEqual(enc('int', 4, '-2', true), [0xfe, 0xff, 0xff, 0xff]);
  assert.deepEqual(enc('int', 2, '0x1234'), [0x34, 0x12]);
  assert.throws(() => enc('int', 1, '256'), /does not fit in 1 bytes/);
  assert.throws(() => enc('int', 4, '-1'), /does not fit/);
  assert.deepEqual(enc('array', 4, '"ab"'), [0x61, 0x62, 0, 0]);
  assert.throws(() => enc('array', 2, '"ab"'), /does not fit/);
  assert.throws(() => enc('int', 4, 'y'), /not valid for a int/);
  assert.deepEqual(
    [...parseKernelConfig('# CONFIG_A is not set\nCONFIG_B=m\n# comment\n')],
    [
      ['CONFIG_A', 'n'],
      ['CONFIG_B', 'm'],
    ],
  );
});
