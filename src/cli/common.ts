/**
 * Shared plumbing for `tsbpf` commands: output, errors and exit codes.
 *
 * Exit codes: 0 success; 1 an error (one line on stderr, the stack only with `--debug`);
 * 2 bad usage.
 *
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs';

/** A usage mistake: the command line itself is wrong. Exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Reads a whole file, turning a missing file into a one-line error. */
export function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path === '-' ? 0 : path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : ((e as Error).message ?? String(e))}`);
  }
}

/** Reads a whole file as UTF-8 text. */
export function readText(path: string): string {
  return new TextDecoder().decode(readInput(path));
}

/** Writes bytes or text to a file, or to stdout for `-`. */
export function writeOutput(path: string, data: Uint8Array | string): void {
  if (path === '-') process.stdout.write(data);
  else writeFileSync(path, data);
}

/** Prints a value as JSON (bigints as decimal strings, byte arrays as hex). */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

/** JSON text of a value, with bigints as strings and `Uint8Array`s as hex strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    },
    2,
  );
}

/** Parses an integer option (decimal or 0x hex), or throws a {@link UsageError}. */
export function intOption(name: string, text: string): number {
  const v = /^-?0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^-?\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${name}: '${text}' is not an integer`);
  return v;
}

/** Checks a `--syntax` style choice, or throws a {@link UsageError}. */
export function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${name} must be one of ${allowed.join(', ')}, not '${value}'`);
  }
  return value as T;
}
