/**
 * Light-skeleton files: JSON (what `tsbpf lskel run|verify|attack` read) and a TypeScript
 * module with typed accessors. Pure (base64 via `btoa`/`atob`).
 *
 * JSON fields: `name`, `scheme` (`inline`, or `none` when unsigned), `insns`, `data` and
 * `signature` (base64; `signature` null when unsigned), `exclProgHash` and `metadataHash` (hex),
 * `ctxSize`, `maps` and `programs` (their descriptors).
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import type { LightSkeleton, LskelMap, LskelProgram, MetadataScheme } from './gen.js';

/** base64 of bytes. */
export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of base64 text; FormatError naming `where` when it is not base64. */
export function fromBase64(text: string, where: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    throw new FormatError(where, 'not base64');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The JSON text of a skeleton. */
export function lskelToJson(l: LightSkeleton): string {
  return `${JSON.stringify(
    {
      name: l.name,
      scheme: l.signed ? l.scheme : 'none',
      insns: toBase64(l.insns),
      data: toBase64(l.data),
      signature: l.signature ? toBase64(l.signature) : null,
      ...(l.kfuncBtf ? { kfuncBtf: toBase64(l.kfuncBtf) } : {}),
      ...(l.steps !== undefined && l.stepOffset !== undefined
        ? { stepOffset: l.stepOffset, steps: l.steps }
        : {}),
      ...(l.log !== undefined ? { log: l.log } : {}),
      exclProgHash: toHex(l.exclProgHash),
      metadataHash: toHex(l.metadataHash),
      ctxSize: l.ctxSize,
      maps: l.maps.map((m) => ({ ...m, initialValue: m.initialValue ? toBase64(m.initialValue) : null })),
      programs: l.programs.map((p) => ({ ...p, hash: p.hash !== undefined ? toHex(p.hash) : null })),
    },
    null,
    2,
  )}\n`;
}

function field<T>(o: Record<string, unknown>, k: string, type: string, where: string): T {
  const v = o[k];
  if (typeof v !== type) throw new FormatError(`${where}.${k}`, `expected a ${type}`);
  return v as T;
}

/** Parses {@link lskelToJson} output. FormatError naming the field when something is off. */
export function lskelFromJson(text: string, where = 'skeleton'): LightSkeleton {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(where, `not JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null) throw new FormatError(where, 'not a JSON object');
  const scheme = field<string>(o, 'scheme', 'string', where);
  if (!['inline', 'kfunc', 'load-time', 'none'].includes(scheme))
    throw new FormatError(`${where}.scheme`, `unknown scheme '${scheme}'`);
  const insns = fromBase64(field<string>(o, 'insns', 'string', where), `${where}.insns`);
  if (insns.length === 0 || insns.length % 8 !== 0)
    throw new FormatError(`${where}.insns`, `${insns.length} bytes is not a whole number of instructions`);
  const sig = o.signature;
  if (sig !== null && typeof sig !== 'string')
    throw new FormatError(`${where}.signature`, 'expected base64 or null');
  const hex = (k: string): Uint8Array => {
    try {
      const b = fromHex(field<string>(o, k, 'string', where));
      if (b.length !== 32) throw new Error('not 32 bytes');
      return b;
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(`${where}.${k}`, `not a 32-byte hex hash (${(e as Error).message})`);
    }
  };
  const maps = o.maps;
  const programs = o.programs;
  if (!Array.isArray(maps)) throw new FormatError(`${where}.maps`, 'expected an array');
  if (!Array.isArray(programs)) throw new FormatError(`${where}.programs`, 'expected an array');
  const num = (x: Record<string, unknown>, k: string, w: string): number => {
    const v = field<number>(x, k, 'number', w);
    if (!Number.isInteger(v) || v < 0) throw new FormatError(`${w}.${k}`, 'expected a non-negative integer');
    return v;
  };
  const ctxSize = num(o, 'ctxSize', where);
  return {
    name: field<string>(o, 'name', 'string', where),
    insns,
    data: fromBase64(field<string>(o, 'data', 'string', where), `${where}.data`),
    signed: scheme !== 'none',
    scheme: scheme === 'none' ? undefined : (scheme as MetadataScheme),
    signature: typeof sig === 'string' ? fromBase64(sig, `${where}.signature`) : undefined,
    kfuncBtf: typeof o.kfuncBtf === 'string' ? fromBase64(o.kfuncBtf, `${where}.kfuncBtf`) : undefined,
    exclProgHash: hex('exclProgHash'),
    metadataHash: hex('metadataHash'),
    ctxSize,
    ...(o.steps !== undefined || o.stepOffset !== undefined
      ? {
          stepOffset: num(o, 'stepOffset', where),
          steps: (() => {
            const st = o.steps;
            if (!Array.isArray(st) || !st.every((x) => typeof x === 'string'))
              throw new FormatError(`${where}.steps`, 'expected an array of strings');
            return st as string[];
          })(),
        }
      : {}),
    ...(o.log !== undefined
      ? (() => {
          const lg = o.log as Record<string, unknown>;
          if (typeof lg !== 'object' || lg === null)
            throw new FormatError(`${where}.log`, 'expected an object');
          return {
            log: { offset: num(lg, 'offset', `${where}.log`), size: num(lg, 'size', `${where}.log`) },
          };
        })()
      : {}),
    maps: maps.map((m: Record<string, unknown>, i): LskelMap => {
      const w = `${where}.maps[${i}]`;
      const d = num(m, 'descOffset', w);
      if (d + 16 > ctxSize) throw new FormatError(`${w}.descOffset`, 'outside the context');
      const iv = m.initialValue;
      return {
        name: field<string>(m, 'name', 'string', w),
        kernelName: field<string>(m, 'kernelName', 'string', w),
        descOffset: d,
        type: num(m, 'type', w),
        keySize: num(m, 'keySize', w),
        valueSize: num(m, 'valueSize', w),
        maxEntries: num(m, 'maxEntries', w),
        flags: num(m, 'flags', w),
        initialValue: typeof iv === 'string' ? fromBase64(iv, `${w}.initialValue`) : undefined,
        readonly: m.readonly === true,
        ...(m.valueOffset !== undefined ? { valueOffset: num(m, 'valueOffset', w) } : {}),
      };
    }),
    programs: programs.map((p: Record<string, unknown>, i): LskelProgram => {
      const w = `${where}.programs[${i}]`;
      const d = num(p, 'descOffset', w);
      if (d + 4 > ctxSize) throw new FormatError(`${w}.descOffset`, 'outside the context');
      let h: Uint8Array | undefined;
      if (p.hash !== null) {
        try {
          h = fromHex(field<string>(p, 'hash', 'string', w));
        } catch (e) {
          if (e instanceof FormatError) throw e;
          throw new FormatError(`${w}.hash`, (e as Error).message);
        }
      }
      const lines = p.lines;
      if (lines !== undefined && !Array.isArray(lines))
        throw new FormatError(`${w}.lines`, 'expected an array');
      return {
        name: field<string>(p, 'name', 'string', w),
        kernelName: field<string>(p, 'kernelName', 'string', w),
        descOffset: d,
        type: num(p, 'type', w),
        hash: h,
        ...(lines !== undefined
          ? {
              lines: lines.map((x: Record<string, unknown>, k) => {
                const wl = `${w}.lines[${k}]`;
                if (typeof x !== 'object' || x === null) throw new FormatError(wl, 'expected an object');
                return {
                  slot: num(x, 'slot', wl),
                  file: field<string>(x, 'file', 'string', wl),
                  line: num(x, 'line', wl),
                  column: num(x, 'column', wl),
                  text: field<string>(x, 'text', 'string', wl),
                };
              }),
            }
          : {}),
      };
    }),
  };
}

function ident(s: string): string {
  const x = s.replace(/^\./, '').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(x) ? `_${x}` : x;
}

/**
 * A TypeScript module for the skeleton: the skeleton itself (loader, blob, signature, excl
 * hash) as `lskel`, and typed accessors `maps.<name>(c)` / `programs.<name>(c)` over the
 * collection {@link loadAndRun} returns.
 */
export function lskelToTs(l: LightSkeleton, importFrom = 'tsbpf/lskel'): string {
  const json = lskelToJson(l).trimEnd();
  const maps = l.maps.map(
    (m) => `  ${ident(m.name)}: (c: LskelCollection): Fd => c.maps.get(${JSON.stringify(m.name)})!,`,
  );
  const progs = l.programs.map(
    (p) => `  ${ident(p.name)}: (c: LskelCollection): Fd => c.programs.get(${JSON.stringify(p.name)})!,`,
  );
  return [
    `// Light skeleton of '${l.name}', generated by tsbpf. Do not edit.`,
    `import type { Fd } from 'tsbpf/sys';`,
    `import { type LightSkeleton, type LskelCollection, lskelFromJson } from '${importFrom}';`,
    '',
    `/** The skeleton (${l.signed ? `signed, ${l.scheme} scheme` : 'unsigned'}). */`,
    `export const lskel: LightSkeleton = lskelFromJson(${JSON.stringify(json)});`,
    '',
    `/** excl_prog_hash of the metadata map (hex). */`,
    `export const exclProgHash = ${JSON.stringify(toHex(l.exclProgHash))};`,
    '',
    `/** The object's maps in a loaded collection. */`,
    'export const maps = {',
    ...maps,
    '} as const;',
    '',
    `/** The object's programs in a loaded collection. */`,
    'export const programs = {',
    ...progs,
    '} as const;',
    '',
  ].join('\n');
}
