/**
 * `tsbpf obj show FILE.o [--json]` and `tsbpf obj disasm FILE.o [--prog NAME]`: what a BPF ELF
 * object contains (programs, maps, externs, relocations, BTF), and its code with relocations
 * annotated.
 *
 * @module
 */

import type { Command } from 'commander';
import {
  type FunctionSpec,
  type InsnReloc,
  type MapSpec,
  type ObjectSpec,
  parseObject,
} from '../../elf/index.js';
import { formatLlvm, formatRaw, hasSyntax } from '../../isa/asm/index.js';
import { LD_IMM64 } from '../../isa/opcodes.js';
import { FormatError } from '../../util/errors.js';
import { printJson, readInput, UsageError } from '../common.js';

/** Parses an object file; a FormatError's place is prefixed with the file name. */
export function loadObject(file: string): ObjectSpec {
  const bytes = readInput(file);
  try {
    return parseObject(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${file}: ${e.where}`, e.reason, e.offset);
    throw e;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function relocText(r: InsnReloc): string {
  const what =
    r.kind === 'map'
      ? r.map
      : r.kind === 'data'
        ? `${r.map}+${r.offset}`
        : r.kind === 'extern'
          ? `${r.extern} (${r.externKind})`
          : r.kind === 'funcPtr'
            ? `&${r.target}`
            : r.target;
  return r.elfType === 'none' ? `call ${what}` : `${r.elfType} ${what}`;
}

function mapSummary(m: MapSpec): Record<string, unknown> {
  return {
    name: m.name,
    origin: m.origin,
    type: m.typeName,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    numaNode: m.numaNode,
    pinning: m.pinning,
    mapExtra: m.mapExtra,
    keyType: m.keyType,
    valueType: m.valueType,
    btfId: m.btfId,
    inner: m.inner === undefined ? undefined : mapSummary(m.inner),
    values: m.values,
    readonly: m.readonly,
    variables: m.variables,
    data: m.data,
  };
}

function relocCounts(spec: ObjectSpec): Record<string, number> {
  const counts: Record<string, number> = { map: 0, data: 0, call: 0, funcPtr: 0, extern: 0 };
  for (const f of spec.functions) for (const r of f.relocations) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return counts;
}

function btfSummary(spec: ObjectSpec): Record<string, number> | undefined {
  const b = spec.btf;
  if (b === undefined) return undefined;
  let funcInfo = 0;
  let lineInfo = 0;
  let coreRelos = 0;
  for (const f of spec.functions) {
    funcInfo += f.funcInfo.length;
    lineInfo += f.lineInfo.length;
    coreRelos += f.coreRelos.length;
  }
  return { types: b.typeCount - 1, funcInfo, lineInfo, coreRelos };
}

function showText(file: string, spec: ObjectSpec): string {
  const out: string[] = [];
  out.push(
    `${file}: BPF ELF64 ${spec.endian}-endian, license ${JSON.stringify(spec.license)}, version ${hex(spec.kernelVersion)}`,
  );
  out.push(`programs (${spec.programs.length}):`);
  for (const p of spec.programs) {
    const flags = [p.sleepable ? 'sleepable' : '', p.xdpFrags ? 'xdp_frags' : ''].filter((x) => x).join(',');
    out.push(
      `  ${p.name}  section ${p.section}  type ${p.typeName}  attach ${p.attachTypeName ?? '-'}${p.attachTo ? ` to ${p.attachTo}` : ''}  insns ${p.insns.length}${flags ? `  ${flags}` : ''}${p.subprograms.length > 0 ? `  calls ${p.subprograms.join(',')}` : ''}`,
    );
  }
  const subs = spec.functions.filter((f) => !spec.programs.some((p) => p.name === f.name));
  if (subs.length > 0) {
    out.push(`subprograms (${subs.length}):`);
    for (const f of subs)
      out.push(`  ${f.name}  section ${f.section}  insns ${f.insns.length}${f.global ? '' : '  static'}`);
  }
  out.push(`maps (${spec.maps.length}):`);
  for (const m of spec.maps) {
    let line = `  ${m.name}  ${m.typeName}  key ${m.keySize}  value ${m.valueSize}  max_entries ${m.maxEntries}  flags ${hex(m.flags)}  [${m.origin}]`;
    if (m.pinning !== 0) line += '  pinned';
    if (m.mapExtra !== 0n) line += `  map_extra ${m.mapExtra}`;
    if (m.inner !== undefined)
      line += `  inner ${m.inner.typeName}(key ${m.inner.keySize}, value ${m.inner.valueSize})`;
    if (m.values.length > 0) line += `  values ${m.values.map((v) => `[${v.index}]=${v.target}`).join(' ')}`;
    if (m.readonly) line += '  readonly';
    out.push(line);
  }
  if (spec.externs.length > 0) {
    out.push(`externs (${spec.externs.length}):`);
    for (const e of spec.externs) {
      out.push(
        `  ${e.name}  ${e.kind}${e.weak ? '  weak' : ''}${e.size !== undefined ? `  size ${e.size}` : ''}`,
      );
    }
  }
  const rc = relocCounts(spec);
  const total = Object.values(rc).reduce((a, b) => a + b, 0);
  out.push(
    `relocations: ${total} (${Object.entries(rc)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  const b = btfSummary(spec);
  out.push(
    b === undefined
      ? 'btf: none'
      : `btf: ${b.types} types, func_info ${b.funcInfo}, line_info ${b.lineInfo}, core_relo ${b.coreRelos}`,
  );
  return `${out.join('\n')}\n`;
}

function disasmFunction(f: FunctionSpec, out: string[]): void {
  out.push(`${f.name}:  ; section ${f.section} offset ${f.offset}${f.global ? '' : ' static'}`);
  const byInsn = new Map<number, InsnReloc>();
  for (const r of f.relocations) byInsn.set(r.insn, r);
  const lines = new Map<number, string>();
  for (const l of f.lineInfo)
    if (!lines.has(l.slot)) lines.set(l.slot, `; ${l.lineText.trim()} (${l.file}:${l.line})`);
  let slot = 0;
  let last = '';
  f.insns.forEach((insn, k) => {
    const src = lines.get(slot);
    if (src !== undefined && src !== last) out.push(`  ${src}`);
    if (src !== undefined) last = src;
    let text: string;
    try {
      text = hasSyntax(insn) ? formatLlvm(insn) : formatRaw(insn);
    } catch {
      text = formatRaw(insn);
    }
    const r = byInsn.get(k);
    out.push(`  ${String(slot).padStart(5)}: ${text}${r === undefined ? '' : `  ; ${relocText(r)}`}`);
    slot += insn.code === LD_IMM64 ? 2 : 1;
  });
}

/** Registers `obj`. */
export function registerObj(program: Command): void {
  const obj = program.command('obj').description('inspect BPF ELF objects (clang -target bpf output)');
  obj
    .command('show')
    .description('programs, maps, externs, relocations and BTF of an object')
    .argument('<file>', 'BPF ELF object (.o)')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const spec = loadObject(file);
      if (!opts.json) {
        process.stdout.write(showText(file, spec));
        return;
      }
      printJson({
        file,
        endian: spec.endian,
        license: spec.license,
        kernelVersion: spec.kernelVersion,
        programs: spec.programs.map((p) => ({
          name: p.name,
          section: p.section,
          type: p.typeName,
          attachType: p.attachTypeName,
          attachTo: p.attachTo,
          sleepable: p.sleepable,
          xdpFrags: p.xdpFrags,
          insns: p.insns.length,
          subprograms: p.subprograms,
          relocations: p.relocations,
        })),
        subprograms: spec.functions
          .filter((f) => !spec.programs.some((p) => p.name === f.name))
          .map((f) => ({
            name: f.name,
            section: f.section,
            global: f.global,
            insns: f.insns.length,
            relocations: f.relocations,
          })),
        maps: spec.maps.map(mapSummary),
        externs: spec.externs,
        relocations: relocCounts(spec),
        btf: btfSummary(spec),
      });
    });
  obj
    .command('disasm')
    .description('disassemble the programs of an object, with relocations annotated')
    .argument('<file>', 'BPF ELF object (.o)')
    .option('--prog <name>', 'only this program and the subprograms it uses')
    .action((file: string, opts: { prog?: string }) => {
      const spec = loadObject(file);
      let funcs: FunctionSpec[] = [...spec.functions];
      if (opts.prog !== undefined) {
        const p = spec.programs.find((x) => x.name === opts.prog);
        if (p === undefined) {
          throw new UsageError(
            `--prog: no program '${opts.prog}' in ${file} (programs: ${spec.programs.map((x) => x.name).join(', ')})`,
          );
        }
        funcs = [p, ...p.subprograms.map((n) => spec.functions.find((f) => f.name === n)!)];
      }
      const out: string[] = [];
      for (const f of funcs) {
        if (out.length > 0) out.push('');
        disasmFunction(f, out);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
