/**
 * printf-style formatting for `bpf_trace_printk` and `bpf_snprintf`: the conversions the kernel
 * accepts (`%d %i %u %x %X %c %s %p %%` with `-`, `+`, ` `, `0` flags, a width, and the `l`/`ll`
 * length modifiers). As on Linux 6.18 (checked against bpf_snprintf), a precision (`%.3d`) and
 * the `h`/`hh`/`z` modifiers are refused. Arguments are 64-bit values; `%s` reads a string
 * through a callback. Strings are byte strings (one char per byte, 0..255): `%c` of 0xfb is the
 * byte 0xfb, as in C.
 *
 * @module
 */

/** A format the kernel would reject (unknown conversion, too many arguments). */
export class FormatStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatStringError';
  }
}

/**
 * Formats `fmt` with `args` (unsigned 64-bit values). `readString(addr)` returns the string at a
 * program address (or `undefined`, shown as `(efault)` as the kernel's safe string read does).
 * Throws {@link FormatStringError} for an unsupported conversion or missing arguments.
 */
export function formatPrintf(
  fmt: string,
  args: readonly bigint[],
  readString: (addr: bigint) => string | undefined,
  /**
   * Reads `n` bytes at a program address (undefined when unreadable), for the pointer conversions
   * of bpf_snprintf: `%pI4 %pi4 %pI6 %pi6` (an unreadable address prints zeros, as Linux), `%pks`
   * (a string; unreadable: empty), `%pus` (user memory: the machine has none, so empty, as Linux
   * for a kernel address), `%pS %ps %pB` (no symbols: `0x` and the address).
   */
  readBytes?: (addr: bigint, n: number) => Uint8Array | undefined,
): string {
  let out = '';
  let ai = 0;
  let i = 0;
  const next = (): bigint => {
    if (ai >= args.length) throw new FormatStringError(`format needs more than ${args.length} arguments`);
    return args[ai++]!;
  };
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    i++;
    if (fmt[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    let left = false;
    let plus = false;
    let space = false;
    let zero = false;
    for (;;) {
      const f = fmt[i];
      if (f === '-') left = true;
      else if (f === '+') plus = true;
      else if (f === ' ') space = true;
      else if (f === '0') zero = true;
      else break;
      i++;
    }
    let width = 0;
    while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9')
      width = width * 10 + (fmt.charCodeAt(i++) - 48);
    if (fmt[i] === '.') throw new FormatStringError('a precision is not supported');
    let bits = 32;
    if (fmt[i] === 'l') {
      bits = 64;
      i++;
      if (fmt[i] === 'l') i++;
    } else if (fmt[i] === 'h' || fmt[i] === 'z') {
      throw new FormatStringError(`length modifier '${fmt[i]}' is not supported`);
    }
    const conv = fmt[i++];
    let body: string;
    let sign = '';
    switch (conv) {
      case 'd':
      case 'i': {
        const v = BigInt.asIntN(bits, next());
        if (v < 0n) sign = '-';
        else if (plus) sign = '+';
        else if (space) sign = ' ';
        body = (v < 0n ? -v : v).toString();
        break;
      }
      case 'u':
        body = BigInt.asUintN(bits, next()).toString();
        break;
      case 'x':
        body = BigInt.asUintN(bits, next()).toString(16);
        break;
      case 'X':
        body = BigInt.asUintN(bits, next()).toString(16).toUpperCase();
        break;
      case 'c':
        body = String.fromCharCode(Number(BigInt.asUintN(8, next())));
        break;
      case 'p': {
        // %p, %px, %pK: 16 hex digits, as Linux prints them on 64-bit (the machine has no
        // pointer hashing: %p and %pK show the raw value where Linux shows a hash)
        const v = BigInt.asUintN(64, next());
        const kind = readBytes === undefined ? '' : fmt[i];
        const ip = kind === 'I' || kind === 'i' ? fmt[i + 1] : undefined;
        if (readBytes !== undefined && (ip === '4' || ip === '6')) {
          const n = ip === '4' ? 4 : 16;
          const b = readBytes(v, n) ?? new Uint8Array(n);
          const hex = (k: number): string => b[k]!.toString(16).padStart(2, '0');
          if (ip === '4')
            body = [...b].map((x) => (kind === 'i' ? `${x}`.padStart(3, '0') : `${x}`)).join('.');
          else {
            const groups: string[] = [];
            for (let k = 0; k < 16; k += 2) groups.push(hex(k) + hex(k + 1));
            body = groups.join(kind === 'I' ? ':' : '');
          }
          i += 2;
        } else if ((kind === 'k' || kind === 'u') && fmt[i + 1] === 's') {
          body = kind === 'k' ? (readString(v) ?? '') : '';
          i += 2;
        } else if (kind === 'S' || kind === 's' || kind === 'B') {
          body = `0x${v.toString(16)}`;
          i++;
        } else {
          if (fmt[i] === 'x' || fmt[i] === 'K') i++;
          body = v.toString(16).padStart(16, '0');
        }
        break;
      }
      case 's': {
        const s = readString(next()) ?? '(efault)';
        body = s;
        break;
      }
      default:
        throw new FormatStringError(`unsupported conversion '%${conv ?? ''}'`);
    }
    let text = sign + body;
    if (text.length < width) {
      if (left) text = text.padEnd(width, ' ');
      else if (zero && conv !== 's' && conv !== 'c') text = sign + body.padStart(width - sign.length, '0');
      else text = text.padStart(width, ' ');
    }
    out += text;
  }
  return out;
}
