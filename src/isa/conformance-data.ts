/**
 * Reader for the BPF conformance suite's `.data` test files.
 *
 * A file is a sequence of sections, each introduced by a line `-- NAME`. Lines before the first
 * section, and lines starting with `#` outside the `-- asm` and `-- c` sections, are comments.
 *
 * - `-- asm`: the program in the suite's assembly syntax (see `asm/conformance.ts`);
 * - `-- raw`: the program as encoded slots, one per line, either a 64-bit number whose
 *   little-endian bytes are the slot (`0x5566778800000018`) or eight hex bytes (`07 00 01 00 ...`);
 * - `-- mem`: input memory as hex bytes (r1 points at it, r2 holds its length);
 * - `-- result`: the expected r0 at exit, hex;
 * - `-- error`: the program must fail (load or run), with an optional message;
 * - `-- c`: the C source the program was compiled from (informational);
 * - `-- no register offset`: the runner must not pass memory offsets in registers; the text says why.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';

/** One parsed `.data` test. */
export interface ConformanceTest {
  /** File name, used in error positions. */
  readonly file: string;
  /** The `-- asm` section text, if present. */
  readonly asm?: string;
  /** 1-based line number of the `-- asm` header (the text's first line is the next one). */
  readonly asmLine?: number;
  /** The `-- raw` section as little-endian instruction bytes, if present. */
  readonly raw?: Uint8Array;
  /** The `-- mem` section bytes, if present. */
  readonly mem?: Uint8Array;
  /** The `-- result` value (unsigned 64-bit), if present. */
  readonly result?: bigint;
  /** The `-- error` section text (possibly empty) when present: the test expects a failure. */
  readonly error?: string;
  /** The `-- c` source, if present. */
  readonly c?: string;
  /** The `-- no register offset` text, if present. */
  readonly noRegisterOffset?: string;
  /** Comment lines (without `#`) found outside the asm and C sections. */
  readonly comments: readonly string[];
}

const SECTIONS = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

function stripComment(line: string): string {
  const h = line.indexOf('#');
  return (h >= 0 ? line.slice(0, h) : line).trim();
}

function isHexByte(t: string): boolean {
  return t.length === 2 && /^[0-9a-fA-F]{2}$/.test(t);
}

/**
 * Parses one `.data` file. Throws a {@link FormatError} naming `file:line` for an unknown
 * section, a malformed `-- raw`/`-- mem`/`-- result` line, a repeated section, or a file with
 * neither `-- asm` nor `-- raw`.
 */
export function parseConformanceData(text: string, file = '<input>'): ConformanceTest {
  const lines = text.split('\n');
  const bodies = new Map<string, { start: number; lines: string[] }>();
  const comments: string[] = [];
  let cur: { start: number; lines: string[] } | undefined;
  let curName = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.startsWith('--')) {
      const name = line.slice(2).trim();
      if (!SECTIONS.has(name)) throw new FormatError(`${file}:${i + 1}:1`, `unknown section '-- ${name}'`);
      if (bodies.has(name)) throw new FormatError(`${file}:${i + 1}:1`, `section '-- ${name}' appears twice`);
      cur = { start: i + 1, lines: [] };
      curName = name;
      bodies.set(name, cur);
      continue;
    }
    if (cur === undefined || (curName !== 'asm' && curName !== 'c' && line.trimStart().startsWith('#'))) {
      const t = line.trim();
      if (t.startsWith('#')) comments.push(t.slice(1).trim());
      else if (t !== '' && cur === undefined)
        throw new FormatError(
          `${file}:${i + 1}:1`,
          `expected a comment or a '-- section' line, found '${t}'`,
        );
      continue;
    }
    cur.lines.push(line);
  }
  const out: {
    -readonly [K in keyof ConformanceTest]: ConformanceTest[K];
  } = { file, comments };
  const asm = bodies.get('asm');
  if (asm) {
    out.asm = asm.lines.join('\n');
    out.asmLine = asm.start;
  }
  const raw = bodies.get('raw');
  if (raw) out.raw = parseRaw(raw.lines, raw.start, file);
  const mem = bodies.get('mem');
  if (mem) out.mem = parseBytes(mem.lines, mem.start, file);
  const result = bodies.get('result');
  if (result) {
    const t = result.lines.map(stripComment).filter((l) => l !== '');
    if (t.length !== 1 || !/^(0x[0-9a-fA-F]{1,16}|\d+)$/.test(t[0]!))
      throw new FormatError(`${file}:${result.start + 1}:1`, 'expected one hex or decimal result value');
    out.result = BigInt(t[0]!);
    if (out.result > 0xffffffffffffffffn)
      throw new FormatError(`${file}:${result.start + 1}:1`, 'result is out of the 64-bit range');
  }
  const err = bodies.get('error');
  if (err) out.error = err.lines.join('\n').trim();
  const c = bodies.get('c');
  if (c) out.c = c.lines.join('\n');
  const nro = bodies.get('no register offset');
  if (nro) out.noRegisterOffset = nro.lines.join('\n').trim();
  if (out.asm === undefined && out.raw === undefined)
    throw new FormatError(`${file}:1:1`, "the test has no '-- asm' or '-- raw' section");
  return out;
}

function parseBytes(lines: readonly string[], start: number, file: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = stripComment(lines[i]!);
    if (t === '') continue;
    for (const tok of t.split(/\s+/)) {
      if (!isHexByte(tok))
        throw new FormatError(`${file}:${start + i + 1}:1`, `expected hex bytes, found '${tok}'`);
      bytes.push(Number.parseInt(tok, 16));
    }
  }
  return Uint8Array.from(bytes);
}

function parseRaw(lines: readonly string[], start: number, file: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = stripComment(lines[i]!);
    if (t === '') continue;
    const where = `${file}:${start + i + 1}:1`;
    if (/^0x[0-9a-fA-F]{1,16}$/.test(t)) {
      let v = BigInt(t);
      for (let b = 0; b < 8; b++) {
        out.push(Number(v & 0xffn));
        v >>= 8n;
      }
      continue;
    }
    const toks = t.split(/\s+/);
    if (toks.length !== 8 || !toks.every(isHexByte))
      throw new FormatError(where, `expected a 64-bit hex slot or 8 hex bytes, found '${t}'`);
    for (const tok of toks) out.push(Number.parseInt(tok, 16));
  }
  return Uint8Array.from(out);
}
