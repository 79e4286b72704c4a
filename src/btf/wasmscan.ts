/**
 * The fast scan of BTF type records ({@link Btf.parse}) as a small WebAssembly function.
 * WebAssembly is compiled ahead of running (V8's baseline compiler takes well under a millisecond
 * for it), so the first parse in a fresh process runs at compiled speed instead of waiting for the
 * JavaScript JIT to warm up. The module's bytes ({@link SCAN_MODULE_HEX}) are made by the
 * assembler in wasmscan-asm.ts (`bench/btf/wasmscan-bytes.ts` checks and rewrites them).
 *
 * It makes exactly the checks of the JavaScript fast scan in btf.ts (the tests run both on the
 * same mutated inputs) and, like it, only says "well-formed" or "look closer": the checked scan
 * in btf.ts finds and reports the fault.
 *
 * @module
 */

/**
 * Memory layout: bytes 0..3 hold the largest referenced id and bytes 4..7 the byte address where
 * the scan stopped (the scan's state between windows); the offset index starts at byte 8, the
 * window of type words after it.
 */
const OFFS_AT = 8;

/**
 * The scan module's bytes in hex, as assembled by `buildScanModule` in wasmscan-asm.ts (generated
 * by `bench/btf/wasmscan-bytes.ts --write`; do not edit by hand).
 */
export const SCAN_MODULE_HEX =
  // BEGIN GENERATED
  '0061736d01000000010d0160087f7f7f7f7f7f7f7f017f020c0103656e76036d656d0200010302010007080104736361' +
  '6e00000ab90901b609010b7f20072108410028020021090240024002400340200820004f0d02200020086b410c490d01' +
  '200420024f0d032008280200220a20014f0d032008280204220b418080fc8706710d03200b41ffff0371210c20082802' +
  '08210d410c210e02400240024002400240024002400240024002400240024002400240024002400240200b411876411f' +
  '710e20000a010b060608040201010105070c0d0e0f0309000000000000000000000000000b0c130b200b41ffff838078' +
  '710d12200d22112009201120094b1b21090c0e0b200a450d11200b41ffff838078710d11200d22112009201120094b1b' +
  '21090c0d0b200a450d10200c0d10200d22112009201120094b1b21090c0c0b200a450d0f200c0d0f0c0b0b200a450d0e' +
  '200b411f760d0e200c41024b0d0e200d22112009201120094b1b21090c0a0b410c200c410c6c6a210e200020086b200e' +
  '490d0b2008410c6a210f2008200e6a211002400340200f20104f0d01200f28020020014f0d0f200f2802042211200920' +
  '1120094b1b2109200f410c6a210f0c000b0b0c090b200b411f760d0c410c200c41086c6a210e200020086b200e490d0a' +
  '200d22112009201120094b1b21092008410c6a210f2008200e6a211002400340200f20104f0d01200f28020020014f0d' +
  '0e200f28020422112009201120094b1b2109200f41086a210f0c000b0b0c080b410c200c41086c6a210e200020086b20' +
  '0e490d09200d450d0b200d200d41016b710d0b200d41084b0d0b2008410c6a210f2008200e6a211002400340200f2010' +
  '4f0d01200f2802002212450d0d201220014f0d0d200f41086a210f0c000b0b0c070b410c200c410c6c6a210e20002008' +
  '6b200e490d08200d450d0a200d200d41016b710d0a200d41084b0d0a2008410c6a210f2008200e6a211002400340200f' +
  '20104f0d01200f2802002212450d0c201220014f0d0c200f410c6a210f0c000b0b0c060b4110210e200020086b200e49' +
  '0d07200b41ffff838078710d09200828020c22124180fe83807f710d092012411876410f7122114103460d0920114104' +
  '4b0d09200d450d09200d200d41016b710d09200d41104b0d09201241ff01712211450d0920114180014b0d0920124110' +
  '7641ff017120116a200d41086c4b0d090c050b4118210e200020086b200e490d06200b41ffff838078710d08200d0d08' +
  '200828020c22112009201120094b1b2109200828021022112009201120094b1b21090c040b4110210e200020086b200e' +
  '490d05200a450d07200b41ffff838078710d07200828020c41024b0d07200d22112009201120094b1b21090c030b200b' +
  '411f760d06200a450d06410c200c410c6c6a210e200020086b200e490d042008410c6a210f2008200e6a211002400340' +
  '200f20104f0d01200f28020022112009201120094b1b2109200f410c6a210f0c000b0b0c020b200b41ffff838078710d' +
  '050240200d410c460d00200d4102490d06200d450d06200d200d41016b710d06200d41104b0d060b0c010b4110210e20' +
  '0020086b200e490d02200a450d04200c0d04200828020c417f480d04200d22112009201120094b1b21090c000b200320' +
  '0441046c6a200820076b41027620056a360200200441016a21042008200e6a21080c000b0b20060d010b410020093602' +
  '004100200836020420040f0b417f0b';
