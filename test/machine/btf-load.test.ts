/**
 * The machine's BPF_BTF_LOAD checks against Linux 6.18's: the same BTF (hand-built records, the
 * src/btf builder's output, every fixture's raw `.BTF` and its loadable form, and seeded mutants of
 * those) goes to the kernel (when bpf(2) works here) and to the machine, which must give the same
 * verdict, the same errno and the same last log line (the reason); where the kernel is not
 * available, the expected verdicts written here are checked on the machine alone.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BTF_KIND, Btf } from '../../src/btf/index.js';
import { elfSectionData } from '../../src/elf/reader.js';
import { BpfObject } from '../../src/loader/index.js';
import { checkBtf } from '../../src/machine/btf/check.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { backends } from '../backend/backends.js';
import { FIXTURES, hostOptions } from '../loader/helpers.js';

// --- a raw BTF assembler: records are words, strings in them become string offsets ---------------

const KIND = BTF_KIND;

/** `info` of a record. */
function info(kind: number, vlen = 0, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** A signed 32-bit int named `int` (the first record of most cases). */
const INT: (number | string)[] = ['int', info(KIND.INT), 4, 0x01000020];

/** Little-endian BTF from records (strings are interned) and header overrides. */
function raw(
  records: (number | string)[][],
  hdr: Partial<Record<'typeOff' | 'strOff', number>> = {},
): Uint8Array {
  const strs = [0];
  const offs = new Map<string, number>([['', 0]]);
  const enc = new TextEncoder();
  const str = (s: string) => {
    let o = offs.get(s);
    if (o === undefined) {
      o = strs.length;
      offs.set(s, o);
      strs.push(...enc.encode(s), 0);
    }
    return o;
  };
  const words = records.flat().map((x) => (typeof x === 'string' ? str(x) : x >>> 0));
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, hdr.typeOff ?? 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, hdr.strOff ?? typeLen, true);
  dv.setUint32(20, strs.length, true);
  words.forEach((w, i) => {
    dv.setUint32(24 + 4 * i, w, true);
  });
  out.set(strs, 24 + typeLen);
  return out;
}

