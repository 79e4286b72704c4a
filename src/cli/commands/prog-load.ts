/**
 * `tsbpf prog load OBJ`: opens a BPF ELF object, adjusts it from the options, and loads it on the
 * kernel or the machine (like `bpftool prog loadall`). Prints what was created; with `--pin DIR`
 * the programs (DIR/<prog>) and maps (DIR/maps/<map>) stay pinned after the command exits.
 * Added to the existing `prog` command.
 *
 * @module
 */

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { mapTypeName, ProgType } from '../../elf/index.js';
import { BpfObject, type Collection, type OpenOptions } from '../../loader/index.js';
import { Machine } from '../../machine/index.js';
import type { Backend } from '../../sys/backend.js';
import { kernelBackend } from '../../sys/kernel/index.js';
import { toHex } from '../../util/hex.js';
import { choice, intOption, printJson, readInput, UsageError } from '../common.js';

/** Number of possible CPUs of this host. */
export function possibleCpus(): number {
  try {
    let n = 0;
    for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 1;
  }
}

let kallsyms: Map<string, bigint> | undefined;
function kallsymsAddress(name: string): bigint | undefined {
  if (kallsyms === undefined) {
    kallsyms = new Map();
    try {
      for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
        const [addr, , sym] = line.split(/\s+/);
        if (sym !== undefined && addr !== undefined && !kallsyms.has(sym))
          kallsyms.set(sym, BigInt(`0x${addr}`));
      }
    } catch {
      // No kallsyms: typeless ksyms stay unresolved.
    }
  }
  const a = kallsyms.get(name);
  return a === 0n ? undefined : a;
}

/** What the loader needs from the host: vmlinux BTF, kernel config and release, kallsyms, CPUs. */
export function hostOpenOptions(opts: { btf?: string; kconfig?: string }): OpenOptions {
  const btfPath = opts.btf ?? '/sys/kernel/btf/vmlinux';
  const kernelBtf = opts.btf !== undefined || existsSync(btfPath) ? readInput(btfPath) : undefined;
  let kconfig: string | undefined;
  const cfgPath = opts.kconfig ?? (existsSync('/proc/config.gz') ? '/proc/config.gz' : undefined);
  if (cfgPath !== undefined) {
    const raw = readInput(cfgPath);
    kconfig = new TextDecoder().decode(raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
  }
  return { kernelBtf, kconfig, kernelRelease: release(), ksymAddress: kallsymsAddress, cpus: possibleCpus() };
}

/** The backend named by `--backend`. */
export function openBackend(name: string): Backend {
  const b = choice('--backend', name, ['kernel', 'machine'] as const);
  return b === 'kernel' ? kernelBackend() : new Machine({ cpus: possibleCpus() });
}

function progTypeName(type: number): string {
  for (const [k, v] of Object.entries(ProgType)) if (v === type) return k.toLowerCase();
  return `type ${type}`;
}

interface LoadOpts {
  backend: string;
  pin?: string;
  pinMaps?: string;
  exclusive: string[];
  skip: string[];
  btf?: string;
  kconfig?: string;
  logLevel?: string;
  json?: boolean;
}

/** Loads `file` as the options say; returns the collection (caller closes) and its description. */
export function loadObject(file: string, o: LoadOpts): { coll: Collection; report: Record<string, unknown> } {
  const backend = openBackend(o.backend);
  const obj = BpfObject.open(readInput(file), {
    ...hostOpenOptions(o),
    pinRoot: o.pinMaps ?? (backend.name === 'kernel' ? '/sys/fs/bpf' : undefined),
    logLevel: o.logLevel !== undefined ? intOption('--log-level', o.logLevel) : 0,
  });
  for (const name of o.skip) {
    const p = obj.programs.get(name);
    if (p === undefined) throw new UsageError(`--skip: no program '${name}' in ${file}`);
    p.autoload = false;
  }
  for (const spec of o.exclusive) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    if (!m) throw new UsageError(`--exclusive expects MAP=PROG, not '${spec}'`);
    const map = obj.maps.get(m[1]!);
    const prog = obj.programs.get(m[2]!);
    if (map === undefined) throw new UsageError(`--exclusive: no map '${m[1]}' in ${file}`);
    if (prog === undefined) throw new UsageError(`--exclusive: no program '${m[2]}' in ${file}`);
    map.setExclusiveProgram(prog);
  }
  if (o.pin !== undefined) mkdirSync(`${o.pin}/maps`, { recursive: true });
  const coll = obj.load(backend);
  try {
    const programs = [...coll.programs.values()].map((p) => {
      const info = p.info();
      const pinned = o.pin !== undefined ? `${o.pin}/${p.name}` : undefined;
      if (pinned !== undefined) backend.objPin({ pathname: pinned, bpfFd: p.fd.fd });
      return {
        name: p.name,
        id: info.id,
        type: progTypeName(p.type),
        tag: toHex(info.tag),
        hash: toHex(p.hash),
        insns: p.insns.length / 8,
        pinned,
      };
    });
    const maps = [...coll.maps.values()].map((m) => {
      const info = m.info();
      let pinned = m.pinPath;
      if (pinned === undefined && o.pin !== undefined) {
        pinned = `${o.pin}/maps/${m.name.replace(/\./g, '_')}`; // bpffs refuses names with a dot (EPERM)
        backend.objPin({ pathname: pinned, bpfFd: m.fd.fd });
      }
      return {
        name: m.name,
        id: info.id,
        type: mapTypeName(m.type).toLowerCase(),
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        flags: m.flags,
        exclusiveTo: m.exclusiveTo,
        reused: m.reused,
        pinned,
      };
    });
    return { coll, report: { object: file, backend: backend.name, programs, maps, warnings: coll.warnings } };
  } catch (e) {
    coll.close();
    throw e;
  }
}

