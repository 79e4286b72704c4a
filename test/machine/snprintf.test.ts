/**
 * bpf_snprintf (165) and bpf_probe_read (4) in the machine's verifier, compared with Linux 6.18:
 * the verdict, errno and error line of each load (the format string in a read-only map value
 * parsed at verification time; its refusals), and for accepted programs the test run's return
 * value and output bytes on both backends.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import type { Fd } from '../../src/sys/fd.js';
import { MapFlag, MapType, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { errorLine } from '../verifier/harness.js';
import { unprivProcess } from '../verifier/unpriv-harness.js';
import { KNOB, liveUnavailable } from '../verifier/unpriv-kernel.js';
import { insn } from './core-relo-case.js';
import { UNPRIV_CASES, unprivAnswer } from './snprintf-unpriv.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const mov = (d: number, imm: number) => insn(0xb7, d, 0, 0, imm);
const movR = (d: number, s: number) => insn(0xbf, d, s, 0, 0);
const add = (d: number, imm: number) => insn(0x07, d, 0, 0, imm);
const addR = (d: number, s: number) => insn(0x0f, d, s, 0, 0);
const and = (d: number, imm: number) => insn(0x57, d, 0, 0, imm);
const call = (id: number) => insn(0x85, 0, 0, 0, id);
const exit = () => insn(0x95, 0, 0, 0, 0);
/** `*(u64 *)(r10 + off) = imm` */
const st8 = (off: number, imm: number) => insn(0x7a, 10, 0, off, imm);
/** `*(u64 *)(r10 + off) = src` */
const stx8 = (off: number, src: number) => insn(0x7b, 10, src, off, 0);
/** `dst = &map_value(fd) + off` (ld_imm64 BPF_PSEUDO_MAP_VALUE) */
const ldValue = (d: number, fd: number, off: number) => cat(insn(0x18, d, 2, 0, fd), insn(0, 0, 0, 0, off));

const FMT_SIZE = 48;
const OUT_SIZE = 64;

interface Case {
  what: string;
  /** The format map's value (a string of bytes, one a char; the rest of the value is zero). */
  fmt: string;
  /** Format map flags (default BPF_F_RDONLY_PROG). */
  flags?: number;
  /** Freeze the format map (default true). */
  freeze?: boolean;
  /** Format map entries (default 1). */
  entries?: number;
  /** Offset of the format in the value (default 0). */
  off?: number;
  /** data_len (default 32: four u64 at fp-32: -5, 42, 0x1234abcd, &"str" at fp-48). */
  dataLen?: number;
  /** Instructions after r1..r5 are set, before the call. */
  patch?: Uint8Array;
  /** Output to the out map's value (default: the stack, fp-112). */
  toMap?: boolean;
  /** Output size (default 32 on the stack, OUT_SIZE in the map). */
  outSize?: number;
  /** Compare only the verdict (the output has hashed pointers or symbols). */
  verdictOnly?: boolean;
}

/**
 * The program: data (-5, 42, 0x1234abcd, &"str!" at fp-48) at fp-32..-8;
 * r1 = out, r2 = size, r3 = &fmt, r4 = fp-32, r5 = data_len; patch; call bpf_snprintf; exit.
 */
function program(c: Case, fmtFd: number, outFd: number): Uint8Array {
  return cat(
    st8(-32, -5),
    st8(-24, 42),
    st8(-16, 0x1234abcd),
    mov(1, 0x21727473), // "str!"
    stx8(-48, 1),
    movR(1, 10),
    add(1, -48),
    stx8(-8, 1),
    ...(c.toMap ? [ldValue(1, outFd, 0)] : [movR(1, 10), add(1, -112)]),
    mov(2, c.outSize ?? (c.toMap ? OUT_SIZE : 32)),
    ldValue(3, fmtFd, c.off ?? 0),
    movR(4, 10),
    add(4, -32),
    mov(5, c.dataLen ?? 32),
    ...(c.patch ? [c.patch] : []),
    call(165),
    exit(),
  );
}

function fmtMap(b: Backend, c: Case): Fd {
  const fd = b.mapCreate({
    mapType: MapType.ARRAY,
    keySize: 4,
    valueSize: FMT_SIZE,
    maxEntries: c.entries ?? 1,
    mapFlags: c.flags ?? MapFlag.RDONLY_PROG,
  });
  const v = new Uint8Array(FMT_SIZE);
  v.set(Uint8Array.from(c.fmt, (ch) => ch.charCodeAt(0)).subarray(0, FMT_SIZE));
  b.mapUpdateElem(fd.fd, new Uint8Array(4), v);
  if (c.freeze ?? true) b.mapFreeze(fd.fd);
  return fd;
}

