/**
 * The BTF string table: NUL-terminated names, addressed by byte offset. Strings are decoded only
 * when asked for (decoding a short ASCII name costs less than caching it).
 *
 * @module
 */

const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

/**
 * One BTF string table. In split BTF the offsets of a table continue after its base's table:
 * offset `o` below `baseLen` is in the base, else at `o - baseLen` here.
 */
export class StringTable {
  /** The base BTF's string table, for split BTF. */
  readonly base: StringTable | undefined;
  /** Total length of the base tables (0 for a base BTF). */
  readonly baseLen: number;
  private bytes: Uint8Array;
  private len: number;
  private owned: boolean;
  private dedup: Map<string, number> | undefined;

  /**
   * @param bytes - the table as found (kept as a view; copied on the first {@link add})
   * @param base - the base BTF's table, for split BTF
   */
  constructor(bytes: Uint8Array, base?: StringTable) {
    this.base = base;
    this.baseLen = base ? base.totalLength : 0;
    this.bytes = bytes;
    this.len = bytes.length;
    this.owned = false;
  }

  /** Length of this table alone, in bytes. */
  get length(): number {
    return this.len;
  }

  /** Length of the base tables plus this one: every valid offset is below it. */
  get totalLength(): number {
    return this.baseLen + this.len;
  }

  /** This table's own bytes (not the base's), as they will be serialized. */
  raw(): Uint8Array {
    return this.bytes.subarray(0, this.len);
  }

  /**
   * The string at `off` (split BTF: a global offset). Offsets must be below {@link totalLength};
   * the table's last byte is NUL, so every offset has a terminator.
   */
  get(off: number): string {
    if (off < this.baseLen) return this.base!.get(off);
    const local = off - this.baseLen;
    if (local >= this.len)
      throw new RangeError(`string offset ${off} is past the table (${this.totalLength})`);
    const b = this.bytes;
    let end = b.indexOf(0, local);
    if (end < 0 || end > this.len) end = this.len;
    let s: string;
    if (end - local < 48) {
      s = '';
      let ascii = true;
      for (let i = local; i < end; i++) {
        const c = b[i]!;
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        s += String.fromCharCode(c);
      }
      if (!ascii) s = utf8.decode(b.subarray(local, end));
    } else {
      s = utf8.decode(b.subarray(local, end));
    }
    return s;
  }

  /** Whether the string at `off` is empty (without decoding it). */
  isEmpty(off: number): boolean {
    if (off < this.baseLen) return this.base!.isEmpty(off);
    return this.bytes[off - this.baseLen] === 0;
  }

  /**
   * The offset of `s`, looking in the base first, or undefined. Only strings that start right
   * after a NUL (or at the table's start) are found.
   */
  find(s: string): number | undefined {
    const inBase = this.base?.find(s);
    if (inBase !== undefined) return inBase;
    if (!this.dedup) {
      const m = new Map<string, number>();
      let i = 0;
      while (i < this.len) {
        let end = this.bytes.indexOf(0, i);
        if (end < 0 || end > this.len) end = this.len;
        const str = this.get(this.baseLen + i);
        if (!m.has(str)) m.set(str, this.baseLen + i);
        i = end + 1;
      }
      this.dedup = m;
    }
    return this.dedup.get(s);
  }

  /**
   * The offset of `s`, appending it when it is not in the table yet. The empty string of a base
   * table is offset 0. Throws a `RangeError` for a string with a NUL in it.
   */
  add(s: string): number {
    if (s.includes('\0')) throw new RangeError('a BTF string cannot contain NUL');
    const found = this.find(s);
    if (found !== undefined) return found;
    const enc = utf8enc.encode(s);
    this.reserve(enc.length + 1);
    const at = this.len;
    this.bytes.set(enc, at);
    this.bytes[at + enc.length] = 0;
    this.len += enc.length + 1;
    const off = this.baseLen + at;
    this.dedup!.set(s, off);
    return off;
  }

  private reserve(extra: number): void {
    if (this.owned && this.len + extra <= this.bytes.length) return;
    const cap = Math.max(64, (this.len + extra) * 2);
    const nb = new Uint8Array(cap);
    nb.set(this.bytes.subarray(0, this.len));
    this.bytes = nb;
    this.owned = true;
  }
}