/** Hand-built cases: name, BTF, and the verdict Linux 6.18 gives (errno name or 'ok', reason line). */
const CASES: [string, Uint8Array, string, RegExp?][] = [
  ['int', raw([INT]), 'ok'],
  [
    'FUNC_PROTO with an unnamed typed parameter, referenced by a FUNC',
    raw([INT, [0, info(KIND.FUNC_PROTO, 1), 1, 0, 1], ['f', info(KIND.FUNC, 0, false) | 1, 2]]),
    'EINVAL',
    /^\[3\] FUNC f type_id=2 Invalid arg#1$/,
  ],
  ['the same FUNC_PROTO, no FUNC', raw([INT, [0, info(KIND.FUNC_PROTO, 1), 1, 0, 1]]), 'ok'],
  [
    'VAR of type void',
    raw([INT, ['x', info(KIND.VAR), 0, 1]]),
    'EINVAL',
    /^\[2\] VAR x type_id=0 linkage=1 Invalid type_id$/,
  ],
  [
    'VAR of type const void',
    raw([
      [0, info(KIND.CONST), 0],
      ['x', info(KIND.VAR), 1, 1],
    ]),
    'EINVAL',
    /^\[2\] VAR x type_id=1 linkage=1 Invalid type_id$/,
  ],
  [
    'DATASEC entries not in offset order',
    raw([
      INT,
      ['a', info(KIND.VAR), 1, 1],
      ['b', info(KIND.VAR), 1, 1],
      ['.data', info(KIND.DATASEC, 2), 8, 3, 4, 4, 2, 0, 4],
    ]),
    'EINVAL',
    /^\t type_id=2 offset=0 size=4 Invalid offset$/,
  ],
  [
    'DATASEC in order',
    raw([
      INT,
      ['a', info(KIND.VAR), 1, 1],
      ['b', info(KIND.VAR), 1, 1],
      ['.data', info(KIND.DATASEC, 2), 8, 2, 0, 4, 3, 4, 4],
    ]),
    'ok',
  ],
  [
    'DATASEC of size 0',
    raw([INT, ['a', info(KIND.VAR), 1, 1], ['.bss', info(KIND.DATASEC, 1), 0, 2, 0, 4]]),
    'EINVAL',
  ],
  [
    'DATASEC entry too small',
    raw([INT, ['a', info(KIND.VAR), 1, 1], ['.bss', info(KIND.DATASEC, 1), 4, 2, 0, 2]]),
    'EINVAL',
  ],
  ['DATASEC entry not a VAR', raw([INT, ['.bss', info(KIND.DATASEC, 1), 4, 1, 0, 4]]), 'EINVAL'],
  ['VAR extern', raw([INT, ['x', info(KIND.VAR), 1, 2]]), 'EINVAL', /Linkage not supported$/],
  ['VAR with a dotted name', raw([INT, ['x.y', info(KIND.VAR), 1, 0]]), 'ok'],
  ['FUNC extern', raw([INT, [0, info(KIND.FUNC_PROTO), 1], ['f', info(KIND.FUNC, 2), 2]]), 'EINVAL'],
  ['FUNC global', raw([INT, [0, info(KIND.FUNC_PROTO), 1], ['f', info(KIND.FUNC, 1), 2]]), 'ok'],
  ['FUNC named 1f', raw([INT, [0, info(KIND.FUNC_PROTO), 1], ['1f', info(KIND.FUNC), 2]]), 'EINVAL'],
  ['FUNC of an INT', raw([INT, ['f', info(KIND.FUNC), 1]]), 'EINVAL'],
  [
    'FUNC_PROTO vararg',
    raw([INT, [0, info(KIND.FUNC_PROTO, 2), 1, 'a', 1, 0, 0], ['f', info(KIND.FUNC), 2]]),
    'ok',
  ],
  ['FUNC_PROTO named vararg', raw([INT, [0, info(KIND.FUNC_PROTO, 2), 1, 'a', 1, 'b', 0]]), 'EINVAL'],
  ['FUNC_PROTO arg out of range', raw([INT, [0, info(KIND.FUNC_PROTO, 1), 1, 'a', 9]]), 'EINVAL'],
  ['FUNC_PROTO return out of range', raw([INT, [0, info(KIND.FUNC_PROTO), 7]]), 'EINVAL'],
  ['FUNC_PROTO with a name', raw([INT, ['p', info(KIND.FUNC_PROTO), 1]]), 'EINVAL'],
  ['struct member past the end', raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 8]]), 'EINVAL'],
  ['struct member offset past the size', raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 64]]), 'EINVAL'],
  [
    'struct members out of order',
    raw([INT, ['s', info(KIND.STRUCT, 2), 8, 'a', 1, 32, 'b', 1, 0]]),
    'EINVAL',
  ],
  [
    'struct member not byte aligned',
    raw([INT, [0, info(KIND.PTR), 1], ['s', info(KIND.STRUCT, 1), 16, 'p', 2, 4]]),
    'EINVAL',
  ],
  ['struct member of type void', raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 0, 0]]), 'EINVAL'],
  ['struct member with a bad name', raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a-b', 1, 0]]), 'EINVAL'],
  [
    'bitfield',
    raw([INT, ['s', info(KIND.STRUCT, 2, true), 4, 'a', 1, (3 << 24) | 0, 'b', 1, (5 << 24) | 3]]),
    'ok',
  ],
  [
    'bitfield wider than its int',
    raw([INT, ['s', info(KIND.STRUCT, 1, true), 8, 'a', 1, 33 << 24]]),
    'EINVAL',
  ],
  [
    'bitfield past the end',
    raw([INT, ['s', info(KIND.STRUCT, 1, true), 4, 'a', 1, (8 << 24) | 28]]),
    'EINVAL',
  ],
  ['union member at an offset', raw([INT, ['u', info(KIND.UNION, 1), 4, 'a', 1, 8]]), 'EINVAL'],
  [
    'struct of a FWD',
    raw([
      ['f', info(KIND.FWD), 0],
      ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 0],
    ]),
    'EINVAL',
  ],
  ['self-containing struct', raw([['s', info(KIND.STRUCT, 1), 4, 'a', 1, 0]]), 'EEXIST'],
  [
    'struct with a pointer to itself',
    raw([
      ['s', info(KIND.STRUCT, 1), 8, 'p', 2, 0],
      [0, info(KIND.PTR), 1],
    ]),
    'ok',
  ],
  [
    'const loop',
    raw([
      [0, info(KIND.CONST), 2],
      [0, info(KIND.CONST), 1],
    ]),
    'EEXIST',
  ],
  [
    'pointer loop',
    raw([
      [0, info(KIND.PTR), 2],
      [0, info(KIND.CONST), 1],
    ]),
    'EEXIST',
  ],
  ['typedef without a name', raw([INT, [0, info(KIND.TYPEDEF), 1]]), 'EINVAL'],
  ['const with a name', raw([INT, ['c', info(KIND.CONST), 1]]), 'EINVAL'],
  ['typedef of void', raw([['v', info(KIND.TYPEDEF), 0]]), 'ok'],
  ['pointer out of range', raw([[0, info(KIND.PTR), 5]]), 'EINVAL'],
  ['INT too wide for its size', raw([['int', info(KIND.INT), 2, 32]]), 'EINVAL'],
  ['INT bad encoding', raw([['int', info(KIND.INT), 4, 0x03000020]]), 'ENOTSUPP'],
  ['INT with vlen', raw([['int', info(KIND.INT, 1), 4, 32]]), 'EINVAL'],
  ['array of int', raw([INT, [0, info(KIND.ARRAY), 0, 1, 1, 4]]), 'ok'],
  ['array with void elements', raw([INT, [0, info(KIND.ARRAY), 0, 0, 1, 4]]), 'EINVAL'],
  [
    'array indexed by a struct',
    raw([INT, ['s', info(KIND.STRUCT), 0], [0, info(KIND.ARRAY), 0, 1, 2, 4]]),
    'EINVAL',
  ],
  [
    'array of a bitfield int',
    raw([INT, ['b', info(KIND.INT), 4, 3], [0, info(KIND.ARRAY), 0, 2, 1, 4]]),
    'EINVAL',
  ],
  ['array too large', raw([INT, [0, info(KIND.ARRAY), 0, 1, 1, 0x40000001]]), 'EINVAL'],
  ['enum of size 3', raw([['e', info(KIND.ENUM, 1), 3, 'A', 1]]), 'EINVAL'],
  ['enum value without a name', raw([['e', info(KIND.ENUM, 1), 4, 0, 1]]), 'EINVAL'],
  ['signed enum64', raw([['e', info(KIND.ENUM64, 1, true), 8, 'A', 0xfffffffb, 0xffffffff]]), 'ok'],
  ['fwd without a name', raw([[0, info(KIND.FWD), 0]]), 'EINVAL'],
  ['float of size 3', raw([['f', info(KIND.FLOAT), 3]]), 'EINVAL'],
  ['decl tag on an INT', raw([INT, ['t', info(KIND.DECL_TAG), 1, -1]]), 'EINVAL'],
  [
    'decl tag component out of range',
    raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 0], ['t', info(KIND.DECL_TAG), 2, 1]]),
    'EINVAL',
  ],
  [
    'decl tag on a member',
    raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 0], ['t', info(KIND.DECL_TAG), 2, 0]]),
    'ok',
  ],
  ['type tag without a name', raw([INT, [0, info(KIND.TYPE_TAG), 1]]), 'EINVAL'],
  ['unknown kind', raw([[0, info(20), 0]]), 'EINVAL'],
  ['unused info bits', raw([[0, info(KIND.PTR) | 0x10000000, 0]]), 'EINVAL'],
  ['name offset past the strings', raw([[0x1000, info(KIND.INT), 4, 32]]), 'EINVAL'],
  ['truncated record', raw([[0, info(KIND.INT), 4]]), 'EINVAL'],
  ['no types', raw([]), 'EINVAL'],
  ['unaligned type_off', raw([INT], { typeOff: 2 }), 'EINVAL'],
];

