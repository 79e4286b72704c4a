/**
 * Module BTF: ksyms, kfuncs and CO-RE candidates that exist only in a module's split BTF (on top
 * of this kernel's vmlinux). This host has no modules (`/sys/kernel/btf` holds only vmlinux), so
 * the module BTF is built by the test: the relocations are checked offline (kfunc call `off` =
 * fd_array index, ksym ld_imm64 carrying the module BTF fd), CO-RE against the module's layout
 * runs on both backends, and the kernel shows it reads the module BTF fd from the program's
 * fd_array (it then refuses a BTF that is not a module's). Discovery through the backend lists
 * the same modules as sysfs.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BTF_KIND, Btf } from '../../src/btf/index.js';
import { CallKind, Pseudo } from '../../src/isa/opcodes.js';
import { BpfObject, discoverModuleBtf, LoaderError, type ModuleBtf } from '../../src/loader/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { backends } from '../backend/backends.js';
import { hostOptions, objectBytes } from './helpers.js';

function moduleBtf(vmlinux: Btf): { btf: Btf; kfunc: number; counter: number } {
  const btf = new Btf({ base: vmlinux });
  const int = vmlinux.findId('int', BTF_KIND.INT)!;
  const proto = btf.addFuncProto(int, [{ name: 'x', type: int }]);
  const kfunc = btf.addFunc('tsbpf_mod_kfunc', proto, 'global');
  const counter = btf.addVar('tsbpf_mod_counter', int, 'global');
  // b at byte 12 here, 4 in the object's local definition.
  btf.addStruct('tsbpf_mod_state', 16, [
    { name: 'a', type: int, bitOffset: 0 },
    { name: 'b', type: int, bitOffset: 96 },
  ]);
  return { btf, kfunc, counter };
}

function open(cpus: number, modules: ModuleBtf[] | undefined): BpfObject {
  return BpfObject.open(objectBytes('modbtf'), { ...hostOptions(cpus), moduleBtf: modules });
}

describe('module BTF: relocation', () => {
  const vmlinux = hostOptions(2).kernelBtf as Btf;
  const mod = moduleBtf(vmlinux);
  const modules = [{ name: 'tsbpf_mod', btf: mod.btf, id: 1234 }];

  test('without the module: the kfunc and the ksym are not found', () => {
    const obj = open(2, undefined);
    obj.programs.get('read_ksym')!.autoload = false;
    obj.programs.get('core_off')!.autoload = false;
    assert.throws(() => obj.relocate(), /kfunc 'tsbpf_mod_kfunc' is not in the kernel BTF/);
    const obj2 = open(2, undefined);
    obj2.programs.get('call_kfunc')!.autoload = false;
    obj2.programs.get('core_off')!.autoload = false;
    assert.throws(
      () => obj2.relocate(),
      (e: unknown) => e instanceof LoaderError && e.symbol === 'tsbpf_mod_counter',
    );
  });

  test('kfunc: module type id, off = index 1 of the fd_array of that module', () => {
    const r = open(2, modules)
      .relocate()
      .find((x) => x.program.name === 'call_kfunc')!;
    const call = r.insns.find((i) => i.code === 0x85)!;
    assert.equal(call.src, CallKind.KFUNC);
    assert.equal(call.imm, mod.kfunc);
    assert.ok(call.imm >= vmlinux.typeCount);
    assert.equal(call.off, 1);
    assert.deepEqual(r.fdArrayModules, ['tsbpf_mod']);
  });

  test('typed ksym: BTF_ID ld_imm64 of the module variable, module fd in imm2 at load', () => {
    const r = open(2, modules)
      .relocate()
      .find((x) => x.program.name === 'read_ksym')!;
    const ld = r.insns.find((i) => i.code === 0x18)!;
    assert.equal(ld.src, Pseudo.BTF_ID);
    assert.equal(ld.imm, mod.counter);
    assert.deepEqual(
      r.btfRefs.map((x) => x.module),
      ['tsbpf_mod'],
    );
  });

  test('CO-RE: a type vmlinux lacks is matched in the module (offset 12, exists)', () => {
    const r = open(2, modules)
      .relocate()
      .find((x) => x.program.name === 'core_off')!;
    assert.equal(r.insns[0]!.imm, 12);
    assert.equal(r.insns[1]!.imm, 1);
    // Without the module, vmlinux has no candidate: type_exists is 0, the field offset poisoned.
    const obj0 = open(2, undefined);
    for (const p of obj0.programs.values()) p.autoload = p.name === 'core_off';
    const r0 = obj0.relocate()[0]!;
    assert.equal(r0.insns[1]!.imm, 0);
    assert.equal(r0.poisoned.length, 1);
  });
});

for (const bc of backends()) {
  describe(`module BTF on ${bc.name}`, { skip: bc.skip }, () => {
    test('CO-RE against the module layout: the program returns offset 12 + 100 (type exists)', () => {
      const vmlinux = hostOptions(bc.cpus).kernelBtf as Btf;
      const obj = open(bc.cpus, [{ name: 'tsbpf_mod', btf: moduleBtf(vmlinux).btf, id: 1 }]);
      for (const p of obj.programs.values()) p.autoload = p.name === 'core_off';
      using c = obj.load(bc.backend());
      assert.equal(c.programs.get('core_off')!.testRun({ dataIn: new Uint8Array(64) }).retval, 112);
    });

    if (bc.name !== 'kernel') return;

    test('discovery through the backend lists the module BTFs sysfs lists', () => {
      const vmlinux = hostOptions(bc.cpus).kernelBtf as Btf;
      const found = discoverModuleBtf(bc.backend(), vmlinux);
      const sysfs = readdirSync('/sys/kernel/btf').filter((n) => n !== 'vmlinux');
      assert.deepEqual(found.map((m) => m.name).sort(), sysfs.sort());
      for (const m of found) assert.ok(m.btf.startId === vmlinux.typeCount);
    });

    test('kfunc: the kernel reads the module BTF fd from fd_array[off] (a non-module BTF is refused)', () => {
      const b = bc.backend();
      const vmlinux = hostOptions(bc.cpus).kernelBtf as Btf;
      // Stand-in for the module BTF object: a plain BTF (split BTF cannot be loaded from user space).
      const plain = new Btf();
      plain.addInt('int', 4, { encoding: 1 });
      using fd = b.btfLoad({ btf: plain.serialize() });
      const obj = open(bc.cpus, [{ name: 'tsbpf_mod', btf: moduleBtf(vmlinux).btf, fd: fd.fd }]);
      for (const p of obj.programs.values()) p.autoload = p.name === 'call_kfunc';
      assert.throws(
        () => obj.load(b),
        (e: unknown) =>
          e instanceof BpfError &&
          /BTF fd for kfunc is not a module BTF/.test(String((e as { log?: string }).log ?? e.message)),
      );
    });
  });
}
