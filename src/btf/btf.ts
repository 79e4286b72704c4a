/**
 * BTF: parse (either byte order, split BTF), build, serialize, and query.
 *
 * A {@link Btf} keeps the type section as 32-bit words in host order (a zero-copy view of the
 * input when the byte order and alignment allow) plus one word offset per type; decoded objects
 * ({@link BtfType}) and strings are made only on demand. Serializing writes the words back in the
 * chosen byte order, the string table as found, and the header fields as found, so parse then
 * serialize gives back the input bytes exactly.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';
import {
  BTF_HEADER_SIZE,
  BTF_INFO_UNUSED_MASK,
  BTF_INT,
  BTF_KIND,
  BTF_LINKAGE_NAMES,
  BTF_MAGIC,
  BTF_MAX_TYPE,
  BTF_VERSION,
  type BtfLinkage,
  kindName,
} from './kinds.js';
import { StringTable } from './strings.js';
import type { BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types.js';
import { wasmScan } from './wasmscan.js';

/** Byte order of serialized BTF. */
export type Endian = 'little' | 'big';

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const K = BTF_KIND;
/** Type sections of at least this many words are scanned with WebAssembly ({@link wasmScan}). */
const WASM_MIN_WORDS = 16384;

/** Options for {@link Btf.parse}. */
export interface BtfParseOptions {
  /** The base BTF, when parsing split BTF (module BTF on top of vmlinux). */
  base?: Btf;
  /** Name of the section for error messages (default `.BTF`). */
  section?: string;
}

/** Options for an empty {@link Btf} (the builder). */
export interface BtfInit {
  /** Base BTF: the new types are split BTF, with ids after the base's. */
  base?: Btf;
  /** Byte order for {@link Btf.serialize} (default little). */
  endian?: Endian;
}

/** A struct or union member for {@link Btf.addStruct}/{@link Btf.addUnion}. */
export interface MemberSpec {
  /** Member name, `''` or omitted for anonymous members. */
  name?: string;
  /** Member type id. */
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits (sets the struct's kind_flag). */
  bitfieldSize?: number;
}

/** A function parameter for {@link Btf.addFuncProto}. */
export interface ParamSpec {
  /** Parameter name (omit for none). */
  name?: string;
  /** Parameter type id (0 with no name, last, for `...`). */
  type: number;
}

/** Member found by {@link Btf.fieldPath}: offset accumulated through nested members. */
export interface FieldLocation {
  /** The member's type id. */
  type: number;
  /** Offset from the start of the outer type, in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 if not a bitfield. */
  bitfieldSize: number;
}

const LINKAGE_NUM: Record<BtfLinkage, number> = { static: 0, global: 1, extern: 2 };

function fmtWhere(section: string, id: number, sub?: string): string {
  return sub ? `${section}/types[${id}]/${sub}` : `${section}/types[${id}]`;
}

/**
 * A BTF type graph: parsed from bytes ({@link Btf.parse}) or built ({@link Btf} constructor and
 * the `add*` methods), queried by id or name, serialized in either byte order.
 *
 * Type ids: 0 is `void`; a base BTF's types are 1..{@link typeCount}-1; split BTF continues with
 * {@link startId} = the base's {@link typeCount}.
 */
export class Btf {
  /** The base BTF, for split BTF. */
  readonly base: Btf | undefined;
  /** First type id defined here (1 for base BTF). */
  readonly startId: number;
  /** The string table (offsets are global in split BTF). */
  readonly strings: StringTable;
  /** Byte order used by {@link serialize}; parse sets it to the input's. */
  endian: Endian;
  /** Header `flags` byte (kept as found). */
  flags = 0;
  /** Header bytes after the 24-byte fixed header (kept as found; the kernel wants zeros). */
  headerExtra: Uint8Array = new Uint8Array(0);
  /** Section name used in error messages. */
  readonly section: string;

  private w: Uint32Array;
  private wLen: number;
  private offs: Uint32Array;
  private n: number;
  private ownedWords: boolean;
  private stringsFirst = false;
  private nameIndex: Map<string, number[]> | undefined;
  private alignCache: Map<number, number> | undefined;

  /** An empty BTF (the builder), optionally split on top of `base`. */
  constructor(init: BtfInit = {}) {
    this.base = init.base;
    this.startId = init.base ? init.base.typeCount : 1;
    this.endian = init.endian ?? init.base?.endian ?? 'little';
    this.strings = new StringTable(init.base ? new Uint8Array(0) : Uint8Array.of(0), init.base?.strings);
    this.w = new Uint32Array(0);
    this.wLen = 0;
    this.offs = new Uint32Array(1);
    this.n = 0;
    this.ownedWords = false;
    this.section = '.BTF';
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /**
   * Parses raw BTF (a `.BTF` section, `/sys/kernel/btf/vmlinux`, or split module BTF with
   * `opts.base`). The byte order is taken from the magic. The input is not copied when its byte
   * order and alignment match the host: do not modify it afterwards.
   *
   * @throws FormatError naming the place (`.BTF/types[42]/members[3]`, `.BTF/header`) and the
   *   byte offset, for anything truncated, out of range, overlapping or unknown.
   */
  static parse(bytes: Uint8Array, opts: BtfParseOptions = {}): Btf {
    const section = opts.section ?? '.BTF';
    const hw = `${section}/header`;
    if (bytes.length < BTF_HEADER_SIZE)
      throw new FormatError(hw, `${bytes.length} bytes, shorter than the ${BTF_HEADER_SIZE}-byte header`, 0);
    let le: boolean;
    if (bytes[0] === 0x9f && bytes[1] === 0xeb) le = true;
    else if (bytes[0] === 0xeb && bytes[1] === 0x9f) le = false;
    else
      throw new FormatError(
        hw,
        `bad magic 0x${((bytes[0]! << 8) | bytes[1]!).toString(16).padStart(4, '0')} (want 0xeb9f)`,
        0,
      );
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = bytes[2]!;
    if (version !== BTF_VERSION) throw new FormatError(hw, `unsupported version ${version}`, 2);
    const flags = bytes[3]!;
    const hdrLen = dv.getUint32(4, le);
    if (hdrLen < BTF_HEADER_SIZE || hdrLen > bytes.length)
      throw new FormatError(hw, `hdr_len ${hdrLen} is out of range (${BTF_HEADER_SIZE}..${bytes.length})`, 4);
    const typeOff = dv.getUint32(8, le);
    const typeLen = dv.getUint32(12, le);
    const strOff = dv.getUint32(16, le);
    const strLen = dv.getUint32(20, le);
    const body = bytes.length - hdrLen;
    if (typeOff % 4 !== 0) throw new FormatError(hw, `type_off ${typeOff} is not 4-byte aligned`, 8);
    if (typeOff + typeLen > body)
      throw new FormatError(hw, `type section ${typeOff}+${typeLen} runs past the data (${body} bytes)`, 8);
    if (strOff + strLen > body)
      throw new FormatError(hw, `string section ${strOff}+${strLen} runs past the data (${body} bytes)`, 16);
    if (typeLen % 4 !== 0) throw new FormatError(hw, `type_len ${typeLen} is not a multiple of 4`, 12);
    const typesFirst = typeOff <= strOff;
    const [aOff, aLen, bOff, bLen] = typesFirst
      ? [typeOff, typeLen, strOff, strLen]
      : [strOff, strLen, typeOff, typeLen];
    if (aOff !== 0) throw new FormatError(hw, `a ${aOff}-byte hole before the first section`, hdrLen);
    if (aOff + aLen > bOff) throw new FormatError(hw, 'type and string sections overlap', hdrLen + bOff);
    if (aOff + aLen < bOff)
      throw new FormatError(
        hw,
        `a ${bOff - aOff - aLen}-byte hole between the sections`,
        hdrLen + aOff + aLen,
      );
    if (bOff + bLen !== body)
      throw new FormatError(hw, `${body - bOff - bLen} bytes after the last section`, hdrLen + bOff + bLen);

    const base = opts.base;
    const strStart = hdrLen + strOff;
    const sw = `${section}/strings`;
    if (!base) {
      if (strLen === 0) throw new FormatError(sw, 'empty string table', strStart);
      if (bytes[strStart] !== 0) throw new FormatError(sw, 'the first string is not empty', strStart);
    }
    if (strLen > 0 && bytes[strStart + strLen - 1] !== 0)
      throw new FormatError(sw, 'the table does not end with NUL', strStart + strLen - 1);

    const btf = new Btf({ base, endian: le ? 'little' : 'big' });
    (btf as { section: string }).section = section;
    btf.flags = flags;
    btf.headerExtra = bytes.slice(BTF_HEADER_SIZE, hdrLen);
    btf.stringsFirst = !typesFirst;
    (btf as { strings: StringTable }).strings = new StringTable(
      bytes.subarray(strStart, strStart + strLen),
      base?.strings,
    );

    const typeStart = hdrLen + typeOff;
    const nWords = typeLen / 4;
    let w: Uint32Array;
    if (le === HOST_LE && (bytes.byteOffset + typeStart) % 4 === 0) {
      w = new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, nWords);
    } else {
      w = new Uint32Array(nWords);
      for (let i = 0; i < nWords; i++) w[i] = dv.getUint32(typeStart + i * 4, le);
    }
    btf.w = w;
    btf.wLen = nWords;
    btf.ownedWords = false;
    btf.scanTypes(typeStart);
    return btf;
  }