/** Header mutants of a good BTF (flags, version, magic, lengths). */
function headerCases(): [string, Uint8Array, string][] {
  const good = raw([INT]);
  const out: [string, Uint8Array, string][] = [];
  const edit = (name: string, f: (b: Uint8Array, dv: DataView) => void, verdict: string) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    out.push([name, b, verdict]);
  };
  edit('bad magic', (b) => (b[0] = 0), 'EINVAL');
  edit('version 2', (b) => (b[2] = 2), 'ENOTSUPP');
  edit('flags 1', (b) => (b[3] = 1), 'ENOTSUPP');
  edit('str_len one short', (_b, dv) => dv.setUint32(20, dv.getUint32(20, true) - 1, true), 'EINVAL');
  edit('type_len past the end', (_b, dv) => dv.setUint32(12, 400, true), 'EINVAL');
  edit('hdr_len past the end', (_b, dv) => dv.setUint32(4, 4000, true), 'EINVAL');
  edit('string section not starting with NUL', (b, dv) => (b[24 + dv.getUint32(12, true)] = 0x41), 'EINVAL');
  out.push(['4 bytes', good.slice(0, 4), 'EINVAL']);
  out.push(['only a header', Uint8Array.of(...good.slice(0, 24)), 'EINVAL']);
  return out;
}