/** 'ok <retval> <output>' after one test run, or errno code + error line. */
function answer(b: Backend, c: Case): string {
  using fmt = fmtMap(b, c);
  using out = b.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: OUT_SIZE, maxEntries: 1 });
  try {
    using p = b.progLoad({
      progType: ProgType.SOCKET_FILTER,
      insns: program(c, fmt.fd, out.fd),
      license: 'GPL',
      logLevel: 1,
    });
    const run = b.progTestRun({ progFd: p.fd, dataIn: new Uint8Array(64), repeat: 1 });
    if (c.verdictOnly) return 'ok';
    const v = new Uint8Array(OUT_SIZE);
    b.mapLookupElem(out.fd, new Uint8Array(4), v);
    let end = v.length;
    while (end > 0 && v[end - 1] === 0) end--;
    return `ok ${run.retval} ${JSON.stringify(String.fromCharCode(...v.subarray(0, end)))}`;
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0) return `${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${e.code} (no log)`;
    throw e;
  }
}

/** r3 = r3 + (random & 3): a format pointer with a variable offset. */
const varOff = cat(
  movR(6, 3),
  call(7),
  and(0, 3),
  addR(6, 0),
  movR(3, 6),
  movR(1, 10),
  add(1, -112),
  mov(2, 32),
);

const CASES: Case[] = [
  {
    what: 'numbers',
    fmt: '%d %i %u %x %X',
    dataLen: 40,
    patch: cat(st8(-40, 0), st8(-8, -2), movR(4, 10), add(4, -40)),
    toMap: true,
  },
  { what: '64-bit, flags and width', fmt: '%lld|%-6lu|%06llx|%+d|% d|%llX', toMap: true, dataLen: 32 },
  { what: '%% and %c', fmt: '100%% %c%c', dataLen: 32, patch: cat(st8(-32, 0x41), st8(-24, 0x7e)) },
  { what: '%s of a stack string', fmt: '%d %d %d <%s>', toMap: true },
  { what: '%s of a bad address', fmt: '<%s> %d', toMap: true },
  { what: '%s then a Latin-1 sign', fmt: '%d %d %d %s\u00d7', toMap: true },
  { what: 'Latin-1 letters and a no-break space', fmt: 'caf\u00e9\u00a0%d', toMap: true },
  { what: 'fewer conversions than arguments', fmt: 'x=%d', toMap: true },
  { what: 'no conversions, data_len 0', fmt: 'plain text\t!', dataLen: 0, toMap: true },
  { what: 'NULL data with data_len 0', fmt: 'abc', dataLen: 0, patch: mov(4, 0), toMap: true },
  { what: 'NULL output with size 0', fmt: '%d', patch: cat(mov(1, 0), mov(2, 0)) },
  { what: 'output truncated', fmt: '%d and more text', outSize: 5, toMap: true },
  { what: 'format at an offset', fmt: 'xxxxxx%u', off: 6, toMap: true },
  { what: '%pI4 and %pi4', fmt: '%d %d %d %pI4|%d %d %d %pi4', toMap: true },
  { what: '%pI6', fmt: '%d %d %d %pI6', patch: st8(-40, 0x01000000), toMap: true },
  { what: '%pi6', fmt: '%d %d %d %pi6', patch: st8(-40, 0x01000000), toMap: true },
  { what: '%pks of a stack string', fmt: '%d %d %d <%pks>', toMap: true },
  { what: '%pus of a stack address', fmt: '%d %d %d <%pus>', toMap: true },
  { what: '%pks of a bad address', fmt: '<%pks>', toMap: true },
  { what: '%pI4 of a bad address', fmt: '<%pI4>', toMap: true },
  { what: '%px', fmt: '%px', dataLen: 32, patch: cat(st8(-32, 0x1234)), toMap: true },
  { what: 'format in a writable map', fmt: '%d', flags: 0 },
  { what: 'format in a read-only map not frozen', fmt: '%d', freeze: false },
  { what: 'format in a frozen map without BPF_F_RDONLY_PROG', fmt: '%d', flags: 0, freeze: true },
  { what: 'format in a read-only array of 2 elements', fmt: '%d', entries: 2 },
  { what: 'format not NUL-terminated', fmt: 'x'.repeat(FMT_SIZE) },
  { what: 'format not NUL-terminated after its offset', fmt: `%d${'\0'}${'y'.repeat(FMT_SIZE - 3)}`, off: 3 },
  { what: 'unknown conversion %q', fmt: 'x %q' },
  { what: '%o', fmt: '%o' },
  { what: 'precision', fmt: '%5.2d' },
  { what: 'h modifier', fmt: '%hd' },
  { what: 'z modifier', fmt: '%zu' },
  { what: 'lll', fmt: '%llld' },
  { what: '%s followed by a letter', fmt: '%sx' },
  { what: '%pX', fmt: '%pX' },
  { what: '%pI5', fmt: '%pI5' },
  { what: 'non-printable byte', fmt: 'a\x01b' },
  { what: 'a C1 control byte', fmt: 'a\u0085b', toMap: true },
  { what: 'DEL', fmt: 'a\u007fb' },
  { what: 'ESC', fmt: 'a\u001bb' },
  { what: 'byte 0x80', fmt: 'a\u0080b' },
  { what: 'byte 0xff', fmt: 'a\u00ffb' },
  { what: '%s then byte 0x85', fmt: '%s\u0085' },
  { what: '%s then DEL', fmt: '%s\u007f' },
  { what: '%s then a Latin-1 letter', fmt: '%s\u00e9' },
  { what: '% at the end', fmt: 'abc %' },
  { what: 'more conversions than arguments', fmt: '%d %d %d %d %d' },
  { what: 'conversions with data_len 0', fmt: '%d', dataLen: 0 },
  { what: 'data_len not a multiple of 8', fmt: '%d', dataLen: 7 },
  { what: 'data_len 12', fmt: '%d', dataLen: 12 },
  { what: 'NULL data with data_len 8', fmt: '%d', dataLen: 8, patch: mov(4, 0) },
  { what: 'NULL output with size 32', fmt: '%d', patch: mov(1, 0) },
  { what: 'format pointer on the stack', fmt: '%d', patch: movR(3, 10) },
  { what: 'NULL format', fmt: '%d', patch: mov(3, 0) },
  { what: 'format pointer with a variable offset', fmt: '%d', patch: varOff },
  { what: 'format pointer past the value', fmt: '%d', patch: add(3, FMT_SIZE) },
  { what: 'format pointer before the value', fmt: '%d', patch: add(3, -1) },
  { what: 'pointer conversions, too many for the data', fmt: '%pK %pS %pB %pI4 %pi6 %ps %p', dataLen: 72 },
  { what: '%pK %pS %pB %p', fmt: '%pK %pS %pB %p', verdictOnly: true },
  { what: '%ps, %px and %p before punctuation', fmt: '%ps|%px,%p.%p', verdictOnly: true },
  { what: '%pks followed by a letter', fmt: '%pksx' },
  { what: '%pI4 followed by a letter', fmt: '%pI4x', verdictOnly: true },
];

