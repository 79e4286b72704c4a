/**
 * printf-style formatting for `bpf_trace_printk` and `bpf_snprintf`: the conversions the kernel
 * accepts (`%d %i %u %x %X %c %s %p %%` with `-`, `+`, ` `, `0` flags, width, precision and the
 * `l`/`ll`/`h`/`hh`/`z` length modifiers). Arguments are 64-bit values; `%s` reads a string
 * through a callback.
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
    let prec = -1;
    if (fmt[i] === '.') {
      i++;
      prec = 0;
      while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9')
        prec = prec * 10 + (fmt.charCodeAt(i++) - 48);
    }
    let bits = 32;
    if (fmt[i] === 'l') {
      bits = 64;
      i++;
      if (fmt[i] === 'l') i++;
    } else if (fmt[i] === 'h') {
      bits = 16;
      i++;
      if (fmt[i] === 'h') {
        bits = 8;
        i++;
      }
    } else if (fmt[i] === 'z') {
      bits = 64;
      i++;
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
        // %p, %px, %pK: the pointer value in hex (the machine has no pointer hashing).
        if (fmt[i] === 'x' || fmt[i] === 'K') i++;
        body = `0x${BigInt.asUintN(64, next()).toString(16)}`;
        break;
      }
      case 's': {
        const s = readString(next()) ?? '(efault)';
        body = prec >= 0 ? s.slice(0, prec) : s;
        break;
      }
      default:
        throw new FormatStringError(`unsupported conversion '%${conv ?? ''}'`);
    }
    if (conv !== 's' && conv !== 'c' && conv !== 'p' && prec >= 0 && body.length < prec)
      body = body.padStart(prec, '0');
    let text = sign + body;
    if (text.length < width) {
      if (left) text = text.padEnd(width, ' ');
      else if (zero && prec < 0 && conv !== 's' && conv !== 'c')
        text = sign + body.padStart(width - sign.length, '0');
      else text = text.padStart(width, ' ');
    }
    out += text;
  }
  return out;
}
