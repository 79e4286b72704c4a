/**
 * `.kconfig` externs: values from a kernel config text (the contents of `/proc/config.gz`,
 * decompressed, or a `.config` file; the CLI reads the file, the loader gets the text).
 *
 * Value rules (as libbpf documents them): `y`/`n`/`m` fill bools (y=1, n=0; m is refused for a
 * bool), tristates (`enum libbpf_tristate`: n=0, y=1, m=2) and chars (the letter); numbers
 * (decimal, 0x hex, negative) fill integers of the extern's size; quoted strings fill char
 * arrays. `LINUX_KERNEL_VERSION` comes from the kernel release (`KERNEL_VERSION(a,b,c)`, c
 * capped at 255). A missing value is 0 for a `__weak` extern and an error otherwise.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';

/** A parsed kernel config: `CONFIG_X` → raw value text (`y`, `m`, `42`, `"str"`). */
export type KernelConfig = ReadonlyMap<string, string>;

/** Parses `.config` text. Comments (`# CONFIG_X is not set`) mean `n`. */
export function parseKernelConfig(text: string, where = 'kconfig'): KernelConfig {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) {
      out.set(unset[1]!, 'n');
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m)
      throw new FormatError(`${where}:${i + 1}:1`, `expected CONFIG_NAME=value, got '${line.slice(0, 60)}'`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/** `KERNEL_VERSION(a, b, c)` of a release string such as `6.18.0-rc1`. */
export function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) throw new FormatError('kernel release', `'${release}' is not a version`);
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

/** How an extern's bytes are to be filled, from its BTF type. */
export interface KconfigSlot {
  /** Extern name. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** `bool`, `tristate` (enum libbpf_tristate), `char`, `int`, `array` (char[]). */
  shape: 'bool' | 'tristate' | 'char' | 'int' | 'array';
  /** Signed integer. */
  signed: boolean;
}

/**
 * Writes the value of `raw` (a config value) into `out` (little-endian, `slot.size` bytes).
 * Throws a RangeError naming the extern on a value of the wrong shape.
 */
export function encodeKconfigValue(slot: KconfigSlot, raw: string, out: Uint8Array): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const bad = (why: string) => new RangeError(`kconfig ${slot.name}: value '${raw}' ${why}`);
  if (raw === 'y' || raw === 'n' || raw === 'm') {
    if (slot.shape === 'char') out[0] = raw.charCodeAt(0);
    else if (slot.shape === 'bool') {
      if (raw === 'm') throw bad('is not valid for a bool');
      out[0] = raw === 'y' ? 1 : 0;
    } else if (slot.shape === 'tristate') dv.setUint32(0, raw === 'y' ? 1 : raw === 'm' ? 2 : 0, true);
    else throw bad(`is not valid for a ${slot.shape}`);
    return;
  }
  if (raw.startsWith('"')) {
    if (slot.shape !== 'array') throw bad('is a string, the extern is not a char array');
    const s = new TextEncoder().encode(raw.slice(1, raw.endsWith('"') ? -1 : undefined));
    if (s.length >= slot.size) throw bad(`does not fit in ${slot.size} bytes`);
    out.set(s);
    return;
  }
  if (slot.shape !== 'int' && slot.shape !== 'char') throw bad(`is not valid for a ${slot.shape}`);
  let v: bigint;
  try {
    v = raw.startsWith('-') ? -BigInt(raw.slice(1)) : BigInt(raw);
  } catch {
    throw bad('is not a number');
  }
  const bits = BigInt(slot.size * 8);
  const fits = slot.signed
    ? BigInt.asIntN(Number(bits), v) === v
    : v >= 0n && BigInt.asUintN(Number(bits), v) === v;
  if (!fits) throw bad(`does not fit in ${slot.size} bytes`);
  const u = BigInt.asUintN(Number(bits), v);
  for (let i = 0; i < slot.size; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
}