test(
  'bpf_snprintf: the same verdict, errno, error line, return value and output as Linux',
  {
    skip: kernel.skip,
  },
  () => {
    const k = kernel.backend();
    const m = new Machine();
    const want = CASES.map((c) => `${c.what}: ${answer(k, c)}`);
    const got = CASES.map((c) => `${c.what}: ${answer(m, c)}`);
    for (let i = 0; i < want.length; i++)
      if (got[i] !== want[i]) console.log(`want ${want[i]}\ngot  ${got[i]}`);
    assert.deepEqual(got, want);
    // the cases cover both verdicts
    assert.ok(want.filter((w) => /: ok /.test(w)).length >= 10);
    assert.ok(want.filter((w) => /: E[A-Z]+: /.test(w)).length >= 20);
  },
);

interface ProbeCase {
  what: string;
  progType: number;
  insns: Uint8Array;
  license?: string;
  run?: boolean;
}

/** r1 = fp-16, r2 = 16, r3 = addr-ish; call probe_read; r0 += *(fp-16); exit */
const probeRead = (r3: Uint8Array, size = mov(2, 16)) =>
  cat(movR(1, 10), add(1, -16), size, r3, call(4), insn(0x79, 1, 10, -16, 0), addR(0, 1), exit());

const PROBE: ProbeCase[] = [
  { what: 'kprobe', progType: ProgType.KPROBE, insns: probeRead(mov(3, 0)) },
  { what: 'tracepoint', progType: ProgType.TRACEPOINT, insns: probeRead(mov(3, 0)) },
  { what: 'raw tracepoint', progType: ProgType.RAW_TRACEPOINT, insns: probeRead(mov(3, 0)) },
  { what: 'syscall, NULL source', progType: ProgType.SYSCALL, insns: probeRead(mov(3, 0)), run: true },
  {
    what: 'syscall, kernel-half source',
    progType: ProgType.SYSCALL,
    insns: probeRead(cat(mov(3, -1), insn(0x67, 3, 0, 0, 63))),
    run: true,
  },
  { what: 'socket filter', progType: ProgType.SOCKET_FILTER, insns: probeRead(mov(3, 0)) },
  { what: 'xdp', progType: ProgType.XDP, insns: probeRead(mov(3, 0)) },
  { what: 'perf event', progType: ProgType.PERF_EVENT, insns: probeRead(mov(3, 0)) },
  {
    what: 'writable raw tracepoint',
    progType: ProgType.RAW_TRACEPOINT_WRITABLE,
    insns: probeRead(mov(3, 0)),
  },
  { what: 'sched_cls', progType: ProgType.SCHED_CLS, insns: probeRead(mov(3, 0)) },
  { what: 'sk_skb', progType: ProgType.SK_SKB, insns: probeRead(mov(3, 0)) },
  { what: 'kprobe, non-GPL', progType: ProgType.KPROBE, insns: probeRead(mov(3, 0)), license: 'MIT' },
  { what: 'kprobe, size 0', progType: ProgType.KPROBE, insns: probeRead(mov(3, 0), mov(2, 0)) },
  { what: 'kprobe, size past the stack', progType: ProgType.KPROBE, insns: probeRead(mov(3, 0), mov(2, 17)) },
  {
    what: 'kprobe, unbounded size',
    progType: ProgType.KPROBE,
    insns: cat(call(7), movR(2, 0), probeRead(mov(3, 0), movR(2, 2))),
  },
  {
    what: 'kprobe, destination is the ctx',
    progType: ProgType.KPROBE,
    insns: cat(mov(2, 8), mov(3, 0), call(4), mov(0, 0), exit()),
  },
];

