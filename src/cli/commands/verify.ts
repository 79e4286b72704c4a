/**
 * `tsbpf verify FILE`: runs the machine's verifier on a program, with no kernel involved. FILE is
 * a BPF ELF object (`--prog NAME` picks a program), assembly text (LLVM or conformance syntax),
 * or raw instructions. Raw and assembly programs refer to maps with `ld_imm64` pseudo loads
 * (`map[fd:N]`, `map[idx:N]`, `map_value[...]`): `--map SPEC` describes map N (in order).
 *
 * Exit 0 when accepted, 1 when rejected (the error line on stderr, or the log with
 * `--log-level`), 2 on usage errors.
 *
 * @module
 */

import type { Command } from 'commander';
import { linkProgram } from '../../elf/link.js';
import { parseObject } from '../../elf/object.js';
import { assemble } from '../../isa/asm/index.js';
import { decode } from '../../isa/codec.js';
import type { Insn } from '../../isa/insn.js';
import { Pseudo } from '../../isa/opcodes.js';
import { type VerifierMap, verify } from '../../machine/verifier/index.js';
import { AttachType, MapFlag, MapType, ProgType } from '../../uapi/constants.js';
import { intOption, printJson, readInput, UsageError } from '../common.js';

/** Program type names: every `BPF_PROG_TYPE_*` in lower case, plus bpftool's short aliases. */
const TYPES: Record<string, number> = {
  ...Object.fromEntries(
    Object.entries(ProgType)
      .filter(([k]) => k !== 'UNSPEC')
      .map(([k, v]) => [k.toLowerCase(), v as number]),
  ),
  socket: ProgType.SOCKET_FILTER,
  tc: ProgType.SCHED_CLS,
  classifier: ProgType.SCHED_CLS,
  action: ProgType.SCHED_ACT,
  tracing: ProgType.TRACING,
  raw_tp: ProgType.RAW_TRACEPOINT,
  tp: ProgType.TRACEPOINT,
};

/** Attach type names: every `BPF_*` attach type in lower case. */
const ATTACH_TYPES: Record<string, number> = Object.fromEntries(
  Object.entries(AttachType).map(([k, v]) => [k.toLowerCase(), v as number]),
);

const MAP_TYPES: Record<string, number> = Object.fromEntries(
  Object.entries(MapType).map(([k, v]) => [k.toLowerCase(), v as number]),
);

/** Parses `type=array,key=4,value=16,entries=1[,flags=N|rdonly_prog]`. */
export function parseMapSpec(spec: string): VerifierMap {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (part === 'rdonly_prog') fields.set('rdonly_prog', '1');
      else throw new UsageError(`--map ${spec}: '${part}' is not key=value`);
      continue;
    }
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const typeName = fields.get('type') ?? 'array';
  const type = MAP_TYPES[typeName];
  if (type === undefined) throw new UsageError(`--map ${spec}: unknown map type '${typeName}'`);
  const num = (k: string, d: number): number => {
    const v = fields.get(k);
    return v === undefined ? d : intOption(`--map ${k}`, v);
  };
  let flags = num('flags', 0);
  if (fields.has('rdonly_prog')) flags |= MapFlag.RDONLY_PROG;
  return { type, keySize: num('key', 4), valueSize: num('value', 8), maxEntries: num('entries', 1), flags };
}

function looksLikeElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0 || (c < 9 && c !== 0) || (c > 13 && c < 32)) return false;
  }
  return true;
}

interface Loaded {
  insns: Insn[];
  type: number | undefined;
  attachType: number;
  maps: VerifierMap[];
  gpl: boolean;
  name: string;
}

function loadObject(bytes: Uint8Array, progName: string | undefined): Loaded {
  const spec = parseObject(bytes);
  const prog = progName === undefined ? spec.programs[0] : spec.programs.find((p) => p.name === progName);
  if (prog === undefined) {
    throw new UsageError(
      progName === undefined
        ? 'the object has no programs'
        : `no program '${progName}' (have: ${spec.programs.map((p) => p.name).join(', ')})`,
    );
  }
  const l = linkProgram(spec, prog.name);
  const insns = l.insns.map((i) => ({ ...i }));
  const maps: VerifierMap[] = [];
  const index = new Map<string, number>();
  for (const r of l.relocations) {
    if (r.kind === 'extern')
      throw new UsageError(`program ${prog.name} uses extern ${r.extern}: not supported by verify`);
    const ms = spec.maps.find((m) => m.name === r.map);
    if (ms === undefined) throw new UsageError(`program ${prog.name} refers to unknown map ${r.map}`);
    let k = index.get(ms.name);
    if (k === undefined) {
      k = maps.length;
      index.set(ms.name, k);
      maps.push({
        type: ms.type,
        keySize: ms.keySize,
        valueSize: ms.valueSize,
        maxEntries: ms.maxEntries,
        flags: ms.flags | (ms.readonly ? MapFlag.RDONLY_PROG : 0),
      });
    }
    const old = insns[r.insn]!;
    insns[r.insn] =
      r.kind === 'data'
        ? { ...old, src: Pseudo.MAP_IDX_VALUE, imm: k, imm2: r.offset }
        : { ...old, src: Pseudo.MAP_IDX, imm: k, imm2: 0 };
  }
  const gplNames = [
    'GPL',
    'GPL v2',
    'GPL and additional rights',
    'Dual BSD/GPL',
    'Dual MIT/GPL',
    'Dual MPL/GPL',
  ];
  return {
    insns,
    type: prog.type || undefined,
    attachType: prog.attachType,
    maps,
    gpl: gplNames.includes(prog.license),
    name: prog.name,
  };
}

