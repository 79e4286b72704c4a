/**
 * `tsbpf map dump|lookup|update|delete MAP`: element access to a live map on the kernel, named by
 * a bpffs path (a pin) or by id; keys and values are printed with the map's BTF when it has one.
 * KEY and VALUE are integers (decimal or 0x, written little-endian in the key/value size) or hex
 * bytes (`hex:01000000`).
 *
 * @module
 */

import type { Command } from 'commander';
import { parseBtf } from '../../btf/index.js';
import { LoadedMap } from '../../loader/index.js';
import type { Backend } from '../../sys/backend.js';
import type { Fd } from '../../sys/fd.js';
import { kernelBackend } from '../../sys/kernel/index.js';
import { fromHex } from '../../util/hex.js';
import { choice, printJson, UsageError } from '../common.js';
import { possibleCpus } from './prog-load.js';

function openMap(b: Backend, ref: string): { fd: Fd; map: LoadedMap } {
  let fd: Fd;
  if (/^(id:)?\d+$/.test(ref)) fd = b.mapGetFdById(Number(ref.replace(/^id:/, '')));
  else fd = b.objGet({ pathname: ref }, 'map');
  try {
    const info = b.objGetInfoByFd(fd.fd, { kind: 'map' });
    let btf: ReturnType<typeof parseBtf> | undefined;
    if (info.btfId !== 0) {
      const bfd = b.btfGetFdById(info.btfId);
      try {
        const first = b.objGetInfoByFd(bfd.fd, { kind: 'btf' });
        const raw = new Uint8Array(first.btfSize);
        b.objGetInfoByFd(bfd.fd, { kind: 'btf', btf: raw });
        btf = parseBtf(raw);
      } finally {
        bfd.close();
      }
    }
    const isData = info.btfKeyTypeId === 0 && info.btfValueTypeId !== 0;
    const map = new LoadedMap(
      b,
      fd,
      info.name,
      info.type,
      info.keySize,
      info.valueSize,
      info.maxEntries,
      info.mapFlags,
      btf,
      isData ? undefined : info.btfKeyTypeId || undefined,
      info.btfValueTypeId || undefined,
      possibleCpus(),
      ref.includes('/') ? ref : undefined,
      true,
    );
    return { fd, map };
  } catch (e) {
    fd.close();
    throw e;
  }
}

function data(what: string, text: string | undefined, size: number): Uint8Array {
  if (text === undefined) throw new UsageError(`${what} is required`);
  if (text.startsWith('hex:')) {
    let b: Uint8Array;
    try {
      b = fromHex(text.slice(4));
    } catch (e) {
      throw new UsageError(`${what}: ${(e as Error).message}`);
    }
    if (b.length !== size) throw new UsageError(`${what} is ${b.length} bytes, the map wants ${size}`);
    return b;
  }
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text))
    throw new UsageError(`${what} must be an integer or hex:BYTES, not '${text}'`);
  const neg = text.startsWith('-');
  let v = BigInt(neg ? text.slice(1) : text);
  if (neg) v = -v;
  const out = new Uint8Array(size);
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

interface ElemOpts {
  key?: string;
  value?: string;
  flags?: string;
  json?: boolean;
}

function show(v: unknown, json: boolean | undefined): void {
  if (json) printJson(v);
  else process.stdout.write(`${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}\n`);
}

/** Registers `map`. */
export function registerMap(program: Command): void {
  const map =
    program.commands.find((c) => c.name() === 'map') ??
    program.command('map').description('inspect and change live maps');
  const withMap = (f: (m: LoadedMap, o: ElemOpts) => void) => (ref: string, o: ElemOpts) => {
    const b = kernelBackend();
    const { fd, map: m } = openMap(b, ref);
    try {
      f(m, o);
    } finally {
      fd.close();
    }
  };
  map
    .command('dump')
    .description('print every element')
    .argument('<map>', 'pinned path or id')
    .option('--json', 'print JSON')
    .action(withMap((m, o) => show(m.dump(), o.json)));
  map
    .command('lookup')
    .description('print the value at a key')
    .argument('<map>', 'pinned path or id')
    .option('--key <key>', 'integer or hex:BYTES')
    .option('--json', 'print JSON')
    .action(
      withMap((m, o) => {
        const k = m.keySize === 0 ? undefined : data('--key', o.key, m.keySize);
        const v = m.lookup(k);
        if (v === undefined) throw new UsageError(`no element at key ${o.key}`);
        show({ key: k === undefined ? null : m.formatKey(k), value: m.formatValue(v) }, o.json);
      }),
    );
  map
    .command('update')
    .description('set the value at a key')
    .argument('<map>', 'pinned path or id')
    .option('--key <key>', 'integer or hex:BYTES')
    .option('--value <value>', 'integer or hex:BYTES (per-CPU maps: the whole per-CPU buffer)')
    .option('--flags <flags>', 'any, noexist or exist', 'any')
    .action(
      withMap((m, o) => {
        const flags = { any: 0, noexist: 1, exist: 2 }[
          choice('--flags', o.flags ?? 'any', ['any', 'noexist', 'exist'] as const)
        ];
        m.update(
          m.keySize === 0 ? undefined : data('--key', o.key, m.keySize),
          data('--value', o.value, m.valueBufferSize),
          flags,
        );
      }),
    );
  map
    .command('delete')
    .description('delete the element at a key')
    .argument('<map>', 'pinned path or id')
    .option('--key <key>', 'integer or hex:BYTES')
    .action(
      withMap((m, o) => {
        if (!m.delete(data('--key', o.key, m.keySize))) throw new UsageError(`no element at key ${o.key}`);
      }),
    );
}