  /**
   * Walks the type words: builds the offset index and checks every record's structure. A compact
   * loop ({@link fastScan}) handles well-formed input; anything it does not accept is scanned again
   * by {@link checkedScan}, which finds the first fault and reports it.
   */
  private scanTypes(typeStart: number): void {
    if (!this.fastScan()) this.checkedScan(typeStart);
  }

  /**
   * The scan for well-formed BTF: the same checks as {@link checkedScan} (or stricter), but no
   * error reporting, so the first parse in a fresh process stays cheap: large sections (vmlinux)
   * with the WebAssembly scanner ({@link wasmScan}, compiled before it runs, so no JIT warm-up),
   * small ones with {@link jsScan}. Returns false to fall back to the checked scan.
   */
  private fastScan(): boolean {
    if (HOST_LE && this.wLen >= WASM_MIN_WORDS) {
      const r = wasmScan(this.w, this.wLen, this.strings.totalLength, BTF_MAX_TYPE - this.startId + 1);
      if (r === false) return false;
      if (r) {
        if (r.maxRef >= this.startId + r.n) return false;
        this.offs = r.offs;
        this.n = r.n;
        return true;
      }
    }
    return this.jsScan();
  }

  /** {@link fastScan} in JavaScript: for small sections, and where WebAssembly is missing. */
  private jsScan(): boolean {
    const w = this.w;
    const end = this.wLen;
    const strTotal = this.strings.totalLength;
    const maxN = BTF_MAX_TYPE - this.startId + 1;
    const offs = new Uint32Array(((end / 3) | 0) + 1);
    let n = 0;
    let p = 0;
    let maxRef = 0;
    while (p < end) {
      if (end - p < 3 || n >= maxN) return false;
      const nameOff = w[p]!;
      const info = w[p + 1]!;
      if (nameOff >= strTotal || (info & 0x60ff0000) !== 0) return false;
      const kind = info >>> 24;
      const vlen = info & 0xffff;
      const third = w[p + 2]!;
      let len = 3;
      switch (kind) {
        case 2: // PTR
        case 9: // VOLATILE
        case 10: // CONST
        case 11: // RESTRICT
          if (vlen !== 0) return false;
          if (third > maxRef) maxRef = third;
          break;
        case 8: // TYPEDEF
          if (nameOff === 0 || vlen !== 0) return false;
          if (third > maxRef) maxRef = third;
          break;
        case 4: // STRUCT
        case 5: // UNION
        case 0x84:
        case 0x85: {
          len = 3 + 3 * vlen;
          if (end - p < len) return false;
          for (let q = p + 3, e = p + len; q < e; q += 3) {
            if (w[q]! >= strTotal) return false;
            const t = w[q + 1]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case 13: {
          // FUNC_PROTO
          len = 3 + 2 * vlen;
          if (end - p < len) return false;
          if (third > maxRef) maxRef = third;
          for (let q = p + 3, e = p + len; q < e; q += 2) {
            if (w[q]! >= strTotal) return false;
            const t = w[q + 1]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case 12: // FUNC
          if (nameOff === 0 || vlen > 2) return false;
          if (third > maxRef) maxRef = third;
          break;
        case 1: {
          // INT
          len = 4;
          if (end - p < 4 || vlen !== 0) return false;
          const v = w[p + 3]!;
          const enc = (v >>> 24) & 0x0f;
          const bits = v & 0xff;
          if ((v & 0xf000ff00) !== 0 || enc === 3 || enc > 4) return false;
          if (third !== 1 && third !== 2 && third !== 4 && third !== 8 && third !== 16) return false;
          if (bits === 0 || bits > 128 || ((v >>> 16) & 0xff) + bits > third * 8) return false;
          break;
        }
        case 6: // ENUM
        case 0x86: {
          len = 3 + 2 * vlen;
          if (end - p < len || (third !== 1 && third !== 2 && third !== 4 && third !== 8)) return false;
          for (let q = p + 3, e = p + len; q < e; q += 2) {
            const mo = w[q]!;
            if (mo === 0 || mo >= strTotal) return false;
          }
          break;
        }
        case 19: // ENUM64
        case 0x93: {
          len = 3 + 3 * vlen;
          if (end - p < len || (third !== 1 && third !== 2 && third !== 4 && third !== 8)) return false;
          for (let q = p + 3, e = p + len; q < e; q += 3) {
            const mo = w[q]!;
            if (mo === 0 || mo >= strTotal) return false;
          }
          break;
        }
        case 7: // FWD
        case 0x87:
          if (nameOff === 0 || vlen !== 0) return false;
          break;
        case 18: // TYPE_TAG
        case 0x92:
          if (nameOff === 0 || vlen !== 0) return false;
          if (third > maxRef) maxRef = third;
          break;
        case 3: {
          // ARRAY
          len = 6;
          if (end - p < 6 || vlen !== 0 || third !== 0) return false;
          const a = w[p + 3]!;
          const b = w[p + 4]!;
          if (a > maxRef) maxRef = a;
          if (b > maxRef) maxRef = b;
          break;
        }
        case 14: // VAR
          len = 4;
          if (end - p < 4 || nameOff === 0 || vlen !== 0 || w[p + 3]! > 2) return false;
          if (third > maxRef) maxRef = third;
          break;
        case 15: {
          // DATASEC
          len = 3 + 3 * vlen;
          if (end - p < len || nameOff === 0) return false;
          for (let q = p + 3, e = p + len; q < e; q += 3) {
            const t = w[q]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case 16: // FLOAT
          if (vlen !== 0 || (third !== 2 && third !== 4 && third !== 8 && third !== 12 && third !== 16))
            return false;
          break;
        case 17: // DECL_TAG
        case 0x91:
          len = 4;
          if (end - p < 4 || nameOff === 0 || vlen !== 0 || (w[p + 3]! | 0) < -1) return false;
          if (third > maxRef) maxRef = third;
          break;
        default:
          return false;
      }
      offs[n++] = p;
      p += len;
    }
    if (maxRef >= this.startId + n) return false;
    offs[n] = p;
    this.offs = offs;
    this.n = n;
    return true;
  }

  /** The scan with error reporting: finds the first fault in the type words and throws it. */
  private checkedScan(typeStart: number): void {
    const w = this.w;
    const end = this.wLen;
    const startId = this.startId;
    const strTotal = this.strings.totalLength;
    let offs = new Uint32Array(Math.floor(end / 3) + 1);
    let n = 0;
    let p = 0;
    let maxRef = 0;
    // locals, not imported bindings, in the hot loop
    const unusedMask = BTF_INFO_UNUSED_MASK;
    const maxType = BTF_MAX_TYPE;
    const encSigned = BTF_INT.SIGNED;
    const encChar = BTF_INT.CHAR;
    const encBool = BTF_INT.BOOL;
    const kInt = K.INT;
    const kPtr = K.PTR;
    const kArray = K.ARRAY;
    const kStruct = K.STRUCT;
    const kUnion = K.UNION;
    const kEnum = K.ENUM;
    const kFwd = K.FWD;
    const kTypedef = K.TYPEDEF;
    const kVolatile = K.VOLATILE;
    const kConst = K.CONST;
    const kRestrict = K.RESTRICT;
    const kFunc = K.FUNC;
    const kFuncProto = K.FUNC_PROTO;
    const kVar = K.VAR;
    const kDatasec = K.DATASEC;
    const kFloat = K.FLOAT;
    const kDeclTag = K.DECL_TAG;
    const kTypeTag = K.TYPE_TAG;
    const kEnum64 = K.ENUM64;
    while (p < end) {
      if (end - p < 3)
        throw this.scanErr(
          startId + n,
          typeStart,
          undefined,
          `truncated type: ${(end - p) * 4} bytes left of 12`,
          p,
        );
      if (startId + n > maxType)
        throw this.scanErr(startId + n, typeStart, undefined, `more than ${maxType} types`, p);
      const nameOff = w[p]!;
      const info = w[p + 1]!;
      if (nameOff >= strTotal)
        throw this.scanErr(
          startId + n,
          typeStart,
          undefined,
          `name offset ${nameOff} is past the string table (${strTotal} bytes)`,
          p,
        );
      if ((info & unusedMask) !== 0)
        throw this.scanErr(
          startId + n,
          typeStart,
          undefined,
          `info 0x${(info >>> 0).toString(16)} has unused bits set`,
          p + 1,
        );
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const kflag = info >>> 31;
      const third = w[p + 2]!;
      let len = 3;
      switch (kind) {
        case kInt: {
          len = 4;
          if (end - p < 4) throw this.scanErr(startId + n, typeStart, undefined, 'truncated INT', p);
          if (vlen !== 0 || kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'INT with vlen or kind_flag set', p + 1);
          const v = w[p + 3]!;
          const enc = (v >>> 24) & 0x0f;
          const off = (v >>> 16) & 0xff;
          const bits = v & 0xff;
          if ((v & 0xf000ff00) !== 0)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `INT data 0x${v.toString(16)} has unused bits set`,
              p + 3,
            );
          if (third !== 1 && third !== 2 && third !== 4 && third !== 8 && third !== 16)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `INT size ${third} is not 1, 2, 4, 8 or 16`,
              p + 2,
            );
          if (bits === 0 || bits > 128 || off + bits > third * 8)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `INT bits ${bits} at offset ${off} do not fit in ${third} bytes`,
              p + 3,
            );
          if (enc !== 0 && enc !== encSigned && enc !== encChar && enc !== encBool)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `INT encoding ${enc} is not one of SIGNED, CHAR, BOOL`,
              p + 3,
            );
          break;
        }
        case kTypedef:
        case kFwd:
        case kTypeTag:
        case kPtr:
        case kVolatile:
        case kConst:
        case kRestrict:
          if (nameOff === 0 && (kind === kTypedef || kind === kFwd || kind === kTypeTag))
            throw this.scanErr(startId + n, typeStart, undefined, `${kindName(kind)} without a name`, p);
          if (vlen !== 0)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${kindName(kind)} with vlen ${vlen}`,
              p + 1,
            );
          if (kflag !== 0 && kind !== kFwd && kind !== kTypeTag)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${kindName(kind)} with kind_flag set`,
              p + 1,
            );
          if (kind !== kFwd && third > maxRef) maxRef = third;
          break;
        case kArray: {
          len = 6;
          if (end - p < 6) throw this.scanErr(startId + n, typeStart, undefined, 'truncated ARRAY', p);
          if (vlen !== 0 || kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'ARRAY with vlen or kind_flag set', p + 1);
          if (third !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, `ARRAY with size ${third}`, p + 2);
          const a = w[p + 3]!;
          const b = w[p + 4]!;
          if (a > maxRef) maxRef = a;
          if (b > maxRef) maxRef = b;
          break;
        }
        case kStruct:
        case kUnion: {
          len = 3 + 3 * vlen;
          if (end - p < len)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${vlen} members run past the type section`,
              p + 1,
            );
          for (let q = p + 3, i = 0; i < vlen; i++, q += 3) {
            const mo = w[q]!;
            if (mo >= strTotal)
              throw this.scanErr(
                startId + n,
                typeStart,
                `members[${i}]`,
                `name offset ${mo} is past the string table (${strTotal} bytes)`,
                q,
              );
            const t = w[q + 1]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case kEnum:
        case kEnum64: {
          const per = kind === kEnum ? 2 : 3;
          len = 3 + per * vlen;
          if (end - p < len)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${vlen} values run past the type section`,
              p + 1,
            );
          if (third !== 1 && third !== 2 && third !== 4 && third !== 8)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${kindName(kind)} size ${third} is not 1, 2, 4 or 8`,
              p + 2,
            );
          for (let q = p + 3, i = 0; i < vlen; i++, q += per) {
            const mo = w[q]!;
            if (mo >= strTotal || mo === 0) {
              if (mo === 0)
                throw this.scanErr(startId + n, typeStart, `values[${i}]`, 'enumerator without a name', q);
              throw this.scanErr(
                startId + n,
                typeStart,
                `values[${i}]`,
                `name offset ${mo} is past the string table (${strTotal} bytes)`,
                q,
              );
            }
          }
          break;
        }
        case kFunc:
          if (nameOff === 0) throw this.scanErr(startId + n, typeStart, undefined, 'FUNC without a name', p);
          if (vlen > 2)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `FUNC linkage ${vlen} is not static, global or extern`,
              p + 1,
            );
          if (kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'FUNC with kind_flag set', p + 1);
          if (third > maxRef) maxRef = third;
          break;
        case kFuncProto: {
          len = 3 + 2 * vlen;
          if (end - p < len)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${vlen} params run past the type section`,
              p + 1,
            );
          if (kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'FUNC_PROTO with kind_flag set', p + 1);
          if (third > maxRef) maxRef = third;
          for (let q = p + 3, i = 0; i < vlen; i++, q += 2) {
            const mo = w[q]!;
            if (mo >= strTotal)
              throw this.scanErr(
                startId + n,
                typeStart,
                `params[${i}]`,
                `name offset ${mo} is past the string table (${strTotal} bytes)`,
                q,
              );
            const t = w[q + 1]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case kVar: {
          len = 4;
          if (end - p < 4) throw this.scanErr(startId + n, typeStart, undefined, 'truncated VAR', p);
          if (nameOff === 0) throw this.scanErr(startId + n, typeStart, undefined, 'VAR without a name', p);
          if (vlen !== 0 || kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'VAR with vlen or kind_flag set', p + 1);
          if (w[p + 3]! > 2)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `VAR linkage ${w[p + 3]} is not static, global or extern`,
              p + 3,
            );
          if (third > maxRef) maxRef = third;
          break;
        }
        case kDatasec: {
          len = 3 + 3 * vlen;
          if (end - p < len)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `${vlen} variables run past the type section`,
              p + 1,
            );
          if (nameOff === 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'DATASEC without a name', p);
          if (kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'DATASEC with kind_flag set', p + 1);
          for (let q = p + 3, i = 0; i < vlen; i++, q += 3) {
            const t = w[q]!;
            if (t > maxRef) maxRef = t;
          }
          break;
        }
        case kFloat:
          if (vlen !== 0 || kflag !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'FLOAT with vlen or kind_flag set', p + 1);
          if (third !== 2 && third !== 4 && third !== 8 && third !== 12 && third !== 16)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `FLOAT size ${third} is not 2, 4, 8, 12 or 16`,
              p + 2,
            );
          break;
        case kDeclTag: {
          len = 4;
          if (end - p < 4) throw this.scanErr(startId + n, typeStart, undefined, 'truncated DECL_TAG', p);
          if (nameOff === 0)
            throw this.scanErr(startId + n, typeStart, undefined, 'DECL_TAG without a name', p);
          if (vlen !== 0)
            throw this.scanErr(startId + n, typeStart, undefined, `DECL_TAG with vlen ${vlen}`, p + 1);
          if ((w[p + 3]! | 0) < -1)
            throw this.scanErr(
              startId + n,
              typeStart,
              undefined,
              `DECL_TAG component_idx ${w[p + 3]! | 0} is below -1`,
              p + 3,
            );
          if (third > maxRef) maxRef = third;
          break;
        }
        default:
          throw this.scanErr(startId + n, typeStart, undefined, `unknown kind ${kind}`, p + 1);
      }
      if (n + 1 >= offs.length) {
        const no = new Uint32Array(offs.length * 2);
        no.set(offs);
        offs = no;
      }
      offs[n++] = p;
      p += len;
    }
    offs[n] = p;
    this.offs = offs;
    this.n = n;
    const total = startId + n;
    if (maxRef >= total) this.failBadRef(total, typeStart);
  }

  /** The FormatError for type `id` during the scan (cold path, kept out of the loop). */
  private scanErr(
    id: number,
    typeStart: number,
    sub: string | undefined,
    reason: string,
    word: number,
  ): FormatError {
    return new FormatError(fmtWhere(this.section, id, sub), reason, typeStart + word * 4);
  }

  /** Finds and reports the first reference to a type id that does not exist. */
  private failBadRef(total: number, typeStart: number): never {
    for (let i = 0; i < this.n; i++) {
      const id = this.startId + i;
      const p = this.offs[i]!;
      for (const [sub, word] of this.refWords(id)) {
        const t = this.w[word]!;
        if (t >= total)
          throw new FormatError(
            fmtWhere(this.section, id, sub),
            `type id ${t} is out of range (${total} types)`,
            typeStart + word * 4,
          );
      }
      void p;
    }
    throw new FormatError(`${this.section}/types`, 'type id out of range', typeStart);
  }

  /** Word indexes of every type-id field of a type, with their sub-path. */
  private refWords(id: number): Array<[string | undefined, number]> {
    const p = this.offs[id - this.startId]!;
    const info = this.w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const out: Array<[string | undefined, number]> = [];
    switch (kind) {
      case K.PTR:
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
      case K.FUNC:
      case K.VAR:
      case K.DECL_TAG:
        out.push([undefined, p + 2]);
        break;
      case K.ARRAY:
        out.push(['type', p + 3], ['index_type', p + 4]);
        break;
      case K.STRUCT:
      case K.UNION:
        for (let i = 0; i < vlen; i++) out.push([`members[${i}]`, p + 3 + 3 * i + 1]);
        break;
      case K.FUNC_PROTO:
        out.push(['return', p + 2]);
        for (let i = 0; i < vlen; i++) out.push([`params[${i}]`, p + 3 + 2 * i + 1]);
        break;
      case K.DATASEC:
        for (let i = 0; i < vlen; i++) out.push([`vars[${i}]`, p + 3 + 3 * i]);
        break;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Basic access

  /** Number of type ids, counting `void` and the base's types: valid ids are 0..typeCount-1. */
  get typeCount(): number {
    return this.startId + this.n;
  }

  /** Number of types defined here (not counting the base). */
  get ownTypeCount(): number {
    return this.n;
  }

  /** Id the next `add*` call will return. */
  get nextId(): number {
    return this.startId + this.n;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.startId + this.n)
      throw new RangeError(`type id ${id} is out of range (0..${this.startId + this.n - 1})`);
  }

  /** The Btf holding `id` (this or a base) and the word index of its record. */
  private loc(id: number): [Btf, number] {
    if (id < this.startId) {
      if (!this.base) throw new RangeError(`type id ${id} has no record`);
      return this.base.loc(id);
    }
    return [this, this.offs[id - this.startId]!];
  }

  /** Numeric kind of `id` ({@link BTF_KIND}); 0 for `void`. */
  kindOf(id: number): number {
    this.check(id);
    if (id === 0) return 0;
    const [b, p] = this.loc(id);
    return (b.w[p + 1]! >>> 24) & 0x1f;
  }

  /** Name of `id` (`''` when anonymous or void). */
  nameOf(id: number): string {
    this.check(id);
    if (id === 0) return '';
    const [b, p] = this.loc(id);
    return this.strings.get(b.w[p]!);
  }

  /** The `info` word of `id` (kind, vlen, kind_flag). */
  infoOf(id: number): number {
    this.check(id);
    if (id === 0) return 0;
    const [b, p] = this.loc(id);
    return b.w[p + 1]!;
  }

  /** The third word of `id`: the size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT) or referenced type. */
  sizeOrType(id: number): number {
    this.check(id);
    if (id === 0) return 0;
    const [b, p] = this.loc(id);
    return b.w[p + 2]!;
  }

  /** A string from the string table by offset. */
  str(off: number): string {
    if (off >= this.strings.totalLength) throw new RangeError(`string offset ${off} is past the table`);
    return this.strings.get(off);
  }

  /** Decodes type `id`. Throws a `RangeError` for id 0 (void has no record) or out of range. */
  type(id: number): BtfType {
    this.check(id);
    if (id === 0) throw new RangeError('type id 0 is void and has no record');
    const [b, p] = this.loc(id);
    const w = b.w;
    const s = this.strings;
    const nameOff = w[p]!;
    const info = w[p + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const third = w[p + 2]!;
    const name = s.get(nameOff);
    switch (kind) {
      case K.INT: {
        const v = w[p + 3]!;
        const encoding = (v >>> 24) & 0x0f;
        return {
          id,
          name,
          nameOff,
          kind: 'INT',
          size: third,
          encoding,
          signed: (encoding & BTF_INT.SIGNED) !== 0,
          char: (encoding & BTF_INT.CHAR) !== 0,
          bool: (encoding & BTF_INT.BOOL) !== 0,
          bitOffset: (v >>> 16) & 0xff,
          bits: v & 0xff,
        };
      }
      case K.PTR:
        return { id, name, nameOff, kind: 'PTR', type: third };
      case K.ARRAY:
        return { id, name, nameOff, kind: 'ARRAY', type: w[p + 3]!, indexType: w[p + 4]!, nelems: w[p + 5]! };
      case K.STRUCT:
      case K.UNION: {
        const members: BtfMember[] = [];
        for (let i = 0, q = p + 3; i < vlen; i++, q += 3) {
          const off = w[q + 2]!;
          members.push({
            name: s.get(w[q]!),
            nameOff: w[q]!,
            type: w[q + 1]!,
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        return {
          id,
          name,
          nameOff,
          kind: kind === K.STRUCT ? 'STRUCT' : 'UNION',
          size: third,
          kindFlag: kflag,
          members,
        };
      }
      case K.ENUM: {
        const values: BtfEnumValue[] = [];
        for (let i = 0, q = p + 3; i < vlen; i++, q += 2) {
          const raw = w[q + 1]!;
          values.push({ name: s.get(w[q]!), nameOff: w[q]!, value: kflag ? raw | 0 : raw >>> 0 });
        }
        return { id, name, nameOff, kind: 'ENUM', size: third, signed: kflag, values };
      }
      case K.ENUM64: {
        const values: BtfEnum64Value[] = [];
        for (let i = 0, q = p + 3; i < vlen; i++, q += 3) {
          const u = (BigInt(w[q + 2]!) << 32n) | BigInt(w[q + 1]!);
          values.push({ name: s.get(w[q]!), nameOff: w[q]!, value: kflag ? BigInt.asIntN(64, u) : u });
        }
        return { id, name, nameOff, kind: 'ENUM64', size: third, signed: kflag, values };
      }
      case K.FWD:
        return { id, name, nameOff, kind: 'FWD', fwdKind: kflag ? 'union' : 'struct' };
      case K.TYPEDEF:
        return { id, name, nameOff, kind: 'TYPEDEF', type: third };
      case K.VOLATILE:
        return { id, name, nameOff, kind: 'VOLATILE', type: third };
      case K.CONST:
        return { id, name, nameOff, kind: 'CONST', type: third };
      case K.RESTRICT:
        return { id, name, nameOff, kind: 'RESTRICT', type: third };
      case K.TYPE_TAG:
        return { id, name, nameOff, kind: 'TYPE_TAG', type: third, attribute: kflag };
      case K.FUNC:
        return { id, name, nameOff, kind: 'FUNC', type: third, linkage: BTF_LINKAGE_NAMES[vlen] ?? 'static' };
      case K.FUNC_PROTO: {
        const params: BtfParam[] = [];
        for (let i = 0, q = p + 3; i < vlen; i++, q += 2)
          params.push({ name: s.get(w[q]!), nameOff: w[q]!, type: w[q + 1]! });
        return { id, name, nameOff, kind: 'FUNC_PROTO', returnType: third, params };
      }
      case K.VAR:
        return {
          id,
          name,
          nameOff,
          kind: 'VAR',
          type: third,
          linkage: BTF_LINKAGE_NAMES[w[p + 3]!] ?? 'static',
        };
      case K.DATASEC: {
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0, q = p + 3; i < vlen; i++, q += 3)
          vars.push({ type: w[q]!, offset: w[q + 1]!, size: w[q + 2]! });
        return { id, name, nameOff, kind: 'DATASEC', size: third, vars };
      }
      case K.FLOAT:
        return { id, name, nameOff, kind: 'FLOAT', size: third };
      case K.DECL_TAG:
        return {
          id,
          name,
          nameOff,
          kind: 'DECL_TAG',
          type: third,
          componentIdx: w[p + 3]! | 0,
          attribute: kflag,
        };
      default:
        throw new FormatError(fmtWhere(this.section, id), `unknown kind ${kind}`);
    }
  }

  /** Every type id defined here and in the base, 1..typeCount-1. */
  *ids(): IterableIterator<number> {
    for (let id = 1; id < this.typeCount; id++) yield id;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /**
   * Ids of every type named `name` (of kind `kind` when given, a {@link BTF_KIND} number), in id
   * order, including the base's. The name index is built on the first call.
   */
  findByName(name: string, kind?: number): number[] {
    if (!this.nameIndex) {
      const idx = new Map<string, number[]>();
      const total = this.typeCount;
      for (let id = 1; id < total; id++) {
        const [b, p] = this.loc(id);
        const off = b.w[p]!;
        if (off === 0) continue;
        const nm = this.strings.get(off);
        const list = idx.get(nm);
        if (list) list.push(id);
        else idx.set(nm, [id]);
      }
      this.nameIndex = idx;
    }
    const ids = this.nameIndex.get(name) ?? [];
    return kind === undefined ? ids.slice() : ids.filter((id) => this.kindOf(id) === kind);
  }

  /** The first type named `name` of kind `kind` (a {@link BTF_KIND} number), or undefined. */
  findId(name: string, kind?: number): number | undefined {
    return this.findByName(name, kind)[0];
  }

  /** Follows `id` through CONST, VOLATILE, RESTRICT and TYPE_TAG. Reports cycles as FormatError. */
  skipModifiers(id: number): number {
    return this.skip(id, false);
  }

  /** Follows `id` through TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG. Reports cycles. */
  resolve(id: number): number {
    return this.skip(id, true);
  }

  private skip(id: number, typedefs: boolean): number {
    this.check(id);
    const start = id;
    let steps = 0;
    const limit = this.typeCount;
    while (id !== 0) {
      const [b, p] = this.loc(id);
      const kind = (b.w[p + 1]! >>> 24) & 0x1f;
      if (
        kind === K.CONST ||
        kind === K.VOLATILE ||
        kind === K.RESTRICT ||
        kind === K.TYPE_TAG ||
        (typedefs && kind === K.TYPEDEF)
      ) {
        id = b.w[p + 2]!;
        if (++steps > limit) throw new FormatError(fmtWhere(this.section, start), 'reference cycle');
      } else break;
    }
    return id;
  }

  /**
   * Size in bytes of a value of type `id` (typedefs and modifiers followed; arrays multiplied out;
   * pointers are `pointerSize`, default 8). Throws FormatError for types without a size (void,
   * FWD, FUNC, FUNC_PROTO...), cycles and sizes past 2^32-1.
   */
  sizeOf(id: number, pointerSize = 8): number {
    const start = id;
    let mult = 1;
    let steps = 0;
    const limit = this.typeCount;
    for (;;) {
      id = this.resolve(id);
      const kind = this.kindOf(id);
      switch (kind) {
        case K.INT:
        case K.STRUCT:
        case K.UNION:
        case K.ENUM:
        case K.ENUM64:
        case K.DATASEC:
        case K.FLOAT: {
          const size = mult * this.sizeOrType(id);
          if (size > 0xffffffff)
            throw new FormatError(fmtWhere(this.section, start), 'size overflows 32 bits');
          return size;
        }
        case K.PTR:
          return mult * pointerSize;
        case K.VAR:
          id = this.sizeOrType(id);
          break;
        case K.ARRAY: {
          const [b, p] = this.loc(id);
          mult *= b.w[p + 5]!;
          if (mult > 0xffffffff)
            throw new FormatError(fmtWhere(this.section, start), 'size overflows 32 bits');
          id = b.w[p + 3]!;
          break;
        }
        default:
          throw new FormatError(
            fmtWhere(this.section, start),
            id === 0 ? 'void has no size' : `${kindName(kind)} [${id}] has no size`,
          );
      }
      if (++steps > limit) throw new FormatError(fmtWhere(this.section, start), 'reference cycle');
    }
  }

  /**
   * Alignment in bytes of type `id`: integers, floats and enums by size (at most `pointerSize`,
   * except 16-byte integers: 16, as `__int128` is in clang for BPF, x86-64 and arm64; libbpf's
   * `btf__align_of` says 8 there), pointers `pointerSize`, arrays by element, structs and unions by their most aligned member (1
   * when the layout shows the struct is packed). Throws FormatError for sizeless types and cycles.
   */
  alignOf(id: number, pointerSize = 8): number {
    if (!this.alignCache) this.alignCache = new Map();
    return this.alignRec(id, pointerSize, 0);
  }

  private alignRec(id: number, ptr: number, depth: number): number {
    const start = id;
    id = this.resolve(id);
    const key = id * 32 + ptr;
    const cached = this.alignCache!.get(key);
    if (cached !== undefined) {
      if (cached === -1) throw new FormatError(fmtWhere(this.section, id), 'type contains itself');
      return cached;
    }
    if (depth > 4096) throw new FormatError(fmtWhere(this.section, start), 'types nested too deep');
    const kind = this.kindOf(id);
    let a: number;
    switch (kind) {
      case K.INT:
      case K.ENUM:
      case K.ENUM64:
      case K.FLOAT: {
        const size = this.sizeOrType(id);
        a = kind === K.INT && size === 16 ? 16 : Math.min(size, ptr);
        break;
      }
      case K.PTR:
        a = ptr;
        break;
      case K.ARRAY: {
        const [b, p] = this.loc(id);
        this.alignCache!.set(key, -1);
        a = this.alignRec(b.w[p + 3]!, ptr, depth + 1);
        break;
      }
      case K.STRUCT:
      case K.UNION: {
        this.alignCache!.set(key, -1);
        const t = this.type(id) as { size: number; members: readonly BtfMember[] };
        a = 1;
        let packed = false;
        for (const m of t.members) {
          const ma = this.alignRec(m.type, ptr, depth + 1);
          if (ma > a) a = ma;
          if (m.bitfieldSize === 0 && m.bitOffset % (ma * 8) !== 0) packed = true;
        }
        if (t.size % a !== 0) packed = true;
        if (packed) a = 1;
        break;
      }
      default:
        throw new FormatError(
          fmtWhere(this.section, start),
          id === 0 ? 'void has no alignment' : `${kindName(kind)} [${id}] has no alignment`,
        );
    }
    this.alignCache!.set(key, a);
    return a;
  }

  /** Members of struct/union `id` (after following typedefs and modifiers); throws for other kinds. */
  members(id: number): readonly BtfMember[] {
    const r = this.resolve(id);
    const t = r === 0 ? undefined : this.type(r);
    if (!t || (t.kind !== 'STRUCT' && t.kind !== 'UNION'))
      throw new FormatError(fmtWhere(this.section, id), `not a struct or union (${t ? t.kind : 'void'})`);
    return t.members;
  }

  /**
   * Finds a member by name in struct/union `id`, looking into anonymous struct/union members as
   * C does; returns its type and offset (bits, from the start of `id`), or undefined.
   */
  member(id: number, name: string): FieldLocation | undefined {
    return this.memberRec(id, name, 0, 0);
  }

  private memberRec(id: number, name: string, base: number, depth: number): FieldLocation | undefined {
    if (depth > 256) throw new FormatError(fmtWhere(this.section, id), 'anonymous members nested too deep');
    for (const m of this.members(id)) {
      if (m.name === name)
        return { type: m.type, bitOffset: base + m.bitOffset, bitfieldSize: m.bitfieldSize };
      if (m.name === '') {
        const r = this.resolve(m.type);
        const k = r === 0 ? 0 : this.kindOf(r);
        if (k === K.STRUCT || k === K.UNION) {
          const f = this.memberRec(r, name, base + m.bitOffset, depth + 1);
          if (f) return f;
        }
      }
    }
    return undefined;
  }

  /**
   * Follows a dotted path of member names (`'a.b.c'`, or an array of names) from struct/union
   * `id`; returns the last member's type and total offset, or undefined when a name is missing.
   */
  fieldPath(id: number, path: string | readonly string[]): FieldLocation | undefined {
    const names = typeof path === 'string' ? path.split('.') : path;
    let loc: FieldLocation = { type: id, bitOffset: 0, bitfieldSize: 0 };
    for (const nm of names) {
      const f = this.member(loc.type, nm);
      if (!f) return undefined;
      loc = { type: f.type, bitOffset: loc.bitOffset + f.bitOffset, bitfieldSize: f.bitfieldSize };
    }
    return loc;
  }

  /**
   * Checks the type graph beyond structure, as the kernel's BTF_LOAD does in part: reference
   * loops (through typedefs, modifiers and pointers), types containing themselves by value,
   * FUNCs that do not point at a FUNC_PROTO, DATASEC entries that are not VARs (or FUNCs, for
   * .ksyms), arrays and non-extern VARs of sizeless types, struct members past the end of their
   * struct, DECL_TAG component indexes out of range. Object-file conventions the kernel would
   * refuse but libbpf rewrites before loading (extern VARs, DATASEC size 0) are accepted. {@link parse} checks only structure (so it stays fast); call this for untrusted BTF.
   *
   * @throws FormatError naming the type (and member) at fault.
   */
  validate(): void {
    const total = this.typeCount;
    const section = this.section;
    const err = (id: number, sub: string | undefined, reason: string) =>
      new FormatError(fmtWhere(section, id, sub), reason);
    // 0 unvisited, 1 on the current chain, 2 done: loops through typedefs, modifiers and pointers
    const chain = new Uint8Array(total);
    const isRef = (k: number) =>
      k === K.PTR ||
      k === K.TYPEDEF ||
      k === K.CONST ||
      k === K.VOLATILE ||
      k === K.RESTRICT ||
      k === K.TYPE_TAG;
    for (let id = this.startId; id < total; id++) {
      if (chain[id] === 2 || !isRef(this.kindOf(id))) continue;
      const path: number[] = [];
      let cur = id;
      while (cur !== 0 && isRef(this.kindOf(cur)) && chain[cur] !== 2) {
        if (chain[cur] === 1) throw err(id, undefined, `reference loop through type ${cur}`);
        chain[cur] = 1;
        path.push(cur);
        cur = this.sizeOrType(cur);
      }
      for (const c of path) chain[c] = 2;
    }
    for (let id = this.startId; id < total; id++) {
      const kind = this.kindOf(id);
      if (kind === K.FUNC) {
        const target = this.sizeOrType(id);
        if (target === 0 || this.kindOf(target) !== K.FUNC_PROTO)
          throw err(id, undefined, `FUNC type ${target} is not a FUNC_PROTO`);
        continue;
      }
      if (
        kind !== K.DATASEC &&
        kind !== K.ARRAY &&
        kind !== K.STRUCT &&
        kind !== K.UNION &&
        kind !== K.VAR &&
        kind !== K.DECL_TAG
      )
        continue;
      const t = this.type(id);
      switch (t.kind) {
        case 'DATASEC':
          t.vars.forEach((v, i) => {
            const k = v.type === 0 ? 0 : this.kindOf(v.type);
            if (k !== K.VAR && k !== K.FUNC) throw err(id, `vars[${i}]`, `type ${v.type} is not a VAR`);
          });
          break;
        case 'ARRAY':
          this.sizeOf(t.type);
          break;
        case 'STRUCT':
        case 'UNION':
          this.alignOf(id);
          t.members.forEach((m, i) => {
            const bits = m.bitfieldSize > 0 ? m.bitfieldSize : this.sizeOf(m.type) * 8;
            if (m.bitOffset + bits > t.size * 8)
              throw err(
                id,
                `members[${i}]`,
                `member ends at bit ${m.bitOffset + bits}, past the ${t.size}-byte ${t.kind}`,
              );
          });
          break;
        case 'VAR':
          // object files declare typeless externs (`extern void x __ksym`); libbpf resolves them
          if (t.linkage !== 'extern') this.sizeOf(t.type);
          break;
        case 'DECL_TAG': {
          if (t.type === 0) throw err(id, undefined, 'DECL_TAG on void');
          const k = this.kindOf(t.type);
          if (t.componentIdx >= 0) {
            const target = this.type(t.type);
            const n =
              target.kind === 'STRUCT' || target.kind === 'UNION'
                ? target.members.length
                : target.kind === 'FUNC'
                  ? ((this.type(target.type) as { params?: readonly unknown[] }).params?.length ?? 0)
                  : -1;
            if (t.componentIdx >= n)
              throw err(
                id,
                undefined,
                `component_idx ${t.componentIdx} is out of range for ${kindName(k)} [${t.type}]`,
              );
          }
          break;
        }
        default:
          break;
      }
    }
  }

  /**
   * Follows a CO-RE access string (`'0:1:3'`, as in `.BTF.ext` core_relo records) from type
   * `id`: the first index steps over whole `id` values (like `p[0]`), each next one selects a
   * struct/union member by index or an array element. Returns the final type, its offset from the
   * start in bits, its bitfield size and the member names along the way (`''` for array steps and
   * anonymous members).
   *
   * @throws FormatError when the string is malformed or an index is out of range.
   */
  accessString(
    id: number,
    access: string,
  ): { type: number; bitOffset: number; bitfieldSize: number; names: string[] } {
    const where = fmtWhere(this.section, id);
    if (!/^\d+(:\d+)*$/.test(access)) throw new FormatError(where, `malformed access string '${access}'`);
    const idx = access.split(':').map(Number);
    let type = id;
    let bitOffset = idx[0]! === 0 ? 0 : idx[0]! * this.sizeOf(id) * 8;
    let bitfieldSize = 0;
    const names: string[] = [];
    for (let i = 1; i < idx.length; i++) {
      const r = this.resolve(type);
      const k = r === 0 ? 0 : this.kindOf(r);
      const n = idx[i]!;
      if (k === K.STRUCT || k === K.UNION) {
        const ms = this.members(r);
        const m = ms[n];
        if (!m)
          throw new FormatError(
            where,
            `access '${access}': member ${n} of [${r}] does not exist (${ms.length})`,
          );
        bitOffset += m.bitOffset;
        bitfieldSize = m.bitfieldSize;
        type = m.type;
        names.push(m.name);
      } else if (k === K.ARRAY) {
        const a = this.type(r) as { type: number; nelems: number };
        if (n >= a.nelems && a.nelems !== 0)
          throw new FormatError(where, `access '${access}': index ${n} past ${a.nelems} elements of [${r}]`);
        bitOffset += n * this.sizeOf(a.type) * 8;
        bitfieldSize = 0;
        type = a.type;
        names.push('');
      } else {
        throw new FormatError(where, `access '${access}': step ${i} into ${kindName(k)} [${r}]`);
      }
    }
    return { type, bitOffset, bitfieldSize, names };
  }

  // ---------------------------------------------------------------------------------------------
  // Building

  private reserve(words: number): void {
    if (this.ownedWords && this.wLen + words <= this.w.length) return;
    const nw = new Uint32Array(Math.max(64, (this.wLen + words) * 2));
    nw.set(this.w.subarray(0, this.wLen));
    this.w = nw;
    this.ownedWords = true;
  }

  private push(words: readonly number[]): number {
    if (this.startId + this.n > BTF_MAX_TYPE) throw new RangeError(`more than ${BTF_MAX_TYPE} types`);
    this.reserve(words.length);
    const p = this.wLen;
    for (let i = 0; i < words.length; i++) this.w[p + i] = words[i]! >>> 0;
    this.wLen += words.length;
    if (this.n + 1 >= this.offs.length) {
      const no = new Uint32Array(Math.max(16, this.offs.length * 2));
      no.set(this.offs);
      this.offs = no;
    }
    this.offs[this.n] = p;
    this.n++;
    this.offs[this.n] = this.wLen;
    this.nameIndex = undefined;
    return this.startId + this.n - 1;
  }

  private ref(t: number, what: string): number {
    if (!Number.isInteger(t) || t < 0 || t > BTF_MAX_TYPE) throw new RangeError(`${what}: bad type id ${t}`);
    return t;
  }

  private u32(v: number, what: string): number {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what}: ${v} is not a u32`);
    return v;
  }

  private info(kind: number, vlen: number, kflag: boolean): number {
    if (!Number.isInteger(vlen) || vlen < 0 || vlen > 0xffff)
      throw new RangeError(`vlen ${vlen} is past 65535`);
    return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
  }

  /** Adds a string to the table (deduplicated) and returns its offset. */
  addString(s: string): number {
    return this.strings.add(s);
  }

  /**
   * Adds an INT. `encoding` is a {@link BTF_INT} bit (0 for unsigned); `bits` defaults to
   * `size * 8`, `bitOffset` to 0.
   */
  addInt(
    name: string,
    size: number,
    opts: { encoding?: number; bits?: number; bitOffset?: number } = {},
  ): number {
    if (![1, 2, 4, 8, 16].includes(size)) throw new RangeError(`INT size ${size} is not 1, 2, 4, 8 or 16`);
    const enc = opts.encoding ?? 0;
    const bits = opts.bits ?? size * 8;
    const off = opts.bitOffset ?? 0;
    if (![0, 1, 2, 4].includes(enc)) throw new RangeError(`INT encoding ${enc}`);
    if (bits < 1 || bits > 128 || off < 0 || off + bits > size * 8)
      throw new RangeError('INT bits do not fit');
    return this.push([
      this.addString(name),
      this.info(K.INT, 0, false),
      size,
      (enc << 24) | (off << 16) | bits,
    ]);
  }

  private addRefKind(kind: number, name: string, type: number, kflag = false): number {
    return this.push([this.addString(name), this.info(kind, 0, kflag), this.ref(type, kindName(kind))]);
  }

  /** Adds a PTR to `type`. */
  addPtr(type: number): number {
    return this.addRefKind(K.PTR, '', type);
  }

  /** Adds an ARRAY of `nelems` elements of `type`, indexed by `indexType`. */
  addArray(type: number, indexType: number, nelems: number): number {
    return this.push([
      0,
      this.info(K.ARRAY, 0, false),
      0,
      this.ref(type, 'ARRAY'),
      this.ref(indexType, 'ARRAY index'),
      this.u32(nelems, 'nelems'),
    ]);
  }

  private addComposite(kind: number, name: string, size: number, members: readonly MemberSpec[]): number {
    const kflag = members.some((m) => (m.bitfieldSize ?? 0) > 0);
    const words = [this.addString(name), this.info(kind, members.length, kflag), this.u32(size, 'size')];
    for (const m of members) {
      const bf = m.bitfieldSize ?? 0;
      if (kflag && (m.bitOffset < 0 || m.bitOffset > 0xffffff || bf < 0 || bf > 255))
        throw new RangeError(`member ${m.name ?? ''}: bit offset or bitfield size out of range`);
      words.push(
        this.addString(m.name ?? ''),
        this.ref(m.type, 'member'),
        kflag ? ((bf << 24) | m.bitOffset) >>> 0 : this.u32(m.bitOffset, 'bit offset'),
      );
    }
    return this.push(words);
  }

  /** Adds a STRUCT. Members may refer to ids not added yet (e.g. {@link nextId} for self-pointers). */
  addStruct(name: string, size: number, members: readonly MemberSpec[] = []): number {
    return this.addComposite(K.STRUCT, name, size, members);
  }

  /** Adds a UNION. */
  addUnion(name: string, size: number, members: readonly MemberSpec[] = []): number {
    return this.addComposite(K.UNION, name, size, members);
  }

  /** Adds an ENUM with 32-bit values (`signed` sets kind_flag). */
  addEnum(
    name: string,
    size: number,
    values: readonly { name: string; value: number }[],
    signed = false,
  ): number {
    if (![1, 2, 4, 8].includes(size)) throw new RangeError(`ENUM size ${size}`);
    const words = [this.addString(name), this.info(K.ENUM, values.length, signed), size];
    for (const v of values) {
      if (!Number.isInteger(v.value) || v.value < -0x80000000 || v.value > 0xffffffff)
        throw new RangeError(`enumerator ${v.name}: ${v.value} does not fit 32 bits`);
      words.push(this.addString(v.name), v.value >>> 0);
    }
    return this.push(words);
  }

  /** Adds an ENUM64 (`signed` sets kind_flag). */
  addEnum64(
    name: string,
    size: number,
    values: readonly { name: string; value: bigint }[],
    signed = false,
  ): number {
    if (![1, 2, 4, 8].includes(size)) throw new RangeError(`ENUM64 size ${size}`);
    const words = [this.addString(name), this.info(K.ENUM64, values.length, signed), size];
    for (const v of values) {
      const u = BigInt.asUintN(64, v.value);
      words.push(this.addString(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.push(words);
  }

  /** Adds a FWD declaration of a struct or union. */
  addFwd(name: string, fwdKind: 'struct' | 'union' = 'struct'): number {
    if (!name) throw new RangeError('FWD needs a name');
    return this.push([this.addString(name), this.info(K.FWD, 0, fwdKind === 'union'), 0]);
  }

  /** Adds a TYPEDEF. */
  addTypedef(name: string, type: number): number {
    if (!name) throw new RangeError('TYPEDEF needs a name');
    return this.addRefKind(K.TYPEDEF, name, type);
  }

  /** Adds a VOLATILE modifier. */
  addVolatile(type: number): number {
    return this.addRefKind(K.VOLATILE, '', type);
  }

  /** Adds a CONST modifier. */
  addConst(type: number): number {
    return this.addRefKind(K.CONST, '', type);
  }

  /** Adds a RESTRICT modifier. */
  addRestrict(type: number): number {
    return this.addRefKind(K.RESTRICT, '', type);
  }

  /** Adds a TYPE_TAG (`attribute`: the value is a whole attribute, kind_flag set). */
  addTypeTag(value: string, type: number, attribute = false): number {
    if (!value) throw new RangeError('TYPE_TAG needs a value');
    return this.addRefKind(K.TYPE_TAG, value, type, attribute);
  }

  /** Adds a FUNC_PROTO. A last param `{type: 0}` without a name means `...`. */
  addFuncProto(returnType: number, params: readonly ParamSpec[] = []): number {
    const words = [0, this.info(K.FUNC_PROTO, params.length, false), this.ref(returnType, 'return')];
    for (const prm of params) words.push(this.addString(prm.name ?? ''), this.ref(prm.type, 'param'));
    return this.push(words);
  }

  /** Adds a FUNC with its FUNC_PROTO id. */
  addFunc(name: string, proto: number, linkage: BtfLinkage = 'static'): number {
    if (!name) throw new RangeError('FUNC needs a name');
    return this.push([
      this.addString(name),
      this.info(K.FUNC, LINKAGE_NUM[linkage], false),
      this.ref(proto, 'FUNC'),
    ]);
  }

  /** Adds a VAR. */
  addVar(name: string, type: number, linkage: BtfLinkage = 'static'): number {
    if (!name) throw new RangeError('VAR needs a name');
    return this.push([
      this.addString(name),
      this.info(K.VAR, 0, false),
      this.ref(type, 'VAR'),
      LINKAGE_NUM[linkage],
    ]);
  }

  /** Adds a DATASEC with its variables. */
  addDatasec(name: string, size: number, vars: readonly BtfVarSecinfo[] = []): number {
    if (!name) throw new RangeError('DATASEC needs a name');
    const words = [this.addString(name), this.info(K.DATASEC, vars.length, false), this.u32(size, 'size')];
    for (const v of vars)
      words.push(this.ref(v.type, 'var'), this.u32(v.offset, 'offset'), this.u32(v.size, 'size'));
    return this.push(words);
  }

  /** Adds a FLOAT. */
  addFloat(name: string, size: number): number {
    if (![2, 4, 8, 12, 16].includes(size)) throw new RangeError(`FLOAT size ${size}`);
    return this.push([this.addString(name), this.info(K.FLOAT, 0, false), size]);
  }

  /**
   * Adds a DECL_TAG on `type` (`componentIdx` -1 for the type itself, else a member or param
   * index; `attribute`: the value is a whole attribute, kind_flag set).
   */
  addDeclTag(value: string, type: number, componentIdx = -1, attribute = false): number {
    if (!value) throw new RangeError('DECL_TAG needs a value');
    if (!Number.isInteger(componentIdx) || componentIdx < -1 || componentIdx > 0x7fffffff)
      throw new RangeError(`component_idx ${componentIdx}`);
    return this.push([
      this.addString(value),
      this.info(K.DECL_TAG, 0, attribute),
      this.ref(type, 'DECL_TAG'),
      componentIdx >>> 0,
    ]);
  }

  // ---------------------------------------------------------------------------------------------
  // Serializing

  /** The raw 32-bit words of type `id`'s record, in host order (a copy). */
  rawRecord(id: number): Uint32Array {
    this.check(id);
    const [b, p] = this.loc(id);
    const i = id - b.startId;
    return b.w.slice(p, b.offs[i + 1]!);
  }

  /**
   * Serializes this BTF (without the base) in {@link endian} order: header as found (flags,
   * extra header bytes, section order), the type records, the string table as found plus any
   * added strings.
   */
  serialize(): Uint8Array {
    const hdrLen = BTF_HEADER_SIZE + this.headerExtra.length;
    const typeLen = this.wLen * 4;
    const strs = this.strings.raw();
    const strLen = strs.length;
    const stringsFirst = this.stringsFirst && strLen % 4 === 0;
    const typeOff = stringsFirst ? strLen : 0;
    const strOff = stringsFirst ? 0 : typeLen;
    const out = new Uint8Array(hdrLen + typeLen + strLen);
    const dv = new DataView(out.buffer);
    const le = this.endian === 'little';
    dv.setUint16(0, BTF_MAGIC, le);
    out[2] = BTF_VERSION;
    out[3] = this.flags;
    dv.setUint32(4, hdrLen, le);
    dv.setUint32(8, typeOff, le);
    dv.setUint32(12, typeLen, le);
    dv.setUint32(16, strOff, le);
    dv.setUint32(20, strLen, le);
    out.set(this.headerExtra, BTF_HEADER_SIZE);
    const ts = hdrLen + typeOff;
    if (le === HOST_LE) {
      out.set(new Uint8Array(this.w.buffer, this.w.byteOffset, typeLen), ts);
    } else {
      const w = this.w;
      for (let i = 0; i < this.wLen; i++) dv.setUint32(ts + i * 4, w[i]!, le);
    }
    out.set(strs, hdrLen + strOff);
    return out;
  }
}

/** Parses raw BTF; see {@link Btf.parse}. */
export function parseBtf(bytes: Uint8Array, opts?: BtfParseOptions): Btf {
  return Btf.parse(bytes, opts);
}