// END GENERATED

/** Bytes from hex digits. */
function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  const digit = (c: number) => (c <= 57 ? c - 48 : (c | 0x20) - 87);
  for (let i = 0; i < out.length; i++)
    out[i] = (digit(hex.charCodeAt(2 * i)) << 4) | digit(hex.charCodeAt(2 * i + 1));
  return out;
}

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libs lack its types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number }) => { buffer: ArrayBuffer };
}

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly is missing or refuses it. */
function module(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(fromHex(SCAN_MODULE_HEX)) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Largest type section (bytes) scanned with WebAssembly; larger ones use the JavaScript scan. */
const MAX_WASM_BYTES = 1 << 30;

/**
 * Type words copied into WebAssembly memory at a time. The scan runs window by window, so the
 * memory holds the offset index and one window, not a second copy of the whole section (vmlinux:
 * about 0.8 MB instead of 4 MB, and that many fewer fresh pages to fault in on the first parse).
 * A record longer than the window (a struct can have 65535 members) doubles it.
 */
const WINDOW_WORDS = 1 << 16;

/** Result of {@link wasmScan}. */
export interface WasmScanResult {
  /** Word offset of each type record, and the end as the last entry (`n + 1` entries). */
  offs: Uint32Array;
  /** Number of types. */
  n: number;
  /** The largest type id any record refers to. */
  maxRef: number;
}

type ScanFn = (
  end: number,
  strTotal: number,
  maxN: number,
  offs: number,
  n: number,
  base: number,
  last: number,
  win: number,
) => number;

interface Live {
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  scan: ScanFn;
  pages: number;
}

/**
 * The instance and its memory, kept between scans: a fresh memory per parse would cost page
 * faults and garbage collection every time. It grows to the largest index plus window needed
 * (vmlinux: about 0.8 MB) and is not given back; {@link releaseWasmScanMemory} drops it.
 */
let live: Live | undefined;

/** Drops the scanner's memory (the next scan makes a new one). */
export function releaseWasmScanMemory(): void {
  live = undefined;
}

/** The instance, with memory for at least `bytes` bytes. */
function instance(mod: object, bytes: number): Live {
  const pages = Math.ceil(bytes / 65536) || 1;
  if (!live) {
    const mem = new wasm!.Memory({ initial: pages }) as unknown as Live['mem'];
    const inst = new wasm!.Instance(mod, { env: { mem } });
    live = { mem, scan: inst.exports.scan as ScanFn, pages };
  } else if (live.pages < pages) {
    live.mem.grow(pages - live.pages);
    live.pages = pages;
  }
  return live;
}

/**
 * Scans the type words with the WebAssembly function: the offsets of `n` well-formed records,
 * `false` when anything looks wrong (the caller rescans with error reporting), or `undefined`
 * where WebAssembly is not available or the section is too large for it. `windowWords` (tests)
 * sets the first window's size.
 */
export function wasmScan(
  words: Uint32Array,
  nWords: number,
  strTotal: number,
  maxN: number,
  windowWords = WINDOW_WORDS,
): WasmScanResult | false | undefined {
  const mod = module();
  if (!mod || nWords * 4 > MAX_WASM_BYTES) return undefined;
  const cap = Math.floor(nWords / 3) + 1;
  const winAt = OFFS_AT + cap * 4;
  let win = Math.max(1, Math.min(windowWords, nWords));
  let inst = instance(mod, winAt + win * 4);
  let all = new Uint32Array(inst.mem.buffer);
  all[0] = 0;
  let n = 0;
  let base = 0;
  for (;;) {
    const wn = Math.min(win, nWords - base);
    const last = base + wn === nWords;
    all.set(words.subarray(base, base + wn), winAt / 4);
    n = inst.scan(winAt + wn * 4, strTotal, maxN, OFFS_AT, n, base, last ? 1 : 0, winAt);
    if (n < 0) return false;
    if (last) break; // the scan reached the end (a record past it fails)
    const used = (all[1]! - winAt) >>> 2;
    base += used;
    if (used === 0) {
      // a record longer than the window
      win *= 2;
      inst = instance(mod, winAt + win * 4);
      all = new Uint32Array(inst.mem.buffer);
    }
  }
  const offs = new Uint32Array(n + 1);
  offs.set(all.subarray(OFFS_AT / 4, OFFS_AT / 4 + n));
  offs[n] = nWords;
  return { offs, n, maxRef: all[0]! };
}