/** Registers `verify`. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "verify a program with the machine's verifier (Linux 6.18 rules); exit 0 accepted, 1 rejected",
    )
    .argument('<file>', 'BPF ELF object, assembly text, or raw instructions (- for stdin)')
    .option(
      '--type <type>',
      'program type: socket, tc, xdp, syscall, kprobe, tracepoint, cgroup_skb, ... (any BPF_PROG_TYPE_* name; objects: from the section)',
    )
    .option(
      '--attach-type <name>',
      'expected attach type: any BPF_* attach type name, e.g. cgroup_inet_egress (objects: from the section)',
    )
    .option('--prog <name>', 'program of an object (default: the first)')
    .option(
      '--map <spec>',
      'map N of raw/assembly programs (repeatable, in fd/idx order): type=array,key=4,value=16,entries=1[,rdonly_prog]',
      (v: string, a: string[]) => [...a, v],
      [],
    )
    .option('--license <name>', 'license of raw/assembly programs', 'GPL')
    .option('--unprivileged', 'verify as an unprivileged loader (no CAP_BPF)')
    .option('--log-level <n>', 'print the verifier log: 1 (the failing path) or 2 (every state)')
    .option('--json', 'print the verdict as JSON')
    .action(
      (
        file: string,
        opts: {
          type?: string;
          attachType?: string;
          prog?: string;
          map: string[];
          license: string;
          unprivileged?: boolean;
          logLevel?: string;
          json?: boolean;
        },
      ) => {
        const bytes = readInput(file);
        let loaded: Loaded;
        if (looksLikeElf(bytes)) loaded = loadObject(bytes, opts.prog);
        else {
          const insns = looksLikeText(bytes)
            ? assemble(new TextDecoder().decode(bytes), { file })
            : decode(bytes, { validate: false });
          loaded = {
            insns,
            type: undefined,
            attachType: 0,
            maps: opts.map.map(parseMapSpec),
            gpl: ['GPL', 'GPL v2', 'Dual BSD/GPL', 'Dual MIT/GPL'].includes(opts.license),
            name: file,
          };
        }
        let type = loaded.type;
        if (opts.type !== undefined) {
          type = TYPES[opts.type.toLowerCase()];
          if (type === undefined)
            throw new UsageError(
              `--type must be one of ${Object.keys(TYPES).join(', ')}, not '${opts.type}'`,
            );
        }
        if (type === undefined) type = ProgType.SOCKET_FILTER;
        let attachType = loaded.attachType;
        if (opts.attachType !== undefined) {
          const a = ATTACH_TYPES[opts.attachType.toLowerCase()];
          if (a === undefined)
            throw new UsageError(`--attach-type: unknown attach type '${opts.attachType}'`);
          attachType = a;
        }
        const level = opts.logLevel === undefined ? 0 : intOption('--log-level', opts.logLevel);
        if (level < 0 || level > 2) throw new UsageError('--log-level must be 0, 1 or 2');
        const maps = loaded.maps;
        const r = verify(loaded.insns, {
          progType: type,
          expectedAttachType: attachType,
          gpl: loaded.gpl,
          privileged: !opts.unprivileged,
          logLevel: level,
          maps: (kind, k) => (kind === 'idx' ? maps[k] : maps[k]),
        });
        if (opts.json) {
          printJson({
            program: loaded.name,
            accepted: r.ok,
            ...(r.error !== undefined ? { error: r.error, errno: r.errno } : {}),
            processed: r.processed,
            states: r.totalStates,
            ...(level > 0 ? { log: r.log } : {}),
          });
        } else if (r.ok) {
          if (level > 0) process.stdout.write(`${r.log.join('\n')}\n`);
        } else {
          process.stderr.write(level > 0 ? `${r.log.join('\n')}\n` : `${r.error}\n`);
        }
        if (!r.ok) process.exitCode = 1;
      },
    );
}
