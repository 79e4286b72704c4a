/**
 * The assembler of the WebAssembly scan in wasmscan.ts: builds the module from its instructions.
 * It is not loaded at run time: wasmscan.ts holds the bytes it produces (`SCAN_MODULE_HEX`),
 * so a fresh process compiles 1.3 KB of WebAssembly instead of first compiling and running this
 * assembler (about 1.2 ms of the first parse of vmlinux). After a change here, run
 * `node --import tsx bench/btf/wasmscan-bytes.ts --write` to update those bytes (without
 * `--write` it checks them).
 *
 * The scan makes exactly the checks of the JavaScript fast scan in btf.ts (the tests run both on
 * the same mutated inputs) and, like it, only says "well-formed" or "look closer".
 *
 * Memory layout (shared with wasmscan.ts): bytes 0..3 hold the largest referenced id and bytes
 * 4..7 the byte address where the scan stopped (the scan's state between windows); the offset
 * index and the window of type words are placed by the caller (`offs`, `win`).
 *
 * @module
 */

// opcodes (WebAssembly core spec, binary format)
const BLOCK = 0x02;
const LOOP = 0x03;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const BR_TABLE = 0x0e;
const RETURN = 0x0f;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_CONST = 0x41;
const I32_EQZ = 0x45;
const I32_EQ = 0x46;
const I32_LT_S = 0x48;
const I32_LT_U = 0x49;
const I32_GT_U = 0x4b;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_SHR_U = 0x76;
const SELECT = 0x1b;
const VOID = 0x40;
const I32 = 0x7f;

