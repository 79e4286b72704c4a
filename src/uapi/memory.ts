/**
 * The memory seam of the attr codecs. An attr holds pointers; a codec turns a typed attr's byte
 * arrays into addresses when encoding ({@link AttrMemory.addressOf}) and addresses back into byte
 * arrays when decoding ({@link AttrMemory.view}, {@link AttrMemory.cString}).
 *
 * - The kernel backend's memory gives the real addresses of the arrays (and keeps them alive until
 *   the syscall returns).
 * - The machine's `bpf_sys_bpf` helper gives a memory over the calling program's address space;
 *   its views alias that memory, so what a command writes into an output buffer (a log, a looked-up
 *   value, test-run output) lands in the program's memory.
 *
 * @module
 */

import { FormatError } from '../util/errors.js';

/** Address translation for attr encoding and decoding. */
export interface AttrMemory {
  /** Encoding: the address at which the callee finds (and may write) `bytes`. */
  addressOf(bytes: Uint8Array): bigint;
  /**
   * Decoding: `len` bytes at `addr`, as a view that aliases the memory (writes go through).
   * Throws a `FormatError` (or the machine's fault) when the range is not accessible.
   */
  view(addr: bigint, len: number): Uint8Array;
  /** Decoding: the NUL-terminated string at `addr`, at most `max` bytes before the NUL. */
  cString(addr: bigint, max: number): string;
}

/**
 * A memory for encoding only, over a table of arrays: each array gets a made-up address
 * (`base + 16 * k`, never 0) and {@link ArrayMemory.view} resolves those addresses back. Useful for
 * tests of the codecs (encode, then decode, and get the same arrays) and for backends that pass
 * attrs between JavaScript worlds.
 */
export class ArrayMemory implements AttrMemory {
  readonly #arrays: Uint8Array[] = [];
  readonly #base: bigint;

  /** @param base - address of the first array (default `0x1000_0000_0000`) */
  constructor(base = 0x1000_0000_0000n) {
    this.#base = base;
  }

  /** Registers `bytes` and returns its made-up address. */
  addressOf(bytes: Uint8Array): bigint {
    this.#arrays.push(bytes);
    return this.#base + BigInt(this.#arrays.length - 1) * 0x1_0000_0000n;
  }

  /** The registered array at `addr` (or a prefix of it, `len` bytes). */
  view(addr: bigint, len: number): Uint8Array {
    const rel = addr - this.#base;
    const k = Number(rel / 0x1_0000_0000n);
    const off = Number(rel % 0x1_0000_0000n);
    const a = rel >= 0n ? this.#arrays[k] : undefined;
    if (a === undefined || off + len > a.length) {
      throw new FormatError(`address 0x${addr.toString(16)}`, `no ${len} accessible bytes`);
    }
    return a.subarray(off, off + len);
  }

  /** The NUL-terminated string at `addr`. */
  cString(addr: bigint, max: number): string {
    const rel = addr - this.#base;
    const k = Number(rel / 0x1_0000_0000n);
    const off = Number(rel % 0x1_0000_0000n);
    const a = rel >= 0n ? this.#arrays[k] : undefined;
    if (a === undefined) throw new FormatError(`address 0x${addr.toString(16)}`, 'not mapped');
    const end = Math.min(a.length, off + max + 1);
    const nul = a.subarray(off, end).indexOf(0);
    if (nul < 0) throw new FormatError(`address 0x${addr.toString(16)}`, `string longer than ${max} bytes`);
    return new TextDecoder().decode(a.subarray(off, off + nul));
  }
}