/** Registers `prog load` (creating `prog` if no other module has). */
export function registerProgLoad(program: Command): void {
  const prog =
    program.commands.find((c) => c.name() === 'prog') ??
    program.command('prog').description('load and run programs');
  prog
    .command('load')
    .description('load every program and map of a BPF ELF object (like bpftool prog loadall)')
    .argument('<obj>', 'BPF ELF object (little-endian)')
    .option('--backend <name>', 'kernel or machine', 'kernel')
    .option('--pin <dir>', 'pin programs at DIR/<prog> and maps at DIR/maps/<map> (a bpffs directory)')
    .option('--pin-maps <dir>', 'directory for maps pinned by name (default /sys/fs/bpf on the kernel)')
    .option(
      '--exclusive <map=prog>',
      'make MAP exclusive to PROG (repeatable)',
      (v: string, a: string[]) => [...a, v],
      [],
    )
    .option('--skip <prog>', 'do not load PROG (repeatable)', (v: string, a: string[]) => [...a, v], [])
    .option(
      '--btf <file>',
      'target BTF for CO-RE, ksyms and attach targets (default /sys/kernel/btf/vmlinux)',
    )
    .option('--kconfig <file>', 'kernel config for .kconfig externs (default /proc/config.gz; .gz or text)')
    .option('--log-level <n>', 'verifier log level')
    .option('--json', 'print JSON')
    .action((file: string, o: LoadOpts) => {
      if (o.pin !== undefined && o.backend === 'machine')
        throw new UsageError('--pin needs --backend kernel: the machine lives only as long as the command');
      const { coll, report } = loadObject(file, o);
      try {
        if (o.json) printJson(report);
        else {
          for (const p of report.programs as {
            name: string;
            id: number;
            type: string;
            tag: string;
            pinned?: string;
          }[])
            process.stdout.write(
              `prog ${p.name} id ${p.id} type ${p.type} tag ${p.tag}${p.pinned ? ` pinned ${p.pinned}` : ''}\n`,
            );
          for (const m of report.maps as {
            name: string;
            id: number;
            type: string;
            exclusiveTo?: string;
            reused: boolean;
            pinned?: string;
          }[])
            process.stdout.write(
              `map ${m.name} id ${m.id} type ${m.type}${m.exclusiveTo ? ` exclusive to ${m.exclusiveTo}` : ''}${m.reused ? ' reused' : ''}${m.pinned ? ` pinned ${m.pinned}` : ''}\n`,
            );
          for (const w of report.warnings as string[]) process.stderr.write(`tsbpf: warning: ${w}\n`);
        }
      } finally {
        coll.close();
      }
    });
}