/** Unsigned LEB128. */
function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 of a 32-bit value. */
function sleb(n: number, out: number[]): void {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction, with named block labels. */
class Asm {
  readonly code: number[] = [];
  private readonly labels: string[] = [];

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  block(name: string): this {
    this.labels.push(name);
    return this.op(BLOCK, VOID);
  }
  loop(name: string): this {
    this.labels.push(name);
    return this.op(LOOP, VOID);
  }
  end(): this {
    this.labels.pop();
    return this.op(END);
  }
  private depth(name: string): number {
    const i = this.labels.lastIndexOf(name);
    if (i < 0) throw new Error(`wasmscan: no label ${name}`);
    return this.labels.length - 1 - i;
  }
  br(name: string): this {
    this.op(BR);
    uleb(this.depth(name), this.code);
    return this;
  }
  brIf(name: string): this {
    this.op(BR_IF);
    uleb(this.depth(name), this.code);
    return this;
  }
  brTable(names: string[], dflt: string): this {
    this.op(BR_TABLE);
    uleb(names.length, this.code);
    for (const n of names) uleb(this.depth(n), this.code);
    uleb(this.depth(dflt), this.code);
    return this;
  }
  get(l: number): this {
    return this.op(LOCAL_GET, l);
  }
  set(l: number): this {
    return this.op(LOCAL_SET, l);
  }
  tee(l: number): this {
    return this.op(LOCAL_TEE, l);
  }
  c(v: number): this {
    this.op(I32_CONST);
    sleb(v, this.code);
    return this;
  }
  /** i32.load at the address on the stack plus `offset`. */
  load(offset = 0): this {
    this.op(I32_LOAD, 2);
    uleb(offset, this.code);
    return this;
  }
}

// parameters and locals
const END_ADDR = 0; // byte address just past the window's words
const STR_TOTAL = 1; // string offsets must be below it
const MAX_N = 2; // most types allowed
const OFFS = 3; // byte address of the offset index
const N = 4; // types so far (the scan resumes here)
const BASE = 5; // word index in the type section of the window's first word
const LAST = 6; // 1 when the window ends where the type section ends
const WIN = 7; // byte address of the window's first word
const P = 8; // byte address of the current record
const MAXREF = 9; // largest type id referenced
const NAME = 10;
const INFO = 11;
const VLEN = 12;
const THIRD = 13;
const LEN = 14; // record length in bytes
const Q = 15;
const E = 16;
const T = 17;
const V = 18;
const N_LOCALS = 19;
const N_PARAMS = 8;

function buildScan(): number[] {
  const a = new Asm();
  /** Fails unless the value on the stack is 0. */
  const failIfNonZero = () => a.brIf('fail');
  /** maxRef = max_u(maxRef, value on the stack). */
  const maxRef = () => a.tee(T).get(MAXREF).get(T).get(MAXREF).op(I32_GT_U).op(SELECT).set(MAXREF);
  /** Stops when fewer than `len` bytes are left in the window (len in LEN). */
  const needLen = () => a.get(END_ADDR).get(P).op(I32_SUB).get(LEN).op(I32_LT_U).brIf('short');
  /** Fails when the name offset is 0. */
  const named = () => a.get(NAME).op(I32_EQZ).brIf('fail');
  /** Fails when vlen or kind_flag is set. */
  const noVlenNoFlag = () => a.get(INFO).c(0x8000ffff).op(I32_AND).brIf('fail');
  /** Fails when vlen is set. */
  const noVlen = () => a.get(VLEN).brIf('fail');
  /** Fails when kind_flag is set. */
  const noFlag = () => a.get(INFO).c(31).op(I32_SHR_U).brIf('fail');
  /** LEN = 12 + per * vlen. */
  const vlenLen = (per: number) => a.c(12).get(VLEN).c(per).op(I32_MUL).op(I32_ADD).set(LEN);
  /** Fails unless THIRD is a power of two no larger than `max` (so 1, 2, 4, 8[, 16]). */
  const pow2Size = (max: number) => {
    a.get(THIRD).op(I32_EQZ).brIf('fail');
    a.get(THIRD).get(THIRD).c(1).op(I32_SUB).op(I32_AND).brIf('fail');
    a.get(THIRD).c(max).op(I32_GT_U).brIf('fail');
  };
  /** A loop over the vlen entries (stride bytes each) from p + 12, running `body` with Q at each. */
  const entries = (stride: number, body: () => void) => {
    a.get(P).c(12).op(I32_ADD).set(Q);
    a.get(P).get(LEN).op(I32_ADD).set(E);
    a.block('ebrk').loop('eloop');
    a.get(Q).get(E).op(I32_GE_U).brIf('ebrk');
    body();
    a.get(Q).c(stride).op(I32_ADD).set(Q);
    a.br('eloop').end().end();
  };
  /** Fails when the string offset on the stack is not below the table's end. */
  const strOk = () => a.get(STR_TOTAL).op(I32_GE_U).brIf('fail');

  // kinds: 1 INT, 2 PTR, 3 ARRAY, 4 STRUCT, 5 UNION, 6 ENUM, 7 FWD, 8 TYPEDEF, 9 VOLATILE,
  // 10 CONST, 11 RESTRICT, 12 FUNC, 13 FUNC_PROTO, 14 VAR, 15 DATASEC, 16 FLOAT, 17 DECL_TAG,
  // 18 TYPE_TAG, 19 ENUM64
  const cases: Array<[number[], () => void]> = [
    [
      [2, 9, 10, 11],
      () => {
        noVlenNoFlag();
        a.get(THIRD);
        maxRef();
      },
    ],
    [
      [8],
      () => {
        named();
        noVlenNoFlag();
        a.get(THIRD);
        maxRef();
      },
    ],
    [
      [18],
      () => {
        named();
        noVlen();
        a.get(THIRD);
        maxRef();
      },
    ],
    [
      [7],
      () => {
        named();
        noVlen();
      },
    ],
    [
      [12],
      () => {
        named();
        noFlag();
        a.get(VLEN).c(2).op(I32_GT_U).brIf('fail');
        a.get(THIRD);
        maxRef();
      },
    ],
    [
      [4, 5],
      () => {
        vlenLen(12);
        needLen();
        entries(12, () => {
          a.get(Q).load();
          strOk();
          a.get(Q).load(4);
          maxRef();
        });
      },
    ],
    [
      [13],
      () => {
        noFlag();
        vlenLen(8);
        needLen();
        a.get(THIRD);
        maxRef();
        entries(8, () => {
          a.get(Q).load();
          strOk();
          a.get(Q).load(4);
          maxRef();
        });
      },
    ],
    [
      [6],
      () => {
        vlenLen(8);
        needLen();
        pow2Size(8);
        entries(8, () => {
          a.get(Q).load().tee(V).op(I32_EQZ).brIf('fail');
          a.get(V);
          strOk();
        });
      },
    ],
    [
      [19],
      () => {
        vlenLen(12);
        needLen();
        pow2Size(8);
        entries(12, () => {
          a.get(Q).load().tee(V).op(I32_EQZ).brIf('fail');
          a.get(V);
          strOk();
        });
      },
    ],
    [
      [1],
      () => {
        a.c(16).set(LEN);
        needLen();
        noVlenNoFlag();
        a.get(P)
          .load(12)
          .tee(V)
          .c(0xf000ff00 | 0)
          .op(I32_AND)
          .brIf('fail');
        // encoding: 0, SIGNED 1, CHAR 2, BOOL 4
        a.get(V).c(24).op(I32_SHR_U).c(0x0f).op(I32_AND).tee(T).c(3).op(I32_EQ).brIf('fail');
        a.get(T).c(4).op(I32_GT_U).brIf('fail');
        pow2Size(16);
        // bits: 1..128, offset + bits within the size
        a.get(V).c(0xff).op(I32_AND).tee(T).op(I32_EQZ).brIf('fail');
        a.get(T).c(128).op(I32_GT_U).brIf('fail');
        a.get(V).c(16).op(I32_SHR_U).c(0xff).op(I32_AND).get(T).op(I32_ADD);
        a.get(THIRD).c(8).op(I32_MUL).op(I32_GT_U).brIf('fail');
      },
    ],
    [
      [3],
      () => {
        a.c(24).set(LEN);
        needLen();
        noVlenNoFlag();
        a.get(THIRD).brIf('fail');
        a.get(P).load(12);
        maxRef();
        a.get(P).load(16);
        maxRef();
      },
    ],
    [
      [14],
      () => {
        a.c(16).set(LEN);
        needLen();
        named();
        noVlenNoFlag();
        a.get(P).load(12).c(2).op(I32_GT_U).brIf('fail');
        a.get(THIRD);
        maxRef();
      },
    ],
    [
      [15],
      () => {
        noFlag();
        named();
        vlenLen(12);
        needLen();
        entries(12, () => {
          a.get(Q).load();
          maxRef();
        });
      },
    ],
    [
      [16],
      () => {
        noVlenNoFlag();
        // 2, 4, 8, 12 or 16
        a.block('fok');
        a.get(THIRD).c(12).op(I32_EQ).brIf('fok');
        a.get(THIRD).c(2).op(I32_LT_U).brIf('fail');
        pow2Size(16);
        a.end();
      },
    ],
    [
      [17],
      () => {
        a.c(16).set(LEN);
        needLen();
        named();
        noVlen();
        a.get(P).load(12).c(-1).op(I32_LT_S).brIf('fail');
        a.get(THIRD);
        maxRef();
      },
    ],
  ];

  a.get(WIN).set(P);
  a.c(0).load().set(MAXREF);
  a.block('fail');
  a.block('done');
  a.block('short');
  a.loop('top');
  a.get(P).get(END_ADDR).op(I32_GE_U).brIf('done');
  a.get(END_ADDR).get(P).op(I32_SUB).c(12).op(I32_LT_U).brIf('short');
  a.get(N).get(MAX_N).op(I32_GE_U).brIf('fail');
  a.get(P).load().tee(NAME);
  strOk();
  a.get(P).load(4).tee(INFO).c(0x60ff0000).op(I32_AND);
  failIfNonZero();
  a.get(INFO).c(0xffff).op(I32_AND).set(VLEN);
  a.get(P).load(8).set(THIRD);
  a.c(12).set(LEN);
  // dispatch on the kind (5 bits; kind_flag is checked per case)
  a.block('next');
  for (let i = cases.length - 1; i >= 0; i--) a.block(`case${i}`);
  a.block('dflt');
  const table: string[] = [];
  for (let k = 0; k < 32; k++) {
    const i = cases.findIndex(([ks]) => ks.includes(k));
    table.push(i < 0 ? 'dflt' : `case${i}`);
  }
  a.get(INFO).c(24).op(I32_SHR_U).c(0x1f).op(I32_AND);
  a.brTable(table, 'dflt');
  a.end(); // dflt
  a.br('fail');
  for (let i = 0; i < cases.length; i++) {
    a.end(); // case i
    cases[i]![1]();
    a.br('next');
  }
  a.end(); // next
  // offs[n++] = word index of p in the type section; p += len
  a.get(OFFS).get(N).c(4).op(I32_MUL).op(I32_ADD);
  a.get(P).get(WIN).op(I32_SUB).c(2).op(I32_SHR_U).get(BASE).op(I32_ADD);
  a.op(I32_STORE, 2, 0);
  a.get(N).c(1).op(I32_ADD).set(N);
  a.get(P).get(LEN).op(I32_ADD).set(P);
  a.br('top');
  a.end(); // top
  a.end(); // short: the record runs past the window; past the section's end it is a fault
  a.get(LAST).brIf('fail');
  a.end(); // done: keep the state for the next window
  a.c(0).get(MAXREF).op(I32_STORE, 2, 0);
  a.c(0).get(P).op(I32_STORE, 2, 4);
  a.get(N).op(RETURN);
  a.end(); // fail
  a.c(-1);
  a.op(END);

  const body: number[] = [];
  body.push(1); // one local declaration group
  uleb(N_LOCALS - N_PARAMS, body);
  body.push(I32);
  body.push(...a.code);
  return body;
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

function name(s: string): number[] {
  const b: number[] = [];
  uleb(s.length, b);
  for (const ch of s) b.push(ch.charCodeAt(0));
  return b;
}

/**
 * Assembles the module: imports `env.mem`, exports `scan(end, strTotal, maxN, offs, n, base,
 * last, win) -> n | -1`. Its bytes are `SCAN_MODULE_HEX` in wasmscan.ts.
 */
export function buildScanModule(): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(1, [1, 0x60, N_PARAMS, ...new Array<number>(N_PARAMS).fill(I32), 1, I32], out);
  section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x01], out);
  section(3, [1, 0], out);
  section(7, [1, ...name('scan'), 0x00, 0], out);
  const body = buildScan();
  const code: number[] = [1];
  uleb(body.length, code);
  code.push(...body);
  section(10, code, out);
  return Uint8Array.from(out);
}
