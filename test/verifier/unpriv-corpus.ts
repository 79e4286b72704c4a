/**
 * The unprivileged corpus: what a process without CAP_BPF / CAP_PERFMON / CAP_SYS_ADMIN may
 * create and load, with `kernel.unprivileged_bpf_disabled` = 0.
 *
 * - `unpriv/*`: hand-written socket filters, one or more per unprivileged rule of the verifier
 *   (pointer leaks, pointer comparisons, pointer arithmetic and its sanitation, stack, back-edges,
 *   bpf-to-bpf calls, helpers, speculative paths), with accepted twins;
 * - `sock/*`: every socket filter of the main corpus (test/verifier/corpus.ts), loaded unprivileged;
 * - `load/*`: PROG_LOAD attribute checks for unprivileged callers (program types, size limit);
 * - `mapcreate/*`: MAP_CREATE of each map type (and privileged flags) by an unprivileged caller.
 *
 * Map references in assembly are `map[idx:K]` / `map_value[idx:K]+OFF` into `maps`, passed as
 * fd_array; the maps are created by the loading process itself.
 */

import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import type { Insn } from '../../src/isa/insn.js';
import { MapFlag, MapType, ProgType } from '../../src/uapi/constants.js';
import { type CorpusMap, type CorpusProgram, corpus } from './corpus.js';

/** One MAP_CREATE case. */
export interface MapCreateCase {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

const SOCK = ProgType.SOCKET_FILTER;

const ARR: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 };
const ARR1: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };
const ARR48: CorpusMap = { type: MapType.ARRAY, keySize: 4, valueSize: 48, maxEntries: 1 };
const HASH: CorpusMap = { type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 16 };
const PROGS: CorpusMap = { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 };
const RB: CorpusMap = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
const PERF: CorpusMap = { type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };

/** r6 = ctx; r0 = lookup(map 0, key 0 on the stack at -4). */
const LOOKUP = `
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[idx:0] ll
call 1`;

/** LOOKUP, then to `out` when null: r0 is a non-null map value after it. */
const VALUE = `${LOOKUP}\nif r0 == 0 goto out`;

/** r7 = an unknown scalar (prandom). */
const RAND = 'call 7\nr7 = r0';

const OUT = 'out:\nr0 = 0\nexit';

