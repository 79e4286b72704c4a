/**
 * Kernel-side CO-RE: the `core_relos` / `core_relo_cnt` / `core_relo_rec_size` of a
 * BPF_PROG_LOAD attr (Linux 5.17+, what libbpf's gen_loader emits for light skeletons), applied
 * by the machine against its own vmlinux BTF using the program's BTF (`prog_btf_fd`), with the
 * errnos and log lines Linux 6.18 gives (checked against the kernel in
 * `test/machine/kernel-core.test.ts`):
 * - records are read one at a time; `rec_size` below 16, above 252 or not a multiple of 4 is
 *   EINVAL; bytes of a record past the 16 known ones must be zero (else E2BIG, `nonzero tailing
 *   record in core_relo`);
 * - `Invalid core_relo[I].insn_off:OFF prog->len:N` (EINVAL) for an offset that is not a slot;
 * - `relo #I: bad type id ID` (EINVAL) for a local type id the program's BTF does not have;
 * - per relocation, the candidate line(s), the local spec, each candidate's (non-)match, then
 *   `patched insn ...`, `substituting insn #N w/ invalid insn` (a field that exists nowhere: the
 *   instruction becomes `call 0xbad2310`, which the verifier refuses if reachable) or
 *   `unexpected insn #N (...) value: got G, exp L -> T` (EINVAL) when the instruction does not
 *   hold the local value. Program names print as `''`, as in the kernel.
 *
 * Differences: type ids and member indices in these lines are the machine's (its vmlinux is a
 * subset), and the kernel's level-2 candidate-cache dumps are not printed.
 *
 * @module
 */

import type { Btf } from '../../btf/btf.js';
import {
  CORE_POISON,
  CoreReloError,
  type CoreResult,
  type CoreSpec,
  computeCoreRelo,
} from '../../btf/core.js';
import { BPF_CORE_RELO } from '../../btf/kinds.js';
import { Errno } from '../../sys/errors.js';

/** Size of `struct bpf_core_relo`. */
export const CORE_RELO_SIZE = 16;
/** Largest `core_relo_rec_size` Linux accepts (MAX_FUNCINFO_REC_SIZE). */
export const CORE_RELO_MAX_REC_SIZE = 252;

const R = BPF_CORE_RELO;
const KIND_LOG: readonly string[] = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/** The outcome: patched instruction bytes and log lines, or an errno with the lines so far. */
export type CoreApplyResult =
  | { ok: true; insns: Uint8Array; log: string[] }
  | {
      ok: false;
      errno: number;
      /**
       * Lines so far. When `unterminated`, the last one has no newline in Linux's log: the
       * verifier's next line (its summary) continues it.
       */
      log: string[];
      unterminated?: boolean;
    };

/** What {@link applyCoreRelos} needs. */
export interface CoreApplyInput {
  /** The program's instructions (not modified; a patched copy is returned). */
  insns: Uint8Array;
  /** The program's BTF (from `prog_btf_fd`). */
  progBtf: Btf;
  /** The target: the machine's vmlinux BTF. */
  vmlinux: Btf;
  /** The records (`core_relo_cnt` × `recSize` bytes). */
  relos: Uint8Array;
  /** `core_relo_rec_size`. */
  recSize: number;
}

function kindStr(btf: Btf, id: number): string {
  return btf.type(id).kind;
}

function specText(btf: Btf, s: CoreSpec, kind: number): string {
  if (s.typeId === 0) return '[0] void';
  const t = btf.type(s.typeId);
  const head = `[${s.typeId}] ${t.kind} ${t.name === '' ? '<anon>' : t.name}`;
  if (kind === R.ENUMVAL_EXISTS || kind === R.ENUMVAL_VALUE) {
    const et = btf.type(btf.resolve(s.typeId));
    if (et.kind === 'ENUM' || et.kind === 'ENUM64') {
      const v = et.values[s.access[0]!];
      if (v !== undefined) return `${head}::${v.name} = ${v.value}`;
    }
    return head;
  }
  if (kind > R.FIELD_RSHIFT_U64) return head;
  const bit = s.bitOffset ?? 0;
  const off = bit % 8 === 0 ? `${bit / 8}` : `${Math.floor(bit / 8)}.${bit % 8}`;
  const field = s.fieldName ? `.${s.fieldName}` : '';
  return `${head}${field} (${s.access.join(':')} @ offset ${off})`;
}