// --- fixtures --------------------------------------------------------------------------------------

/** Every fixture's raw `.BTF` and the loader's loadable form of it. */
function fixtureBtfs(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const f of readdirSync(FIXTURES)
    .filter((x) => x.endsWith('.bpfel.o'))
    .sort()) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, f)));
    const sec = elfSectionData(bytes, '.BTF');
    if (sec !== undefined) out.push([`${f} .BTF`, sec.slice()]);
    const loadable = BpfObject.open(bytes, hostOptions(2)).loadableBtf();
    if (loadable !== undefined) out.push([`${f} loadable`, loadable]);
  }
  return out;
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` mutants of `btf`: mostly one type-section word changed to a value near what makes checks
 * trip; some change a header field or a string-table byte instead.
 */
function mutants(name: string, btf: Uint8Array, n: number, seed: number): [string, Uint8Array][] {
  const dv = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const hdr = dv.getUint32(4, true);
  const typeStart = hdr + dv.getUint32(8, true);
  const words = dv.getUint32(12, true) / 4;
  const strStart = hdr + dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: [string, Uint8Array][] = [];
  for (let i = 0; i < n; i++) {
    const m = btf.slice();
    const mv = new DataView(m.buffer);
    const region = rnd();
    if (region < 0.08) {
      const at = 4 * (1 + Math.floor(rnd() * 5));
      const old = mv.getUint32(at, true);
      const v = pick([0, old + 1, old - 1, old + 4, old ^ 0x80000000]) >>> 0;
      mv.setUint32(at, v, true);
      out.push([`${name} header +${at}: ${old} -> ${v}`, m]);
      continue;
    }
    if (region < 0.16) {
      const at = strStart + Math.floor(rnd() * strLen);
      const v = pick([0, 0x2e, 0x20, 0x2d, 0x31, 0x7f, 0xc3, 0x41]);
      out.push([`${name} string byte ${at - strStart}: ${m[at]} -> ${v}`, m]);
      m[at] = v;
      continue;
    }
    const w = Math.floor(rnd() * words);
    const old = mv.getUint32(typeStart + 4 * w, true);
    const v =
      pick([
        0,
        1,
        old + 1,
        old - 1,
        old ^ 0x80000000,
        old ^ (1 << Math.floor(rnd() * 32)),
        old + 8,
        old * 2,
        0xffffffff,
        words,
      ]) >>> 0;
    mv.setUint32(typeStart + 4 * w, v, true);
    out.push([`${name} word ${w}: ${old} -> ${v}`, m]);
  }
  return out;
}

// --- running a case --------------------------------------------------------------------------------

interface Verdict {
  /** 'ok' or the errno name. */
  code: string;
  /** The last non-empty log line (level 1). */
  reason: string;
  log: string;
}

function load(b: Backend, btf: Uint8Array): Verdict {
  const logBuf = new Uint8Array(1 << 20);
  const text = () => new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)));
  const last = (log: string) =>
    log
      .split('\n')
      .filter((l) => l !== '')
      .at(-1) ?? '';
  try {
    b.btfLoad({ btf, logBuf, logLevel: 1 }).close();
    return { code: 'ok', reason: last(text()), log: text() };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return { code: e.code, reason: last(text()), log: text() };
  }
}

const [machineCase, kernelCase] = backends();
const kernel = kernelCase!.skip === false ? kernelCase!.backend() : undefined;

describe('BPF_BTF_LOAD: hand-built cases', () => {
  const m = machineCase!.backend();
  for (const [name, btf, expected, reason] of [...CASES, ...headerCases()] as [
    string,
    Uint8Array,
    string,
    RegExp?,
  ][]) {
    test(name, () => {
      const got = load(m, btf);
      assert.equal(got.code, expected, `${name}: machine\n${got.log}`);
      if (reason !== undefined) assert.match(got.reason, reason, name);
      if (kernel !== undefined) {
        const want = load(kernel, btf);
        assert.equal(want.code, expected, `${name}: kernel\n${want.log}`);
        assert.equal(got.reason, want.reason, name);
        assert.equal(got.log, want.log, `${name}: the whole level-1 log`);
      }
    });
  }
});

describe('BPF_BTF_LOAD: BTF from the src/btf builder', () => {
  test('every kind, one BTF', () => {
    const b = new Btf();
    const i = b.addInt('int', 4, { encoding: 1 });
    b.addEnum('e', 4, [
      { name: 'A', value: -1 },
      { name: 'B', value: 3 },
    ]);
    const s = b.addStruct('s', 8, [
      { name: 'a', type: i, bitOffset: 0, bitfieldSize: 3 },
      { name: 'b', type: i, bitOffset: 32 },
    ]);
    const v = b.addVar('x', i, 'global');
    b.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
    b.addFloat('double', 8);
    b.addDeclTag('tag', s, 0);
    b.addTypeTag('tt', i);
    b.addFwd('fw', 'union');
    const p = b.addFuncProto(i, [{ name: 'a', type: i }]);
    b.addFunc('f', p, 'global');
    b.addArray(i, i, 4);
    b.addPtr(s);
    const m = load(machineCase!.backend(), b.serialize());
    assert.equal(m.code, 'ok', m.log);
    if (kernel !== undefined) assert.equal(m.log, load(kernel, b.serialize()).log);
  });
});

describe('BPF_BTF_LOAD: fixtures and their mutants', () => {
  const fixtures = fixtureBtfs();
  test('fixture BTF: the same verdict as Linux; loadable forms accepted', () => {
    assert.ok(fixtures.length >= 8);
    const m = new Machine({ cpus: 2 });
    for (const [name, btf] of fixtures) {
      const got = load(m, btf);
      if (name.endsWith('loadable')) assert.equal(got.code, 'ok', `${name}\n${got.reason}`);
      if (kernel !== undefined) {
        const want = load(kernel, btf);
        assert.deepEqual([got.code, got.reason], [want.code, want.reason], name);
      }
    }
  });

  test('mutants: the same verdict, errno and reason line as Linux', { skip: kernel === undefined }, () => {
    const m = new Machine({ cpus: 2 });
    let refused = 0;
    let n = 0;
    const bad: string[] = [];
    fixtures.forEach(([name, btf], k) => {
      for (const [what, mutant] of mutants(name, btf, 40, 1000 + k)) {
        const got = load(m, mutant);
        const want = load(kernel!, mutant);
        if (got.code !== want.code || got.reason !== want.reason)
          bad.push(
            `${what}:\n  machine ${got.code} ${JSON.stringify(got.reason)}\n  kernel  ${want.code} ${JSON.stringify(want.reason)}`,
          );
        if (want.code !== 'ok') refused++;
        n++;
      }
    });
    assert.deepEqual(bad, [], bad.join('\n'));
    // The mutations must exercise refusals, not only harmless edits.
    assert.ok(refused > n / 4, `${refused} of ${n} refused`);
  });
});

/** Loads of one BTF with log buffers of several sizes and modes: verdict, buffer text, true size. */
function logCases(b: Backend, btf: Uint8Array): string[] {
  const out: string[] = [];
  for (const [level, size] of [
    [1, 1000],
    [1, 128],
    [9, 128],
    [1, 50],
    [0, 128],
  ] as const) {
    const logBuf = new Uint8Array(size);
    let r: string;
    try {
      const fd = b.btfLoad({ btf, logBuf, logLevel: level });
      r = `ok ${fd.logTrueSize}`;
      fd.close();
    } catch (e) {
      r = (e as BpfError).code;
    }
    out.push(
      `${level}/${size}: ${r} ${JSON.stringify(new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0))))}`,
    );
  }
  return out;
}

test('log buffers: rotating by default, fixed with BPF_LOG_FIXED, ENOSPC when the log does not fit', () => {
  const good = raw([INT, ['s', info(KIND.STRUCT, 1), 4, 'a', 1, 0]]);
  const bad = raw([INT, ['x', info(KIND.VAR), 0, 1]]);
  for (const btf of [good, bad]) {
    const got = logCases(new Machine({ cpus: 1 }), btf);
    assert.match(got[0]!, btf === good ? /^1\/1000: ok \d+ "magic/ : /^1\/1000: EINVAL "magic/);
    assert.match(got[1]!, /^1\/128: ENOSPC /);
    assert.match(got[4]!, /^0\/128: EINVAL ""/);
    if (kernel !== undefined) assert.deepEqual(got, logCases(kernel, btf));
  }
});

test('a refusal without a log buffer carries the level-1 log', () => {
  const m = new Machine({ cpus: 1 });
  const bad = CASES.find(([n]) => n === 'VAR of type void')![1];
  assert.throws(
    () => m.btfLoad({ btf: bad }),
    (e: unknown) => e instanceof VerifierError && /Invalid type_id/.test(e.message),
  );
  assert.equal(checkBtf(raw([INT])).ok, true);
});

// --- BTF in map and program info -------------------------------------------------------------------

/** MAP_CREATE with BTF type ids: the verdicts of `map_check_btf` for each map type and key/value pair. */
function mapBtfVerdicts(b: Backend): string[] {
  const btf = new Btf();
  const int = btf.addInt('int', 4, { encoding: 1 });
  const long = btf.addInt('long', 8, { encoding: 1 });
  const v = btf.addVar('x', int, 'global');
  const ds = btf.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
  const st = btf.addStruct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
  const td = btf.addTypedef('u32_t', btf.addConst(int));
  const fd = b.btfLoad({ btf: btf.serialize() });
  const out: string[] = [];
  try {
    // type, key size, value size, max entries
    const types: Record<string, [number, number, number, number]> = {
      array: [2, 4, 4, 1],
      array2: [2, 4, 4, 2],
      percpu_array: [6, 4, 4, 1],
      hash: [1, 4, 4, 1],
      lru_hash: [9, 4, 4, 1],
      prog_array: [3, 4, 4, 1],
      queue: [22, 0, 4, 1],
      bloom: [30, 0, 4, 1],
      ringbuf: [27, 0, 0, 4096],
    };
    const pairs: [number, number, string][] = [
      [0, int, 'k0 vint'],
      [int, int, 'kint vint'],
      [td, td, 'ktypedef vtypedef'],
      [0, ds, 'k0 vdatasec'],
      [int, long, 'kint vlong'],
      [long, int, 'klong vint'],
      [st, int, 'kstruct vint'],
      [int, st, 'kint vstruct'],
      [0, 99, 'k0 v99'],
      [int, 0, 'kint v0'],
    ];
    for (const [name, [mapType, keySize, valueSize, maxEntries]] of Object.entries(types)) {
      for (const [k, val, what] of pairs) {
        let verdict: string;
        try {
          const m = b.mapCreate({
            mapType,
            keySize,
            valueSize,
            maxEntries,
            btfFd: fd.fd,
            btfKeyTypeId: k,
            btfValueTypeId: val,
          });
          const info = b.objGetInfoByFd(m.fd, { kind: 'map' });
          const btfId = b.objGetInfoByFd(fd.fd, { kind: 'btf' }).id;
          verdict = `ok ${info.btfId === btfId} ${info.btfKeyTypeId === k} ${info.btfValueTypeId === val}`;
          m.close();
        } catch (e) {
          verdict = e instanceof BpfError ? e.code : String(e);
        }
        out.push(`${name} ${what}: ${verdict}`);
      }
    }
    for (const [what, btfFd] of [
      ['no such fd', 9999],
      ['stdin', 0],
    ] as const) {
      try {
        b.mapCreate({
          mapType: 2,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          btfFd,
          btfKeyTypeId: int,
          btfValueTypeId: int,
        }).close();
        out.push(`${what}: ok`);
      } catch (e) {
        out.push(`${what}: ${(e as BpfError).code}`);
      }
    }
    const plain = b.mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1, btfFd: fd.fd });
    out.push(`btf_fd without type ids: btf_id ${b.objGetInfoByFd(plain.fd, { kind: 'map' }).btfId}`);
    plain.close();
  } finally {
    fd.close();
  }
  return out;
}

/** A map and a program keep their BTF object (and its id) after its fd is closed. */
function btfKeptAlive(b: Backend): { map: number[]; prog: number[]; btf: number } {
  const btf = new Btf();
  const int = btf.addInt('int', 4, { encoding: 1 });
  const proto = btf.addFuncProto(int, [{ name: 'ctx', type: btf.addPtr(0) }]);
  const func = btf.addFunc('main', proto, 'global');
  const fd = b.btfLoad({ btf: btf.serialize() });
  const id = b.objGetInfoByFd(fd.fd, { kind: 'btf' }).id;
  const m = b.mapCreate({
    mapType: 2,
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
    btfFd: fd.fd,
    btfKeyTypeId: int,
    btfValueTypeId: int,
  });
  // r0 = 0; exit
  const insns = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
  const funcInfo = new Uint8Array(8);
  new DataView(funcInfo.buffer).setUint32(4, func, true);
  const p = b.progLoad({
    progType: 1,
    insns,
    license: 'GPL',
    progBtfFd: fd.fd,
    funcInfo,
    funcInfoRecSize: 8,
  });
  const plainProg = b.progLoad({ progType: 1, insns, license: 'GPL' });
  fd.close();
  try {
    const mi = b.objGetInfoByFd(m.fd, { kind: 'map' });
    const pi = b.objGetInfoByFd(p.fd, { kind: 'prog' });
    const qi = b.objGetInfoByFd(plainProg.fd, { kind: 'prog' });
    return {
      map: [mi.btfId - id, mi.btfKeyTypeId, mi.btfValueTypeId],
      prog: [
        pi.btfId - id,
        pi.nrFuncInfo,
        pi.funcInfoRecSize,
        pi.nrLineInfo,
        pi.lineInfoRecSize,
        qi.btfId,
        qi.nrFuncInfo,
        qi.funcInfoRecSize,
        qi.lineInfoRecSize,
        qi.jitedLineInfoRecSize,
      ],
      btf: b.objGetInfoByFd(m.fd, { kind: 'map' }).btfId === id ? 1 : 0,
    };
  } finally {
    m.close();
    p.close();
    plainProg.close();
  }
}

describe('BTF ids in map and program info', () => {
  test('MAP_CREATE with BTF: the same verdicts as Linux (map_check_btf), and the ids in map info', () => {
    const got = mapBtfVerdicts(new Machine({ cpus: 2 }));
    assert.ok(got.includes('array k0 vdatasec: ok true true true'), got.join('\n'));
    assert.ok(got.includes('hash k0 vint: EINVAL'), got.join('\n'));
    if (kernel !== undefined) assert.deepEqual(got, mapBtfVerdicts(kernel));
  });

  test('maps and programs hold their BTF; program info has the counts and Linux record sizes', () => {
    const got = btfKeptAlive(new Machine({ cpus: 2 }));
    assert.deepEqual(got, { map: [0, 1, 1], prog: [0, 1, 8, 0, 16, 0, 0, 8, 16, 8], btf: 1 });
    if (kernel !== undefined) assert.deepEqual(got, btfKeptAlive(kernel));
  });
});
