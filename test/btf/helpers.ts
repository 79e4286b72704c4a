/**
 * Shared helpers for the BTF tests: fixture paths, tool detection.
 *
 * @module
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory of the committed BTF test inputs. */
export const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');

/** Reads a file under test/btf/data. */
export function data(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DATA, name)));
}

/** This machine's kernel BTF, or undefined when it is not readable. */
export function vmlinux(): Uint8Array | undefined {
  const p = '/sys/kernel/btf/vmlinux';
  if (!existsSync(p)) return undefined;
  try {
    return new Uint8Array(readFileSync(p));
  } catch {
    return undefined;
  }
}

/** Whether a command runs (`tool --version` exits 0). */
export function hasTool(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Runs a command and returns its stdout (throws on failure). */
export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, input });
}

/** Whether two byte arrays are equal. */
export function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