/** Applies every record; see the module doc for the checks and messages. */
export function applyCoreRelos(input: CoreApplyInput): CoreApplyResult {
  const { progBtf, vmlinux, relos, recSize } = input;
  const insns = input.insns.slice();
  const dv = new DataView(insns.buffer, insns.byteOffset, insns.length);
  const len = insns.length / 8;
  const log: string[] = [];
  const fail = (errno: number, line?: string): CoreApplyResult => {
    if (line !== undefined) log.push(line);
    return { ok: false, errno, log };
  };
  if (recSize < CORE_RELO_SIZE || recSize > CORE_RELO_MAX_REC_SIZE || recSize % 4 !== 0)
    return fail(Errno.EINVAL);
  const rv = new DataView(relos.buffer, relos.byteOffset, relos.length);
  const count = Math.floor(relos.length / recSize);
  for (let i = 0; i < count; i++) {
    const base = i * recSize;
    for (let b = CORE_RELO_SIZE; b < recSize; b++)
      if (relos[base + b] !== 0) {
        log.push('nonzero tailing record in core_relo');
        return { ok: false, errno: Errno.E2BIG, log, unterminated: true };
      }
    const insnOff = rv.getUint32(base, true);
    const typeId = rv.getUint32(base + 4, true);
    const accessOff = rv.getUint32(base + 8, true);
    const kind = rv.getUint32(base + 12, true);
    if (insnOff % 8 !== 0 || insnOff / 8 >= len)
      return fail(Errno.EINVAL, `Invalid core_relo[${i}].insn_off:${insnOff} prog->len:${len}`);
    if (typeId >= progBtf.typeCount) return fail(Errno.EINVAL, `relo #${i}: bad type id ${typeId}`);
    const slot = insnOff / 8;
    const pfx = `prog '': relo #${i}:`;
    const kname = KIND_LOG[kind] ?? `unknown (${kind})`;
    let access: string;
    try {
      access = progBtf.str(accessOff);
    } catch {
      access = '';
    }
    // Candidates are looked up (and logged) before the local spec is parsed, as in Linux.
    if (kind !== R.TYPE_ID_LOCAL) {
      // A local type without a name (void, pointers, anonymous structs) has no candidates.
      if (typeId === 0 || progBtf.type(typeId).name === '')
        return fail(Errno.EINVAL, `target candidate search failed for ${typeId}`);
      const lid = progBtf.skipModifiers(typeId);
      const lt = progBtf.type(lid);
      const ess = lt.name.includes('___') ? lt.name.slice(0, lt.name.indexOf('___')) : lt.name;
      const group = (k: string) => (k === 'ENUM64' ? 'ENUM' : k);
      if (ess !== '')
        for (const c of vmlinux.findByName(ess))
          if (group(vmlinux.type(c).kind) === group(lt.kind))
            log.push(`CO-RE relocating ${lt.kind} ${ess}: found target candidate [${c}]`);
    }
    let r: CoreResult;
    try {
      if (kind > R.TYPE_MATCHES) throw new CoreReloError(`unknown kind ${kind}`);
      if (access === '') throw new CoreReloError('no access string');
      r = computeCoreRelo(progBtf, vmlinux, { typeId, access, kind }, () => pfx);
    } catch (e) {
      if (!(e instanceof CoreReloError) && !(e instanceof RangeError)) throw e;
      const lt = progBtf.type(typeId);
      const name = lt.name === '' ? '<anon>' : lt.name;
      return fail(
        Errno.EINVAL,
        `${pfx} parsing [${typeId}] ${kindStr(progBtf, typeId)} ${name} + ${access || '<?>'} failed: -22`,
      );
    }
    if (r.localSpec !== undefined) log.push(`${pfx} <${kname}> ${specText(progBtf, r.localSpec, kind)}`);
    else log.push(`${pfx} <${kname}> ${specText(progBtf, { typeId, access: [0] }, kind)}`);
    (r.candidates ?? []).forEach((c, k) => {
      if (c.spec !== undefined)
        log.push(`${pfx} matching candidate #${k} <${kname}> ${specText(vmlinux, c.spec, kind)}`);
      else {
        const t = vmlinux.type(c.id);
        const fake: CoreSpec =
          kind === R.ENUMVAL_EXISTS || kind === R.ENUMVAL_VALUE
            ? { typeId: c.id, access: [0] }
            : { typeId: c.id, access: [0], bitOffset: 0 };
        log.push(
          `${pfx} non-matching candidate #${k} <${kname}> ${t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind.startsWith('ENUM') ? specText(vmlinux, fake, kind) : `[${c.id}]`}`,
        );
      }
    });
    if (kind !== R.TYPE_ID_LOCAL && r.targetType === 0) log.push(`${pfx} no matching targets found`);
    // Patch.
    const at = slot * 8;
    const code = insns[at]!;
    const cls = code & 7;
    if (r.target === undefined) {
      // Both slots of an ld_imm64 are poisoned.
      const slots = code === 0x18 && slot + 1 < len ? [slot + 1, slot] : [slot];
      for (const q of slots) {
        log.push(`${pfx} substituting insn #${q} w/ invalid insn`);
        insns[q * 8] = 0x85;
        insns[q * 8 + 1] = 0;
        dv.setInt16(q * 8 + 2, 0, true);
        dv.setInt32(q * 8 + 4, CORE_POISON, true);
      }
      continue;
    }
    const lv = r.local;
    const tv = r.target;
    if (code === 0x18) {
      if (slot + 1 >= len) return fail(Errno.EINVAL, `${pfx} insn #${slot} (LDIMM64) has no second slot`);
      const cur = (BigInt(dv.getUint32(at + 12, true)) << 32n) | BigInt(dv.getUint32(at + 4, true));
      if (cur !== lv)
        return fail(
          Errno.EINVAL,
          `${pfx} unexpected insn #${slot} (LDIMM64) value: got ${cur}, exp ${lv} -> ${tv}`,
        );
      dv.setUint32(at + 4, Number(tv & 0xffffffffn), true);
      dv.setUint32(at + 12, Number((tv >> 32n) & 0xffffffffn), true);
      log.push(`${pfx} patched insn #${slot} (LDIMM64) imm64 ${lv} -> ${tv}`);
      continue;
    }
    if ((cls === 4 || cls === 7) && (code & 8) === 0) {
      const cur = dv.getUint32(at + 4, true);
      if (BigInt(cur) !== lv)
        return fail(
          Errno.EINVAL,
          `${pfx} unexpected insn #${slot} (ALU/ALU64) value: got ${cur}, exp ${lv} -> ${tv}`,
        );
      dv.setUint32(at + 4, Number(BigInt.asUintN(32, tv)), true);
      log.push(`${pfx} patched insn #${slot} (ALU/ALU64) imm ${cur} -> ${tv}`);
      continue;
    }
    if (cls === 1 || cls === 2 || cls === 3) {
      const cur = dv.getInt16(at + 2, true);
      if (BigInt(cur) !== lv)
        return fail(
          Errno.EINVAL,
          `${pfx} unexpected insn #${slot} (LDX/ST/STX) value: got ${cur}, exp ${lv} -> ${tv}`,
        );
      if (tv > 0x7fffn) return fail(Errno.EINVAL, `${pfx} insn #${slot} (LDX/ST/STX) value too big: ${tv}`);
      dv.setInt16(at + 2, Number(tv), true);
      log.push(`${pfx} patched insn #${slot} (LDX/ST/STX) off ${cur} -> ${tv}`);
      continue;
    }
    const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
    return fail(
      Errno.EINVAL,
      `${pfx} trying to relocate unrecognized insn #${slot}, code:${hex(code)}, src:${hex(insns[at + 1]! >> 4)}, dst:${hex(insns[at + 1]! & 15)}, off:${hex(dv.getInt16(at + 2, true) & 0xffff)}, imm:${hex(dv.getInt32(at + 4, true))}`,
    );
  }
  return { ok: true, insns, log };
}
