/**
 * `tsbpf gen skeleton OBJ --light [--sign --key K --cert C] [--scheme auto|inline|kfunc|load-time]
 * [--format json|ts|c] [--kconfig FILE] [--kernel-release R] [--skip PROG ...] [-o FILE]`: generates a
 * (signed) light skeleton of a BPF object. `.kconfig` externs take their values from `--kconfig`
 * (a `.config` file, gzipped or not), else from this host's `/proc/config.gz` or
 * `/boot/config-<release>`; `LINUX_KERNEL_VERSION` from `--kernel-release`, else `uname -r`.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { parseObject } from '../../elf/object.js';
import { BpfObject } from '../../loader/object.js';
import {
  generateLightSkeleton,
  lskelToC,
  lskelToJson,
  lskelToTs,
  type MetadataScheme,
  probeScheme,
  signLightSkeleton,
} from '../../lskel/index.js';
import { kernelBackend } from '../../sys/kernel/backend.js';
import { choice, readInput, UsageError, writeOutput } from '../common.js';
import { signerFromFiles } from '../signer.js';

const SCHEMES = ['auto', 'inline', 'kfunc', 'load-time'] as const;
const FORMATS = ['json', 'ts', 'c'] as const;

/** The kernel config text: `file` (gzipped or not), else this host's. */
function kernelConfigText(file: string | undefined, kernelRelease: string): string {
  const candidates = file !== undefined ? [file] : ['/proc/config.gz', `/boot/config-${kernelRelease}`];
  for (const path of candidates) {
    if (file === undefined && !existsSync(path)) continue;
    const raw = readInput(path);
    const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    return new TextDecoder().decode(text);
  }
  throw new UsageError('the object has .kconfig externs and no kernel config was found: pass --kconfig FILE');
}

/** Registers `gen skeleton`. */
export function registerGen(program: Command): void {
  const gen =
    program.commands.find((c) => c.name() === 'gen') ??
    program.command('gen').description('generate code from BPF objects');
  gen
    .command('skeleton')
    .description('generate a light skeleton (loader program + data blob), optionally signed')
    .argument('<object>', 'BPF ELF object (.o)')
    .option('--light', 'light skeleton (the only kind tsbpf generates)')
    .option('--sign', 'sign the loader (needs --key and --cert)')
    .option('--key <file>', 'private key, PEM or DER (RSA 2048-4096, ECDSA P-256/P-384)')
    .option('--cert <file>', 'X.509 certificate of the key, PEM or DER, with a subjectKeyIdentifier')
    .option(
      '--scheme <scheme>',
      'metadata scheme of a signed loader: inline, kfunc, load-time, or auto (probe the running kernel)',
      'auto',
    )
    .option(
      '--format <format>',
      'json, ts, or c (a bpftool-style header over libbpf skel_internal.h)',
      'json',
    )
    .option('--name <name>', 'object name (default: the file name)')
    .option(
      '--kconfig <file>',
      'kernel config for .kconfig externs (default: /proc/config.gz or /boot/config-RELEASE)',
    )
    .option('--kernel-release <release>', 'kernel release for LINUX_KERNEL_VERSION (default: uname -r)')
    .option(
      '--skip <program>',
      'leave a program out of the skeleton (autoload off); repeatable',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('-o, --output <file>', 'output file (default: stdout)', '-')
    .action(
      (
        file: string,
        o: {
          light?: boolean;
          sign?: boolean;
          key?: string;
          cert?: string;
          scheme: string;
          format: string;
          name?: string;
          output: string;
          kconfig?: string;
          kernelRelease?: string;
          skip: string[];
        },
      ) => {
        if (!o.light) throw new UsageError('only light skeletons are generated: pass --light');
        const chosen = choice('--scheme', o.scheme, SCHEMES);
        let scheme: MetadataScheme = 'inline';
        if (chosen !== 'auto') scheme = chosen;
        else {
          try {
            scheme = probeScheme(kernelBackend());
          } catch {
            scheme = 'inline'; // no usable bpf(2): Linux 6.18's scheme
          }
        }
        const format = choice('--format', o.format, FORMATS);
        if (o.sign && (!o.key || !o.cert)) throw new UsageError('--sign needs --key and --cert');
        if (!o.sign && (o.key || o.cert)) throw new UsageError('--key/--cert given without --sign');
        const base = file.replace(/^.*\//, '').replace(/(\.bpf(el|eb)?)?\.o$/, '');
        const name = (o.name ?? base).replace(/[^A-Za-z0-9_]/g, '_');
        const bytes = readInput(file);
        const spec = parseObject(bytes);
        const kernelRelease = o.kernelRelease ?? release();
        const needsConfig = spec.externs.some(
          (e) => e.kind === 'kconfig' && e.name !== 'LINUX_KERNEL_VERSION',
        );
        const obj = BpfObject.open(bytes, {
          kernelRelease,
          kconfig: needsConfig ? kernelConfigText(o.kconfig, kernelRelease) : undefined,
        });
        for (const p of o.skip) {
          const prog = obj.programs.get(p);
          if (prog === undefined) throw new UsageError(`--skip ${p}: the object has no program '${p}'`);
          prog.autoload = false;
        }
        let l = generateLightSkeleton(obj, { name, signed: o.sign === true, scheme });
        if (o.sign) {
          const signer = signerFromFiles(readInput(o.key as string), readInput(o.cert as string), {
            key: o.key,
            cert: o.cert,
          });
          l = signLightSkeleton(l, signer);
        }
        writeOutput(
          o.output,
          format === 'json' ? lskelToJson(l) : format === 'ts' ? lskelToTs(l) : lskelToC(l, spec),
        );
      },
    );
}