/** [name, asm, maps] of the hand-written socket filters. */
const HAND: [string, string, CorpusMap[]?][] = [
  // --- accepted basics
  ['ok/return0', 'r0 = 0\nexit'],
  ['ok/return-scalar', 'r0 = -1\nexit'],
  ['ok/lookup-read', `${VALUE}\nr0 = *(u64 *)(r0 + 0)\nexit\n${OUT}`, [ARR]],
  ['ok/lookup-write', `${VALUE}\nr1 = 7\n*(u64 *)(r0 + 0) = r1\n${OUT}`, [ARR]],
  [
    'ok/hash-lookup',
    `r6 = r1\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 8)\nexit\n${OUT}`,
    [HASH],
  ],
  [
    'ok/map-update',
    'r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [ARR],
  ],
  [
    'ok/map-delete',
    'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 3\nr0 = 0\nexit',
    [HASH],
  ],
  ['ok/ld-abs', 'r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = *(u16 *)skb[12]\nexit'],
  ['ok/ld-ind', 'r6 = r1\nr7 = 2\nr0 = *(u32 *)skb[r7 + 4]\nexit'],
  ['ok/ctx-len', 'r0 = *(u32 *)(r1 + 0)\nexit'],
  ['ok/ctx-cb-write', 'r2 = 5\n*(u32 *)(r1 + 48) = r2\nr0 = *(u32 *)(r1 + 48)\nexit'],
  ['ok/forward-branches', `${RAND}\nif r7 > 10 goto a\nr0 = 1\nexit\na:\nr0 = 2\nexit`],
  ['ok/ld-imm64-scalar', 'r0 = 0x1122334455667788 ll\nexit'],
  ['ok/map-value-direct', 'r1 = map_value[idx:0]+0 ll\nr0 = *(u64 *)(r1 + 0)\nexit', [ARR1]],
  ['mapvalue/direct-4-entries', 'r1 = map_value[idx:0]+0 ll\nr0 = *(u64 *)(r1 + 0)\nexit', [ARR]],
  ['ok/map-value-direct-off', 'r1 = map_value[idx:0]+40 ll\nr0 = *(u64 *)(r1 + 0)\nexit', [ARR48]],
  // --- R0 returning a pointer
  ['leak-ret/ctx', 'r0 = r1\nexit'],
  ['leak-ret/fp', 'r0 = r10\nexit'],
  ['leak-ret/fp-minus-8', 'r0 = r10\nr0 += -8\nexit'],
  ['leak-ret/ctx-plus-8', 'r0 = r1\nr0 += 8\nexit'],
  ['leak-ret/map-value', `${VALUE}\nexit\n${OUT}`, [ARR]],
  ['leak-ret/map-value-or-null', `${LOOKUP}\nexit`, [ARR]],
  ['leak-ret/map-ptr', 'r0 = map[idx:0] ll\nexit', [ARR]],
  ['leak-ret/map-value-direct', 'r0 = map_value[idx:0]+0 ll\nexit', [ARR1]],
  ['leak-ret/spill-fill', '*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit'],
  ['leak-ret/one-path', `r6 = r1\n${RAND}\nr0 = 0\nif r7 > 5 goto out\nr0 = r6\nout:\nexit`],
  ['leak-ret/scalar-plus-ptr', 'r0 = 1\nr0 += r1\nexit'],
  ['leak-ret/map-value-sub-ptr', `${VALUE}\nr1 = r0\nr0 -= r1\nexit\n${OUT}`, [ARR]],
  ['leak-ret/fp-sub-fp', 'r0 = r10\nr1 = r10\nr0 -= r1\nexit'],
  // --- storing pointers
  ['leak-store/ctx-into-map', `${VALUE}\n*(u64 *)(r0 + 0) = r6\n${OUT}`, [ARR]],
  ['leak-store/fp-into-map', `${VALUE}\n*(u64 *)(r0 + 0) = r10\n${OUT}`, [ARR]],
  ['leak-store/value-into-itself', `${VALUE}\n*(u64 *)(r0 + 0) = r0\n${OUT}`, [ARR]],
  ['leak-store/ctx-into-map-u32', `${VALUE}\n*(u32 *)(r0 + 0) = r6\n${OUT}`, [ARR]],
  [
    'leak-store/ctx-into-hash',
    `r6 = r1\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\n*(u64 *)(r0 + 8) = r6\n${OUT}`,
    [HASH],
  ],
  ['leak-store/map-ptr-into-map', `${VALUE}\nr1 = map[idx:0] ll\n*(u64 *)(r0 + 0) = r1\n${OUT}`, [ARR]],
  ['leak-store/atomic-add-ptr', `${VALUE}\nlock *(u64 *)(r0 + 0) += r6\n${OUT}`, [ARR]],
  ['leak-store/atomic-xchg-ptr', `${VALUE}\nr6 = xchg_64(r0 + 0, r6)\n${OUT}`, [ARR]],
  [
    'leak-store/atomic-fetch-add-ptr-stack',
    '*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 = atomic_fetch_add((u64 *)(r10 - 8), r2)\nr0 = 0\nexit',
  ],
  ['leak-store/ctx-into-ctx-cb', '*(u32 *)(r1 + 48) = r1\nr0 = 0\nexit'],
  ['leak-store/fp-into-ctx-cb', '*(u32 *)(r1 + 48) = r10\nr0 = 0\nexit'],
  ['ok/store-ptr-on-stack', '*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r10\nr0 = 0\nexit'],
  ['stack/spill-ptr-u32', '*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit'],
  ['stack/corrupt-spilled-ptr-stx', '*(u64 *)(r10 - 8) = r1\nr2 = 0\n*(u32 *)(r10 - 8) = r2\nr0 = 0\nexit'],
  ['stack/corrupt-spilled-ptr-st', '*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 4) = 0\nr0 = 0\nexit'],
  ['stack/corrupt-spilled-ptr-u8', '*(u64 *)(r10 - 8) = r1\nr2 = 1\n*(u8 *)(r10 - 1) = r2\nr0 = 0\nexit'],
  [
    'ok/overwrite-spilled-ptr-u64',
    '*(u64 *)(r10 - 8) = r1\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nr0 = *(u64 *)(r10 - 8)\nexit',
  ],
  ['stack/fill-spilled-ptr-u32', '*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nr0 = 0\nexit'],
  ['stack/fill-spilled-ptr-hi-u32', '*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 4)\nr0 = 0\nexit'],
  [
    'leak-store/atomic-on-spilled-ptr',
    '*(u64 *)(r10 - 8) = r1\nr2 = 1\nlock *(u64 *)(r10 - 8) += r2\nr0 = 0\nexit',
  ],
  // --- pointers as helper arguments
  [
    'leak-helper/update-flags-ptr',
    'r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = r10\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [ARR],
  ],
  [
    'leak-helper/update-value-spilled-ptr',
    'r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r10\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [ARR],
  ],
  [
    'leak-helper/update-key-spilled-ptr',
    '*(u64 *)(r10 - 8) = r10\nr1 = 0\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -24\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [HASH],
  ],
  ['leak-helper/tail-call-index-ptr', 'r3 = r10\nr2 = map[idx:0] ll\ncall 12\nr0 = 0\nexit', [PROGS]],
  ['ok/tail-call', 'r3 = 0\nr2 = map[idx:0] ll\ncall 12\nr0 = 0\nexit', [PROGS]],
  [
    'leak-helper/ringbuf-output-flags-ptr',
    'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = r10\nr1 = map[idx:0] ll\ncall 130\nr0 = 0\nexit',
    [RB],
  ],
  [
    'leak-helper/ringbuf-output-data-ptr',
    '*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\nr1 = map[idx:0] ll\ncall 130\nr0 = 0\nexit',
    [RB],
  ],
  [
    'ok/ringbuf-output',
    'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\nr1 = map[idx:0] ll\ncall 130\nr0 = 0\nexit',
    [RB],
  ],
  [
    'ok/ringbuf-reserve-submit',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = 7\n*(u64 *)(r0 + 8) = r1\nr1 = r0\nr2 = 0\ncall 132\n${OUT}`,
    [RB],
  ],
  [
    'leak-store/ptr-into-ringbuf-record',
    `r6 = r1\nr1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\n*(u64 *)(r0 + 8) = r6\nr1 = r0\nr2 = 0\ncall 132\n${OUT}`,
    [RB],
  ],
  [
    'leak-helper/ringbuf-submit-flags-ptr',
    `r6 = r1\nr1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr1 = r0\nr2 = r6\ncall 132\n${OUT}`,
    [RB],
  ],
  ['ok/ringbuf-query', 'r1 = map[idx:0] ll\nr2 = 0\ncall 134\nexit', [RB]],
  ['leak-helper/skb-load-bytes-off-ptr', 'r2 = r10\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = 0\nexit'],
  ['ok/skb-load-bytes', 'r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit'],
  [
    'ok/perf-event-output',
    'r2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 = map[idx:0] ll\nr3 = 0xffffffff ll\nr4 = r10\nr4 += -8\nr5 = 8\ncall 25\nr0 = 0\nexit',
    [PERF],
  ],
  [
    'leak-helper/perf-event-output-data-ptr',
    '*(u64 *)(r10 - 8) = r1\nr2 = map[idx:0] ll\nr3 = 0xffffffff ll\nr4 = r10\nr4 += -8\nr5 = 8\ncall 25\nr0 = 0\nexit',
    [PERF],
  ],
  // --- pointer comparisons
  ['cmp/ctx-eq-0', 'if r1 == 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/ctx-ne-0', 'if r1 != 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/ctx-eq-1', 'if r1 == 1 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/ctx-gt-0', 'if r1 > 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/ctx-jset', 'if r1 & 1 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/fp-eq-ctx', 'if r1 == r10 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/scalar-vs-ptr', `r6 = r1\n${RAND}\nif r7 > r6 goto out\nr0 = 1\nexit\n${OUT}`],
  ['cmp/ptr-vs-scalar', `r6 = r1\n${RAND}\nif r6 > r7 goto out\nr0 = 1\nexit\n${OUT}`],
  ['cmp/map-value-gt-5', `${VALUE}\nif r0 > 5 goto out\n${OUT}`, [ARR]],
  ['cmp/map-value-eq-0-again', `${VALUE}\nif r0 == 0 goto out\n${OUT}`, [ARR]],
  ['cmp/map-or-null-jmp32', `${LOOKUP}\nif w0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\n${OUT}`, [ARR]],
  ['cmp/map-or-null-eq-1', `${LOOKUP}\nif r0 == 1 goto out\n${OUT}`, [ARR]],
  [
    'cmp/map-or-null-vs-reg0',
    `${LOOKUP}\nr1 = 0\nif r0 == r1 goto out\nr0 = *(u64 *)(r0 + 0)\n${OUT}`,
    [ARR],
  ],
  [
    'ok/null-check-ne',
    `${LOOKUP}\nif r0 != 0 goto use\nr0 = 0\nexit\nuse:\nr0 = *(u64 *)(r0 + 0)\nexit`,
    [ARR],
  ],
  [
    'cmp/two-values',
    `${VALUE}\nr7 = r0\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nif r0 == 0 goto out\nif r0 == r7 goto out\n${OUT}`,
    [ARR],
  ],
  ['cmp/fp-eq-0', 'r1 = r10\nif r1 == 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['cmp/map-ptr-eq-0', 'r1 = map[idx:0] ll\nif r1 == 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit', [ARR]],
  // --- ALU on pointers
  ['alu/ctx-add-const', 'r1 += 8\nr0 = 0\nexit'],
  ['alu/ctx-add-unknown', `r6 = r1\n${RAND}\nr7 &= 7\nr6 += r7\nr0 = 0\nexit`],
  ['alu/ctx-32bit-add', 'w1 += 1\nr0 = 0\nexit'],
  ['alu/ctx-mov32', 'w0 = w1\nr0 = 0\nexit'],
  ['alu/ctx-movsx32', 'r0 = (s32)r1\nr0 = 0\nexit'],
  ['alu/ctx-and', 'r1 &= 1\nr0 = 0\nexit'],
  ['alu/ctx-or', 'r1 |= 1\nr0 = 0\nexit'],
  ['alu/ctx-mul', 'r1 *= 2\nr0 = 0\nexit'],
  ['alu/ctx-lsh', 'r1 <<= 1\nr0 = 0\nexit'],
  ['alu/ctx-neg', 'r1 = -r1\nr0 = 0\nexit'],
  ['alu/ctx-bswap', 'r1 = be64 r1\nr0 = 0\nexit'],
  ['alu/ctx-plus-fp', 'r1 += r10\nr0 = 0\nexit'],
  ['alu/fp-minus-ctx', 'r2 = r10\nr2 -= r1\nr0 = 0\nexit'],
  ['alu/scalar-minus-ptr', 'r0 = 1\nr0 -= r10\nr0 = 0\nexit'],
  ['alu/fp-sub-const', 'r1 = r10\nr1 -= 8\nr0 = 0\nexit'],
  ['alu/fp-add-0', 'r1 = r10\nr1 += 0\nr0 = 0\nexit'],
  ['alu/fp-add-minus-512', 'r1 = r10\nr1 += -512\nr0 = 0\nexit'],
  ['alu/fp-add-minus-520', 'r1 = r10\nr1 += -520\nr0 = 0\nexit'],
  ['alu/fp-add-8', 'r1 = r10\nr1 += 8\nr0 = 0\nexit'],
  ['alu/fp-add-unknown-masked', `${RAND}\nr7 &= 7\nr1 = r10\nr1 += -16\nr1 += r7\nr0 = 0\nexit`],
  [
    'alu/fp-add-unknown-write',
    `${RAND}\nr7 &= 8\nr1 = r10\nr1 += -16\nr1 += r7\nr2 = 1\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit`,
  ],
  [
    'alu/fp-add-unknown-read',
    `r1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n${RAND}\nr7 &= 8\nr1 = r10\nr1 += -16\nr1 += r7\nr0 = *(u64 *)(r1 + 0)\nexit`,
  ],
  ['alu/fp-add-unknown-unbounded', `${RAND}\nr1 = r10\nr1 += r7\nr0 = 0\nexit`],
  ['alu/map-ptr-add-0', 'r1 = map[idx:0] ll\nr1 += 0\nr0 = 0\nexit', [ARR]],
  ['alu/map-ptr-add-8', 'r1 = map[idx:0] ll\nr1 += 8\nr0 = 0\nexit', [ARR]],
  ['alu/map-or-null-add', `${LOOKUP}\nr0 += 1\nr0 = 0\nexit`, [ARR]],
  ['alu/value-add-in-range', `${VALUE}\nr0 += 40\nr0 = *(u64 *)(r0 + 0)\nexit\n${OUT}`, [ARR48]],
  ['alu/value-add-last-byte', `${VALUE}\nr0 += 47\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  ['alu/value-add-end', `${VALUE}\nr0 += 48\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  ['alu/value-add-far', `${VALUE}\nr0 += 4096\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  ['alu/value-sub-1', `${VALUE}\nr0 += -1\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  ['alu/value-sub-1-then-back', `${VALUE}\nr0 += -1\nr0 += 1\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`, [ARR48]],
  [
    'alu/value-add-masked',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-masked-over',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 63\nr0 += r7\nr0 = 0\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-masked-over-read',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 63\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-bounded-cmp',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nif r7 > 40 goto out\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-unbounded',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr0 += r7\nr0 = 0\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-mixed-sign',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr7 += -4\nr0 += 8\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-add-negative',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr7 -= 8\nr0 += 16\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-sub-unknown',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr0 += 16\nr0 -= r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-scalar-plus-ptr',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr7 += r0\nr0 = *(u8 *)(r7 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-two-paths',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr8 = r7\nr8 &= 1\nif r8 == 0 goto b\nr0 += 8\nb:\nr7 &= 7\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  ['alu/value-32bit-add', `${VALUE}\nw0 += 1\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  [
    'alu/value-add-unknown-32',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nw7 &= 7\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-direct-add-unknown',
    `${RAND}\nr7 &= 7\nr1 = map_value[idx:0]+0 ll\nr1 += r7\nr0 = *(u8 *)(r1 + 0)\nexit`,
    [ARR48],
  ],
  // --- masking limits must agree on every path through one pointer arithmetic slot
  [
    'alu/paths-different-masks',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr8 = r7\nr8 &= 1\nif r8 == 0 goto b\nr7 &= 7\ngoto c\nb:\nr7 &= 15\nc:\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/paths-same-mask',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr8 = r7\nr8 &= 1\nif r8 == 0 goto b\nr7 &= 7\ngoto c\nb:\nr7 &= 7\nc:\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/paths-const-vs-unknown',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr8 = r7\nr8 &= 1\nif r8 == 0 goto b\nr7 = 4\ngoto c\nb:\nr7 &= 7\nc:\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/paths-neg-vs-pos',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr0 += 16\nr8 = r7\nr8 &= 1\nr7 &= 7\nif r8 == 0 goto c\nr7 -= 8\nc:\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/paths-two-consts',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr8 = 8\nif r7 > 5 goto c\nr8 = 16\nc:\nr0 += r8\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/paths-fp-two-consts',
    `${RAND}\nr2 = -8\nif r7 > 5 goto c\nr2 = -16\nc:\nr1 = r10\nr1 += r2\nr3 = 0\n*(u64 *)(r1 + 0) = r3\nr0 = 0\nexit`,
  ],
  ['alu/fp-plus-const-reg', 'r2 = -8\nr1 = r10\nr1 += r2\nr3 = 0\n*(u64 *)(r1 + 0) = r3\nr0 = 0\nexit'],
  ['alu/const-reg-plus-fp', 'r1 = -8\nr1 += r10\nr3 = 0\n*(u64 *)(r1 + 0) = r3\nr0 = 0\nexit'],
  [
    'alu/value-minus-const-reg',
    `${VALUE}\nr0 += 16\nr1 = 8\nr0 -= r1\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/value-sub-unknown-in-range',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nr7 &= 7\nr0 += 8\nr0 -= r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'alu/two-maps-same-limit',
    `r9 = r1\n${RAND}\nr6 = r7\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[idx:0] ll\nif r6 > 5 goto m\nr1 = map[idx:1] ll\nm:\ncall 1\nif r0 == 0 goto out\nr7 &= 7\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48, { ...ARR48, valueSize: 16 }],
  ],
  // --- ringbuf records, atomics, more pointer forms
  [
    'mem/ringbuf-add-const',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr0 += 8\nr1 = 7\n*(u64 *)(r0 + 0) = r1\nr1 = r0\nr1 += -8\nr2 = 0\ncall 133\n${OUT}`,
    [RB],
  ],
  [
    'mem/ringbuf-add-unknown',
    `${RAND}\nr1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\nr7 &= 7\nr0 += r7\nr1 = r6\nr2 = 0\ncall 133\n${OUT}`,
    [RB],
  ],
  [
    'mem/ringbuf-null-check-twice',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nif r0 != 0 goto s\nr0 = 0\nexit\ns:\nr1 = r0\nr2 = 0\ncall 132\n${OUT}`,
    [RB],
  ],
  [
    'mem/ringbuf-cmp-ptr',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nif r0 > 7 goto s\ns:\nr1 = r0\nr2 = 0\ncall 132\n${OUT}`,
    [RB],
  ],
  [
    'mem/ringbuf-return',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\nr2 = 0\ncall 132\nr0 = r6\nexit\n${OUT}`,
    [RB],
  ],
  ['atomic/value-add32', `${VALUE}\nr1 = 1\nlock *(u32 *)(r0 + 0) += w1\n${OUT}`, [ARR]],
  [
    'atomic/value-fetch-add',
    `${VALUE}\nr1 = 1\nr1 = atomic_fetch_add((u64 *)(r0 + 0), r1)\nr0 = r1\nexit\n${OUT}`,
    [ARR],
  ],
  [
    'atomic/value-cmpxchg-ptr',
    `${VALUE}\nr1 = r10\nr6 = r0\nr0 = 0\nr0 = cmpxchg_64(r6 + 0, r0, r1)\n${OUT}`,
    [ARR],
  ],
  ['atomic/value-xchg-scalar', `${VALUE}\nr1 = 5\nr1 = xchg_64(r0 + 0, r1)\nr0 = r1\nexit\n${OUT}`, [ARR]],
  [
    'atomic/stack-cmpxchg-old-ptr',
    'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = r10\nr1 = 1\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nr0 = 0\nexit',
  ],
  ['alu/ctx-add-const-read', 'r1 += 8\nr0 = *(u32 *)(r1 + 0)\nexit'],
  ['alu/ctx-sub-const', 'r1 -= 8\nr0 = 0\nexit'],
  ['alu/value-add-const-reg-oob', `${VALUE}\nr1 = 48\nr0 += r1\nr0 = 0\nexit\n${OUT}`, [ARR48]],
  [
    'alu/value-add-neg-const-reg',
    `${VALUE}\nr0 += 16\nr1 = -8\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  ['alu/fp-minus-unknown', `${RAND}\nr7 &= 7\nr1 = r10\nr1 -= r7\nr0 = 0\nexit`],
  [
    'alu/spilled-fp-reload-add',
    '*(u64 *)(r10 - 8) = r10\nr1 = *(u64 *)(r10 - 8)\nr1 += -16\nr2 = 0\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit',
  ],
  ['alu/mapvalue-direct-oob-const', 'r1 = map_value[idx:0]+0 ll\nr1 += 48\nr0 = 0\nexit', [ARR48]],
  [
    'cmp/ringbuf-or-null-jmp32',
    `r1 = map[idx:0] ll\nr2 = 16\nr3 = 0\ncall 131\nif w0 == 0 goto out\nr1 = r0\nr2 = 0\ncall 132\n${OUT}`,
    [RB],
  ],
  ['cmp/value-ne-0-jmp32', `${VALUE}\nif w0 != 0 goto out\n${OUT}`, [ARR]],
  ['cmp/value-eq-0-reg', `${VALUE}\nr1 = 0\nif r0 == r1 goto out\n${OUT}`, [ARR]],
  ['cmp/scalar-eq-scalar', `${RAND}\nr1 = 5\nif r7 == r1 goto out\n${OUT}`],
  ['leak/ptr-to-helper-size', 'r1 = r10\nr1 += -8\nr2 = r10\nr3 = 0\ncall 16\nr0 = 0\nexit'],
  [
    'leak/spill-ptr-pass-value-stack',
    '*(u64 *)(r10 - 8) = r1\nr1 = 0\n*(u32 *)(r10 - 12) = r1\nr2 = r10\nr2 += -12\nr3 = r10\nr3 += -8\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [ARR],
  ],
  // --- uninitialized stack
  ['stack/read-uninit-u64', 'r0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit'],
  ['stack/read-uninit-u8', 'r0 = *(u8 *)(r10 - 1)\nr0 = 0\nexit'],
  ['stack/read-half-init', 'r1 = 1\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit'],
  ['ok/read-init', 'r1 = 1\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit'],
  ['stack/helper-key-uninit', 'r2 = r10\nr2 += -4\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit', [ARR]],
  [
    'stack/helper-value-half-init',
    'r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u32 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\nr1 = map[idx:0] ll\ncall 2\nr0 = 0\nexit',
    [ARR],
  ],
  [
    'stack/ringbuf-output-uninit',
    'r2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\nr1 = map[idx:0] ll\ncall 130\nr0 = 0\nexit',
    [RB],
  ],
  ['ok/skb-load-bytes-into-uninit', 'r2 = 0\nr3 = r10\nr3 += -16\nr4 = 16\ncall 26\nr0 = 0\nexit'],
  [
    'stack/read-uninit-one-path',
    `${RAND}\nif r7 > 5 goto a\nr1 = 1\n*(u64 *)(r10 - 8) = r1\na:\nr0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit`,
  ],
  [
    'stack/read-after-helper-write',
    'r1 = 0x3231\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 2\nr3 = 10\nr4 = r10\nr4 += -16\ncall 105\nr0 = *(u64 *)(r10 - 16)\nexit',
  ],
  ['stack/read-below-written', 'r1 = 1\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 16)\nexit'],
  ['stack/read-inside-written-depth', 'r1 = 1\n*(u8 *)(r10 - 16) = r1\nr0 = *(u64 *)(r10 - 8)\nexit'],
  [
    'stack/read-spilled-ptr-slot',
    '*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r0 + 0)\nexit',
  ],
  [
    'stack/helper-key-below-written',
    'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -8\nr1 = map[idx:0] ll\ncall 1\nr0 = 0\nexit',
    [ARR],
  ],
  // --- back-edges and loops
  ['loop/bounded-10', 'r0 = 0\nr1 = 0\nl:\nr0 += r1\nr1 += 1\nif r1 < 10 goto l\nexit'],
  ['loop/self', 'r0 = 0\nl:\ngoto l\nexit'],
  ['loop/infinite', 'r0 = 0\nl:\nr0 += 1\ngoto l\nexit'],
  ['loop/back-to-start', 'l:\nr0 = 0\nif r0 == 0 goto l\nexit'],
  ['loop/may-goto', 'r0 = 0\nl:\nmay_goto +1\ngoto l\nexit'],
  // --- bpf-to-bpf calls, function pointers, kfuncs
  ['call/subprog', 'call f\nexit\nf:\nr0 = 0\nexit'],
  ['call/subprog-unused-label', 'r0 = 0\nexit\nf:\nr0 = 1\nexit'],
  ['call/func-ptr', 'r1 = func[f] ll\nr0 = 0\nexit\nf:\nr0 = 0\nexit'],
  ['call/kfunc', 'call kfunc[1]\nr0 = 0\nexit'],
  ['call/bpf-loop', 'r1 = 1\nr2 = func[f] ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\nf:\nr0 = 0\nexit'],
  ['call/callx', 'r1 = 0\ncallx r1\nr0 = 0\nexit'],
  // --- helpers: which ones an unprivileged socket filter may call
  ['helper/ktime-get-ns', 'call 5\nr0 = 0\nexit'],
  ['helper/prandom', 'call 7\nr0 = 0\nexit'],
  ['helper/smp-processor-id', 'call 8\nr0 = 0\nexit'],
  ['helper/current-pid-tgid', 'call 14\nr0 = 0\nexit'],
  ['helper/current-uid-gid', 'call 15\nr0 = 0\nexit'],
  ['helper/current-comm', 'r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = 0\nexit'],
  ['helper/ktime-get-boot-ns', 'call 125\nr0 = 0\nexit'],
  [
    'helper/trace-printk',
    'r1 = 0x0a6968\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall 6\nr0 = 0\nexit',
  ],
  ['helper/probe-read-kernel', 'r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 113\nr0 = 0\nexit'],
  ['helper/probe-read-kernel-str', 'r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 115\nr0 = 0\nexit'],
  [
    'helper/strtol',
    'r1 = 0x3231\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 2\nr3 = 10\nr4 = r10\nr4 += -16\ncall 105\nr0 = 0\nexit',
  ],
  ['helper/get-socket-cookie', 'call 46\nr0 = 0\nexit'],
  ['helper/get-socket-uid', 'call 47\nr0 = 0\nexit'],
  ['helper/jiffies64', 'call 118\nr0 = 0\nexit'],
  ['helper/get-numa-node-id', 'call 42\nr0 = 0\nexit'],
  ['helper/sys-bpf', 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = 8\ncall 166\nr0 = 0\nexit'],
  ['helper/unknown-9999', 'call 9999\nr0 = 0\nexit'],
  // --- speculative execution: paths the CPU may take but the program never does
  ['spec/dead-branch-uninit-reg', 'r1 = 0\nif r1 == 0 goto a\nr0 = r5\nexit\na:\nr0 = 0\nexit'],
  ['spec/dead-branch-bad-read', 'r1 = 0\nif r1 != 0 goto a\nr0 = 0\nexit\na:\nr0 = *(u64 *)(r1 + 0)\nexit'],
  ['spec/dead-branch-leak', 'r2 = 0\nif r2 == 0 goto a\nr0 = r1\nexit\na:\nr0 = 0\nexit'],
  [
    'spec/dead-branch-oob-value',
    `${VALUE}\nr1 = 0\nif r1 == 0 goto a\nr0 += 64\nr0 = *(u8 *)(r0 + 0)\nexit\na:\n${OUT}`,
    [ARR48],
  ],
  [
    'spec/value-cmp-then-index',
    `r9 = r1\n${RAND}\n${VALUE.replace('r6 = r1', 'r6 = r9')}\nif r7 >= 48 goto out\nr0 += r7\nr0 = *(u8 *)(r0 + 0)\nexit\n${OUT}`,
    [ARR48],
  ],
  [
    'spec/v4-spill-scalar-over-ptr',
    '*(u64 *)(r10 - 8) = r1\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nr3 = *(u64 *)(r10 - 8)\nr0 = 0\nexit',
  ],
  [
    'spec/v4-spill-ptr-over-scalar',
    'r2 = 0\n*(u64 *)(r10 - 8) = r2\n*(u64 *)(r10 - 8) = r1\nr3 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r3 + 0)\nexit',
  ],
  [
    'spec/ptr-or-scalar-merge',
    `r6 = r1\n${RAND}\nr1 = r10\nr1 += -8\nr2 = 0\n*(u64 *)(r10 - 8) = r2\nif r7 > 5 goto a\nr1 = r6\na:\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit`,
  ],
  // --- struct bpf_map reads through a map pointer
  ['mapptr/read-max-entries', 'r1 = map[idx:0] ll\nr0 = *(u32 *)(r1 + 36)\nexit', [ARR]],
];

/** [name, asm, maps] of hand-written cgroup_skb programs (the other type unprivileged users may load). */
const CGROUP: [string, string, CorpusMap[]?][] = [
  ['ok/return1', 'r0 = 1\nexit'],
  ['ok/len', 'r0 = *(u32 *)(r1 + 0)\nr0 = 1\nexit'],
  ['ok/write-mark', 'r2 = 7\n*(u32 *)(r1 + 8) = r2\nr0 = 1\nexit'],
  ['ok/write-priority', 'r2 = 7\n*(u32 *)(r1 + 32) = r2\nr0 = 1\nexit'],
  ['ok/write-cb', 'r2 = 7\n*(u32 *)(r1 + 48) = r2\nr0 = 1\nexit'],
  ['ctx/write-tstamp', 'r2 = 7\n*(u64 *)(r1 + 152) = r2\nr0 = 1\nexit'],
  ['ctx/read-tstamp', 'r0 = *(u64 *)(r1 + 152)\nr0 = 1\nexit'],
  ['ctx/data', 'r2 = *(u32 *)(r1 + 76)\nr0 = 1\nexit'],
  ['ctx/data-end', 'r2 = *(u32 *)(r1 + 80)\nr0 = 1\nexit'],
  [
    'ctx/pkt-check',
    'r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 4\nif r4 > r3 goto out\nr0 = *(u32 *)(r2 + 0)\nout:\nr0 = 1\nexit',
  ],
  ['leak/return-ctx', 'r0 = r1\nexit'],
  ['leak/ctx-into-cb', '*(u32 *)(r1 + 48) = r1\nr0 = 1\nexit'],
  ['cmp/ctx-eq-0', 'if r1 == 0 goto out\nr0 = 1\nexit\nout:\nr0 = 0\nexit'],
  ['loop/bounded', 'r0 = 0\nr1 = 0\nl:\nr1 += 1\nif r1 < 4 goto l\nr0 = 1\nexit'],
  ['call/subprog', 'call f\nr0 = 1\nexit\nf:\nr0 = 0\nexit'],
  ['helper/socket-uid', 'call 47\nr0 = 1\nexit'],
  [
    'helper/trace-printk',
    'r1 = 0x0a6968\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall 6\nr0 = 1\nexit',
  ],
  ['helper/sk-fullsock', 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\ncall 95\nout:\nr0 = 1\nexit'],
  [
    'sk/read-null-checked',
    'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 4)\nout:\nr0 = 1\nexit',
  ],
  ['sk/return', 'r1 = *(u64 *)(r1 + 168)\nif r1 == 0 goto out\nr0 = r1\nexit\nout:\nr0 = 1\nexit'],
  ['ret/2', 'r0 = 2\nexit'],
  ['map/lookup', `${VALUE}\nr0 = *(u64 *)(r0 + 0)\nr0 = 1\nexit\nout:\nr0 = 1\nexit`, [ARR]],
  ['map/store-ctx', `${VALUE}\n*(u64 *)(r0 + 0) = r6\nout:\nr0 = 1\nexit`, [ARR]],
];

function programs(): CorpusProgram[] {
  const out: CorpusProgram[] = HAND.map(([name, text, maps]) => ({
    name: `unpriv/${name}`,
    progType: SOCK,
    insns: assembleLlvm(text),
    maps: maps ?? [],
    license: 'GPL',
  }));
  for (const [name, text, maps] of CGROUP)
    out.push({
      name: `cgroup/${name}`,
      progType: ProgType.CGROUP_SKB,
      insns: assembleLlvm(text),
      maps: maps ?? [],
      license: 'GPL',
    });
  // cgroup_skb ctx reads at every 4-byte offset: which __sk_buff fields an unprivileged loader sees.
  for (let o = 0; o <= 192; o += 4)
    out.push({
      name: `cgroup/ctx-read/${o}`,
      progType: ProgType.CGROUP_SKB,
      insns: assembleLlvm(`r0 = *(u32 *)(r1 + ${o})\nr0 = 1\nexit`),
      maps: [],
      license: 'GPL',
    });
  // A socket filter of 4096 instructions (BPF_MAXINSNS) and one of 4097.
  for (const n of [4096, 4097]) {
    const insns: Insn[] = [];
    for (let k = 0; k < n - 1; k++) insns.push({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 });
    insns.push({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    out.push({ name: `load/insns-${n}`, progType: SOCK, insns, maps: [], license: 'GPL' });
  }
  // Program types an unprivileged caller may not load.
  const ret0 = assembleLlvm('r0 = 0\nexit');
  for (const [tn, type, attachType, sleepable] of [
    ['xdp', ProgType.XDP, 37, false],
    ['sched-cls', ProgType.SCHED_CLS, undefined, false],
    ['syscall', ProgType.SYSCALL, undefined, true],
    ['kprobe', ProgType.KPROBE, undefined, false],
    ['tracepoint', ProgType.TRACEPOINT, undefined, false],
  ] as const) {
    out.push({
      name: `load/type-${tn}`,
      progType: type,
      insns: ret0,
      maps: [],
      license: 'GPL',
      ...(attachType !== undefined ? { attachType } : {}),
      ...(sleepable ? { sleepable } : {}),
    });
  }
  out.push({
    name: 'load/license-proprietary',
    progType: SOCK,
    insns: ret0,
    maps: [],
    license: 'Proprietary',
  });
  out.push({
    name: 'load/proprietary-gpl-helper',
    progType: SOCK,
    insns: assembleLlvm('r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 113\nr0 = 0\nexit'),
    maps: [],
    license: 'Proprietary',
  });
  return out;
}

let cached: CorpusProgram[] | undefined;

/** Every program of the unprivileged corpus, in a stable order. */
export function unprivCorpus(): CorpusProgram[] {
  cached ??= [
    ...programs(),
    ...corpus()
      .filter((p) => p.progType === SOCK)
      .map((p) => ({ ...p, name: `sock/${p.name}` })),
  ];
  return cached;
}

/** MAP_CREATE by an unprivileged caller: every map type, and flags that need privileges. */
export function unprivMapCases(): MapCreateCase[] {
  const out: MapCreateCase[] = [];
  const add = (
    name: string,
    type: number,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    flags = 0,
  ): void => {
    out.push({
      name: `mapcreate/${name}`,
      type,
      keySize,
      valueSize,
      maxEntries,
      ...(flags ? { flags } : {}),
    });
  };
  add('array', MapType.ARRAY, 4, 8, 4);
  add('array-mmapable', MapType.ARRAY, 4, 8, 4, MapFlag.MMAPABLE);
  add('array-rdonly-prog', MapType.ARRAY, 4, 8, 4, MapFlag.RDONLY_PROG);
  add('percpu-array', MapType.PERCPU_ARRAY, 4, 8, 4);
  add('prog-array', MapType.PROG_ARRAY, 4, 4, 4);
  add('perf-event-array', MapType.PERF_EVENT_ARRAY, 4, 4, 4);
  add('hash', MapType.HASH, 8, 16, 16);
  add('hash-no-prealloc', MapType.HASH, 8, 16, 16, MapFlag.NO_PREALLOC);
  add('hash-zero-seed', MapType.HASH, 8, 16, 16, MapFlag.ZERO_SEED);
  add('percpu-hash', MapType.PERCPU_HASH, 8, 16, 16);
  add('lru-hash', MapType.LRU_HASH, 8, 16, 16);
  add('lru-percpu-hash', MapType.LRU_PERCPU_HASH, 8, 16, 16);
  add('queue', MapType.QUEUE, 0, 8, 8);
  add('stack', MapType.STACK, 0, 8, 8);
  add('bloom-filter', MapType.BLOOM_FILTER, 0, 8, 8);
  add('ringbuf', MapType.RINGBUF, 0, 0, 4096);
  add('lpm-trie', MapType.LPM_TRIE, 8, 8, 8, MapFlag.NO_PREALLOC);
  add('stack-trace', MapType.STACK_TRACE, 4, 64, 8);
  add('cgroup-array', MapType.CGROUP_ARRAY, 4, 4, 4);
  add('devmap', MapType.DEVMAP, 4, 4, 4);
  add('sockmap', MapType.SOCKMAP, 4, 4, 4);
  add('cpumap', MapType.CPUMAP, 4, 4, 4);
  add('xskmap', MapType.XSKMAP, 4, 4, 4);
  add('sockhash', MapType.SOCKHASH, 4, 4, 4);
  add('reuseport-sockarray', MapType.REUSEPORT_SOCKARRAY, 4, 4, 4);
  add('devmap-hash', MapType.DEVMAP_HASH, 4, 4, 4);
  add('user-ringbuf', MapType.USER_RINGBUF, 0, 0, 4096);
  add('bad-type-1000', 1000, 4, 4, 4);
  add('array-bad-key', MapType.ARRAY, 8, 8, 4);
  add('hash-zero-entries', MapType.HASH, 8, 8, 0);
  return out;
}