function probeAnswer(b: Backend, c: ProbeCase): string {
  try {
    using p = b.progLoad({
      progType: c.progType,
      insns: c.insns,
      license: c.license ?? 'GPL',
      logLevel: 1,
      ...(c.progType === ProgType.SYSCALL ? { progFlags: ProgFlag.SLEEPABLE } : {}),
    });
    if (!c.run) return 'ok';
    const run = b.progTestRun({ progFd: p.fd, repeat: 1 });
    return `ok ${run.retval | 0}`;
  } catch (e) {
    if (e instanceof VerifierError && e.lines.length > 0) return `${e.code}: ${errorLine(e.lines)}`;
    if (e instanceof BpfError) return `${e.code} (no log)`;
    throw e;
  }
}

test(
  'bpf_probe_read: the same program types, verdicts, lines and results as Linux',
  { skip: kernel.skip },
  () => {
    const k = kernel.backend();
    const m = new Machine();
    const want = PROBE.map((c) => `${c.what}: ${probeAnswer(k, c)}`);
    const got = PROBE.map((c) => `${c.what}: ${probeAnswer(m, c)}`);
    assert.deepEqual(got, want);
    assert.ok(want.filter((w) => /: ok/.test(w)).length >= 4);
  },
);

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const unprivSkip = kernel.skip || liveUnavailable() || (SETPRIV === undefined ? 'no setpriv' : false);

test('bpf_snprintf without capabilities: refused as on Linux', { skip: unprivSkip }, () => {
  // the kernel's answers from a child with every capability dropped, unprivileged bpf(2) enabled
  const before = readFileSync(KNOB, 'utf8').trim();
  let r: ReturnType<typeof spawnSync>;
  try {
    if (before !== '0') writeFileSync(KNOB, '0');
    r = spawnSync(
      SETPRIV!,
      [
        '--bounding-set=-all',
        '--inh-caps=-all',
        '--ambient-caps=-all',
        '--',
        process.execPath,
        '--import',
        'tsx',
        new URL('./snprintf-unpriv-child.ts', import.meta.url).pathname,
      ],
      { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8' },
    );
  } finally {
    if (readFileSync(KNOB, 'utf8').trim() !== before) writeFileSync(KNOB, before);
  }
  assert.equal(r.status, 0, String(r.stderr));
  const want = JSON.parse(String(r.stdout)) as string[];
  const m = unprivProcess();
  const got = UNPRIV_CASES.map((c) => unprivAnswer(m as unknown as Backend, c));
  assert.deepEqual(got, want);
  assert.equal(want.length, UNPRIV_CASES.length);
});
