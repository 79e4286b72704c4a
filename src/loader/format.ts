/**
 * BTF-aware formatting of map keys and values: integers as numbers (bigint past 2^53), enums by
 * name, char arrays as strings, structs and DATASECs as objects, arrays as arrays, pointers as
 * bigints. Without BTF (or for a type id of 0), integers of 1, 2, 4 or 8 bytes as numbers/bigints
 * and other sizes as hex strings.
 *
 * @module
 */

import type { Btf } from '../btf/index.js';

function readUint(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function num(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

const MAX_DEPTH = 32;

function fmt(
  btf: Btf,
  id: number,
  b: Uint8Array,
  off: number,
  bitOff: number,
  bits: number,
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) return '...';
  const rid = btf.resolve(id);
  if (rid === 0) return null;
  const t = btf.type(rid);
  switch (t.kind) {
    case 'INT': {
      const width = bits || t.bits;
      let v: bigint;
      if (bits > 0 || bitOff > 0 || t.bitOffset > 0) {
        const all = readUint(b, off, Math.min(8, Math.max(t.size, Math.ceil((bitOff + width) / 8))));
        v = BigInt.asUintN(width, all >> BigInt(bitOff + t.bitOffset));
      } else v = readUint(b, off, t.size);
      if (t.bool) return v !== 0n;
      if (t.signed) v = BigInt.asIntN(width, v);
      return num(v);
    }
    case 'ENUM':
    case 'ENUM64': {
      let v = readUint(b, off, t.size);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      const e = (t.values as readonly { name: string; value: number | bigint }[]).find(
        (x) => BigInt(x.value) === v,
      );
      return e !== undefined ? e.name : num(v);
    }
    case 'PTR':
      return readUint(b, off, 8);
    case 'FLOAT':
      if (t.size === 4) return new DataView(b.buffer, b.byteOffset + off, 4).getFloat32(0, true);
      if (t.size === 8) return new DataView(b.buffer, b.byteOffset + off, 8).getFloat64(0, true);
      return hex(b.subarray(off, off + t.size));
    case 'ARRAY': {
      const et = btf.type(btf.resolve(t.type));
      const esz = btf.sizeOf(t.type);
      if (et.kind === 'INT' && et.size === 1 && (et.char || et.name.endsWith('char'))) {
        const bytes = b.subarray(off, off + t.nelems);
        const end = bytes.indexOf(0);
        const body = end < 0 ? bytes : bytes.subarray(0, end);
        if (body.every((c) => c >= 0x20 && c < 0x7f)) return new TextDecoder().decode(body);
      }
      const out: unknown[] = [];
      for (let i = 0; i < t.nelems; i++) out.push(fmt(btf, t.type, b, off + i * esz, 0, 0, depth + 1));
      return out;
    }
    case 'STRUCT':
    case 'UNION': {
      const o: Record<string, unknown> = {};
      t.members.forEach((m, i) => {
        const v = fmt(
          btf,
          m.type,
          b,
          off + Math.floor(m.bitOffset / 8),
          m.bitfieldSize ? m.bitOffset % 8 : 0,
          m.bitfieldSize,
          depth + 1,
        );
        o[m.name || `(anon${i})`] = v;
      });
      return o;
    }
    case 'DATASEC': {
      const o: Record<string, unknown> = {};
      for (const v of t.vars) {
        const vt = btf.type(v.type);
        const name = vt.name;
        const ty = vt.kind === 'VAR' ? vt.type : v.type;
        o[name] = fmt(btf, ty, b, off + v.offset, 0, 0, depth + 1);
      }
      return o;
    }
    case 'VAR':
      return fmt(btf, t.type, b, off, 0, 0, depth + 1);
    default:
      return hex(b.subarray(off, off + btf.sizeOf(rid)));
  }
}

/** Formats `bytes` as BTF type `typeId` of `btf`; see the module description. */
export function formatBtfValue(btf: Btf | undefined, typeId: number | undefined, bytes: Uint8Array): unknown {
  if (btf !== undefined && typeId !== undefined && typeId > 0) {
    try {
      return fmt(btf, typeId, bytes, 0, 0, 0, 0);
    } catch {
      // Type does not fit the bytes: fall back to raw.
    }
  }
  if (bytes.length === 1 || bytes.length === 2 || bytes.length === 4)
    return Number(readUint(bytes, 0, bytes.length));
  if (bytes.length === 8) return num(readUint(bytes, 0, 8));
  return hex(bytes);
}

/** JSON.stringify replacer for formatted values: bigints as decimal strings. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
