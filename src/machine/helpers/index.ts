/**
 * The kernel helpers the machine implements, keyed by their `bpf_func_id` number. Each helper
 * reads its arguments from the {@link Vm}'s registers, reaches maps through {@link EngineMap} and
 * the outside world through {@link EngineEnv}, and returns exactly what the kernel helper returns
 * (negative errnos included). Program memory is always accessed through the checked address
 * space: a helper given a bad pointer faults the program, as the verifier would have refused it.
 *
 * @module
 */

import type { EngineMap } from '../engine/env.js';
import { type HelperFn, MAY_GOTO_BUDGET, type Vm } from '../engine/interp.js';
import { EngineFault, FUNC_PTR_HI, MAP_PTR_HI, Perm, regionPtr } from '../engine/memory.js';
import { FormatStringError, formatPrintf } from './format.js';

/** Helper ids (the kernel's `enum bpf_func_id`) of the helpers implemented here. */
export const HelperId = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  tail_call: 12,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_comm: 16,
  get_current_task: 35,
  perf_event_output: 25,
  skb_load_bytes: 26,
  get_numa_node_id: 42,
  get_socket_cookie: 46,
  get_socket_uid: 47,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  sk_fullsock: 95,
  tcp_sock: 96,
  get_listener_sock: 98,
  strtol: 105,
  strtoul: 106,
  probe_read_kernel: 113,
  probe_read_kernel_str: 115,
  ktime_get_boot_ns: 125,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  snprintf: 165,
  copy_from_user: 148,
  sys_bpf: 166,
  btf_find_by_name_kind: 167,
  sys_close: 168,
  kallsyms_lookup_name: 179,
  loop: 181,
} as const;

const EINVAL = 22;
const EFAULT = 14;
const ENOENT = 2;
const E2BIG = 7;
const ERANGE = 34;
const ENOTSUPP = 524;
/** The kernel's TASK_COMM_LEN. */
const TASK_COMM_LEN = 16;
/** The kernel's MAX_BPRINTF_VARARGS (bpf_snprintf) and bpf_trace_printk's three arguments. */
const MAX_SNPRINTF_ARGS = 12;
/** Upper bound on strings read for `%s` (the kernel's MAX_BPRINTF_BUF is 512). */
const MAX_STRING = 512;

function cpuOf(vm: Vm): number {
  return vm.env.cpu ?? 0;
}

function readKey(vm: Vm, map: EngineMap, n: number): Uint8Array {
  return vm.memory.read(vm.arg(n), map.keySize);
}

function lookupElem(vm: Vm): void {
  const map = vm.mapArg(1);
  const v = map.lookup(readKey(vm, map, 2), cpuOf(vm));
  if (v === undefined) vm.ret(0n);
  else if (v instanceof Uint8Array) vm.ret(vm.regionPointer('map_value', v, vmMapPerm(map)));
  else vm.ret(vm.mapPointer(v));
}

function vmMapPerm(map: EngineMap): number {
  return map.progAccess === 'ro' ? Perm.R : map.progAccess === 'wo' ? Perm.W : Perm.RW;
}

function updateElem(vm: Vm): void {
  const map = vm.mapArg(1);
  const key = readKey(vm, map, 2);
  const value = vm.memory.read(vm.arg(3), map.valueSize);
  vm.retInt(map.update(key, value, Number(BigInt.asUintN(32, vm.arg(4))), cpuOf(vm)));
}

function deleteElem(vm: Vm): void {
  const map = vm.mapArg(1);
  vm.retInt(map.delete(readKey(vm, map, 2), cpuOf(vm)));
}

function pushElem(vm: Vm): void {
  const map = vm.mapArg(1);
  if (!map.push) {
    vm.retInt(-ENOTSUPP);
    return;
  }
  const value = vm.memory.read(vm.arg(2), map.valueSize);
  vm.retInt(map.push(value, Number(BigInt.asUintN(32, vm.arg(3)))));
}

function popOrPeek(pop: boolean): HelperFn {
  return (vm) => {
    const map = vm.mapArg(1);
    const fn = pop ? map.pop : map.peek;
    if (!fn) {
      vm.retInt(-ENOTSUPP);
      return;
    }
    const dst = vm.memory.view(vm.arg(2), map.valueSize, true);
    const tmp = new Uint8Array(map.valueSize);
    if (!pop) tmp.set(dst); // bloom filter peek tests the given value
    const r = fn.call(map, tmp);
    if (r === 0) dst.set(tmp);
    vm.retInt(r);
  };
}

function xorshift(vm: Vm): number {
  let x = vm.helperState.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  vm.helperState.seed = x;
  return x >>> 0;
}

function ktime(vm: Vm): bigint {
  if (vm.env.ktimeNs) return vm.env.ktimeNs();
  vm.helperState.clock += 1000n;
  return vm.helperState.clock;
}

/** Bytes as a byte string (one char per byte, codes 0..255): formatting works on bytes, as in C. */
function byteString(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** A byte string back to bytes. */
function stringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** The NUL-terminated string at `addr` (at most MAX_STRING bytes) as a byte string. */
function readCStringArg(vm: Vm, addr: bigint): string | undefined {
  const r = vm.memory.resolve(addr);
  if (!r || (vm.memory.perms[r.id]! & Perm.R) === 0) return undefined;
  const buf = vm.memory.bufs[r.id]!;
  const end = Math.min(buf.length, r.offset + MAX_STRING);
  for (let i = r.offset; i < end; i++) if (buf[i] === 0) return byteString(buf.subarray(r.offset, i));
  return undefined;
}

function tracePrintk(vm: Vm): void {
  const size = vm.argLo(2);
  const fmtBytes = vm.memory.read(vm.arg(1), size);
  const nul = fmtBytes.indexOf(0);
  if (size === 0 || nul < 0) {
    vm.retInt(-EINVAL);
    return;
  }
  const fmt = byteString(fmtBytes.subarray(0, nul));
  let line: string;
  try {
    line = formatPrintf(fmt, [vm.arg(3), vm.arg(4), vm.arg(5)], (a) => readCStringArg(vm, a));
  } catch (e) {
    if (e instanceof FormatStringError) {
      vm.retInt(-EINVAL);
      return;
    }
    throw e;
  }
  const bytes = stringBytes(line);
  const text = new TextDecoder().decode(bytes[bytes.length - 1] === 10 ? bytes.subarray(0, -1) : bytes);
  vm.env.tracePrintk?.(text);
  vm.retInt(bytes.length);
}

function snprintf(vm: Vm): void {
  const outAddr = vm.arg(1);
  const outSize = vm.argLo(2);
  const fmt = readCStringArg(vm, vm.arg(3));
  const dataLen = vm.argLo(5);
  if (fmt === undefined || dataLen % 8 !== 0 || dataLen / 8 > MAX_SNPRINTF_ARGS) {
    vm.retInt(-EINVAL);
    return;
  }
  const data = dataLen > 0 ? vm.memory.read(vm.arg(4), dataLen) : new Uint8Array(0);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const args: bigint[] = [];
  for (let i = 0; i < dataLen; i += 8) args.push(dv.getBigUint64(i, true));
  let text: string;
  try {
    // a string Linux cannot read is copied as an empty string
    text = formatPrintf(
      fmt,
      args,
      (a) => readCStringArg(vm, a) ?? '',
      (a, n) => vm.memory.tryRead(a, n),
    );
  } catch (e) {
    if (e instanceof FormatStringError) {
      vm.retInt(-EINVAL);
      return;
    }
    throw e;
  }
  const bytes = stringBytes(text);
  if (outSize > 0) {
    const n = Math.min(bytes.length, outSize - 1);
    const out = new Uint8Array(n + 1);
    out.set(bytes.subarray(0, n));
    vm.memory.write(outAddr, out);
  }
  vm.retInt(bytes.length + 1);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * bpf_strtol / bpf_strtoul. Checked against the kernel: the result slot is always written (0 on
 * any error); a '-' sign is accepted by both and refused by strtoul only after the digits parse
 * (so an overflowing negative number gives -ERANGE, not -EINVAL); an explicit base 16 skips a
 * `0x` prefix even when no hex digit follows.
 */
function strto(signed: boolean): HelperFn {
  return (vm) => {
    const len = vm.argLo(2);
    const flags = Number(BigInt.asUintN(32, vm.arg(3)));
    const res = vm.memory.view(vm.arg(4), 8, true);
    const buf = vm.memory.read(vm.arg(1), len);
    const at = (i: number): number => (i < len ? buf[i]! : 0);
    const fail = (errno: number): void => {
      res.fill(0);
      vm.retInt(-errno);
    };
    let base = flags & 0x1f;
    if ((flags & ~0x1f) !== 0 || (base !== 0 && base !== 8 && base !== 10 && base !== 16))
      return fail(EINVAL);
    if (len === 0) return fail(EINVAL);
    let i = 0;
    while (i < len && isSpace(buf[i]!)) i++;
    const neg = at(i) === 45;
    if (neg) i++;
    if (i >= len) return fail(EINVAL);
    if (base === 0) {
      if (at(i) === 48) base = (at(i + 1) | 0x20) === 120 && digit(at(i + 2)) < 16 ? 16 : 8;
      else base = 10;
    }
    if (base === 16 && at(i) === 48 && (at(i + 1) | 0x20) === 120) i += 2;
    const start = i;
    let v = 0n;
    const B = BigInt(base);
    let overflow = false;
    while (i < len) {
      const dgt = digit(buf[i]!);
      if (dgt >= base) break;
      v = v * B + BigInt(dgt);
      if (v > 0xffffffffffffffffn) overflow = true;
      i++;
    }
    if (i === start) return fail(EINVAL);
    if (overflow) return fail(ERANGE);
    let out: bigint;
    if (signed) {
      if (neg ? v > 0x8000000000000000n : v > 0x7fffffffffffffffn) return fail(ERANGE);
      out = neg ? -v : v;
    } else {
      if (neg) return fail(EINVAL);
      out = v;
    }
    new DataView(res.buffer, res.byteOffset, 8).setBigUint64(0, BigInt.asUintN(64, out), true);
    vm.retInt(i);
  };
}

function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return 99;
}

/**
 * What the kernel's nofault copy refuses before trying (x86-64, checked on the kernel): user
 * addresses (below 0x0000_8000_0000_0000) and non-canonical ones (48-bit) give -ERANGE.
 */
function kernelAddressError(addr: bigint): number {
  const a = BigInt.asUintN(64, addr);
  if (a < 0x0000_8000_0000_0000n) return -ERANGE;
  if (a >> 47n !== 0x1ffffn) return -ERANGE;
  return 0;
}

/**
 * probe_read_kernel: copies `size` bytes from any readable address; on failure the destination is
 * zeroed and -ERANGE (user or non-canonical address) or -EFAULT returned. The destination itself
 * must be writable (checked first).
 */
function probeRead(vm: Vm): void {
  const size = vm.argLo(2);
  const dst = vm.memory.view(vm.arg(1), size, true);
  const bad = kernelAddressError(vm.arg(3));
  if (bad !== 0) {
    dst.fill(0);
    vm.retInt(bad);
    return;
  }
  const data = vm.memory.tryRead(vm.arg(3), size);
  if (data) {
    dst.set(data);
    vm.retInt(0);
  } else {
    dst.fill(0);
    vm.retInt(-EFAULT);
  }
}

/** probe_read_kernel_str: copies up to a NUL (included); returns the length with the NUL. */
function probeReadStr(vm: Vm): void {
  const size = vm.argLo(2);
  const dst = vm.memory.view(vm.arg(1), size, true);
  if (size === 0) {
    vm.retInt(0);
    return;
  }
  const bad = kernelAddressError(vm.arg(3));
  if (bad !== 0) {
    dst.fill(0);
    vm.retInt(bad);
    return;
  }
  const r = vm.memory.resolve(vm.arg(3));
  if (!r || (vm.memory.perms[r.id]! & Perm.R) === 0 || r.offset >= vm.memory.sizes[r.id]!) {
    dst.fill(0);
    vm.retInt(-EFAULT);
    return;
  }
  const buf = vm.memory.bufs[r.id]!;
  const avail = buf.length - r.offset;
  let n = 0;
  while (n < size - 1 && n < avail && buf[r.offset + n] !== 0) n++;
  if (n < size - 1 && n >= avail) {
    dst.fill(0);
    vm.retInt(-EFAULT);
    return;
  }
  dst.set(buf.subarray(r.offset, r.offset + n));
  dst[n] = 0;
  vm.retInt(n + 1);
}

/** Per-Vm table of reserved ring-buffer records, by region id. */
const reservations = new WeakMap<Vm, Map<number, { map: EngineMap; token: number }>>();

function ringbufMap(vm: Vm, n: number): EngineMap & { ringbuf: NonNullable<EngineMap['ringbuf']> } {
  const m = vm.mapArg(n);
  if (!m.ringbuf) throw new EngineFault('bad_call', `map ${m.id} is not a ring buffer`);
  return m as EngineMap & { ringbuf: NonNullable<EngineMap['ringbuf']> };
}

function ringbufReserve(vm: Vm): void {
  const m = ringbufMap(vm, 1);
  const rec = m.ringbuf.reserve(Number(BigInt.asUintN(32, vm.arg(2))), Number(BigInt.asUintN(32, vm.arg(3))));
  if (!rec) {
    vm.ret(0n);
    return;
  }
  const id = vm.memory.add('ringbuf', rec.data, Perm.RW);
  let t = reservations.get(vm);
  if (!t) {
    t = new Map();
    reservations.set(vm, t);
  }
  t.set(id, { map: m, token: rec.token });
  vm.ret(regionPtr(id, 0));
}

function ringbufCommit(submit: boolean): HelperFn {
  return (vm) => {
    const r = vm.memory.resolve(vm.arg(1));
    const t = reservations.get(vm);
    const rec = r && r.offset === 0 ? t?.get(r.id) : undefined;
    if (!r || !rec) throw new EngineFault('bad_call', `r1 is not a reserved ring-buffer record`, vm.arg(1));
    t!.delete(r.id);
    // The record leaves the program: further accesses fault.
    vm.memory.perms[r.id] = 0;
    vm.memory.sizes[r.id] = 0;
    const flags = Number(BigInt.asUintN(32, vm.arg(2)));
    if (submit) rec.map.ringbuf!.submit(rec.token, flags);
    else rec.map.ringbuf!.discard(rec.token, flags);
    vm.ret(0n);
  };
}

function ringbufOutput(vm: Vm): void {
  const m = ringbufMap(vm, 1);
  const data = vm.memory.read(vm.arg(2), Number(BigInt.asUintN(32, vm.arg(3))));
  vm.retInt(m.ringbuf.output(data, Number(BigInt.asUintN(32, vm.arg(4)))));
}

function ringbufQuery(vm: Vm): void {
  const m = ringbufMap(vm, 1);
  vm.ret(m.ringbuf.query(Number(BigInt.asUintN(32, vm.arg(2)))));
}

function tailCall(vm: Vm): void {
  const m = vm.mapArg(2);
  const index = vm.argLo(3);
  const target = index < m.maxEntries ? m.tailCallTarget?.(index) : undefined;
  if (target && vm.requestTailCall(target)) {
    vm.tailCtxLo = vm.R[2]!;
    vm.tailCtxHi = vm.R[3]!;
    vm.ret(0n);
    return;
  }
  vm.retInt(-ENOENT);
}

function loop(vm: Vm): void {
  const nr = vm.argLo(1);
  const fh = vm.R[5]!;
  const fl = vm.R[4]!;
  const ctx = vm.arg(3);
  if (vm.arg(4) !== 0n) {
    vm.retInt(-EINVAL);
    return;
  }
  if (nr > MAY_GOTO_BUDGET) {
    vm.retInt(-E2BIG);
    return;
  }
  if (fh !== FUNC_PTR_HI)
    throw new EngineFault('bad_call', 'bpf_loop: r2 is not a function pointer', vm.arg(2));
  let i = 0;
  for (; i < nr; i++) {
    if (vm.callback(fl, [BigInt(i), ctx]) !== 0n) {
      i++;
      break;
    }
  }
  vm.retInt(i);
}

function sysBpf(vm: Vm): void {
  const cmd = vm.argLo(1);
  const size = vm.argLo(3);
  if (!vm.env.sysBpf) {
    vm.retInt(-EINVAL);
    return;
  }
  const attr = vm.memory.read(vm.arg(2), size);
  vm.retInt(vm.env.sysBpf(cmd, attr, vm.memory));
}

/**
 * `bpf_copy_from_user(dst, size, user_ptr)`: the calling task's user memory, through
 * {@link EngineEnv.copyFromUser}; where the bytes cannot be read (or the machine models no user
 * memory) the kernel's answer: `dst` zero-filled and -EFAULT.
 */
function copyFromUser(vm: Vm): void {
  const size = vm.argLo(2);
  const dst = vm.memory.view(vm.arg(1), size, true);
  const src = vm.env.copyFromUser?.(vm.arg(3), size);
  if (src === undefined || src.length < size) {
    dst.fill(0);
    vm.retInt(-EFAULT);
    return;
  }
  dst.set(src.subarray(0, size));
  vm.retInt(0);
}

/**
 * `bpf_btf_find_by_name_kind(name, name_sz, kind, flags)` (Linux 6.18): -EINVAL for flags, for
 * name_sz <= 1 or a name not NUL-terminated at name_sz - 1; else the lookup of the C string (up
 * to its first NUL) in the kernel BTF: the type id (module BTF: fd << 32 | id) or -ENOENT.
 */
function btfFindByNameKind(vm: Vm): void {
  const size = vm.argLo(2) | 0;
  if (vm.arg(4) !== 0n || size <= 1) {
    vm.retInt(-EINVAL);
    return;
  }
  const bytes = vm.memory.read(vm.arg(1), size);
  if (bytes[size - 1] !== 0) {
    vm.retInt(-EINVAL);
    return;
  }
  const end = bytes.indexOf(0);
  const name = new TextDecoder().decode(bytes.subarray(0, end));
  const find = vm.env.btfFindByNameKind;
  vm.ret(find === undefined ? BigInt(-ENOENT) : find(name, vm.argLo(3)));
}

/**
 * `bpf_kallsyms_lookup_name(name, name_sz, flags, res)` (Linux 6.18, syscall programs; light
 * skeleton loaders resolve typeless `__ksym`s with it). `*res` is 0 on every error (measured on
 * Linux 6.18: also for -EINVAL). Checked in the kernel's order: -EINVAL for nonzero flags, then for
 * name_sz <= 1 or a name not NUL-terminated at name_sz - 1. Then the C string (up to its first
 * NUL) is looked up in the kernel's symbol table.
 *
 * The machine models no kernel image: it has no kernel text or data, so no symbol has an address
 * (its helpers and kfuncs are TypeScript functions, with no address a program could use). Every
 * well-formed lookup therefore answers as Linux does for a symbol it does not have: `*res = 0` and
 * -ENOENT. A light skeleton's `__weak` typeless ksym becomes 0, as the direct loader makes it
 * without a kallsyms source; a strong one stops the loader with ENOENT. The machine does not model
 * kptr_restrict: it never answers Linux's -EPERM for a caller that may not see kernel addresses.
 */
function kallsymsLookupName(vm: Vm): void {
  vm.memory.view(vm.arg(4), 8, true).fill(0);
  const size = vm.argLo(2) | 0;
  if (vm.arg(3) !== 0n || size <= 1) {
    vm.retInt(-EINVAL);
    return;
  }
  const name = vm.memory.read(vm.arg(1), size);
  if (name[size - 1] !== 0) {
    vm.retInt(-EINVAL);
    return;
  }
  vm.retInt(-ENOENT);
}

function sysClose(vm: Vm): void {
  if (!vm.env.sysClose) {
    vm.retInt(-EINVAL);
    return;
  }
  vm.retInt(vm.env.sysClose(vm.argLo(1)));
}

function currentComm(vm: Vm): void {
  const size = vm.argLo(2);
  const out = vm.memory.view(vm.arg(1), size, true);
  out.fill(0);
  const p = vm.env.process;
  if (!p) {
    vm.retInt(-EINVAL);
    return;
  }
  const name = new TextEncoder().encode(p.comm).subarray(0, TASK_COMM_LEN - 1);
  if (size > 0) out.set(name.subarray(0, size - 1));
  vm.retInt(0);
}

/**
 * `bpf_skb_load_bytes(skb, offset, to, len)`: copies `len` bytes from `skb->data + offset`; an
 * offset past INT_MAX or a range past `skb->len` zero-fills `to` and returns -EFAULT (Linux 6.18,
 * checked under BPF_PROG_TEST_RUN). The packet is the run's skb data (socket filters see it from
 * the network header, as in the kernel's runner).
 */
function skbLoadBytes(vm: Vm): void {
  const offset = vm.argLo(2);
  const len = vm.argLo(4);
  const to = vm.memory.view(vm.arg(3), len, true);
  const id = vm.packetRegion;
  const pkt = id > 0 ? vm.memory.bufs[id] : undefined;
  const avail = id > 0 ? vm.memory.sizes[id]! : 0;
  if (pkt === undefined || offset > 0x7fffffff || offset + len > avail) {
    to.fill(0);
    vm.retInt(-EFAULT);
    return;
  }
  to.set(pkt.subarray(offset, offset + len));
  vm.retInt(0);
}

/**
 * Length of the run's packet (skb: from `skb->data`; xdp: the linear buffer), undefined for
 * programs without one (tracing).
 */
function packetLength(vm: Vm): number | undefined {
  const m = vm.memory;
  if (m.packetRegion > 0) return m.sizes[m.packetRegion]!;
  for (let id = m.kinds.length - 1; id > 0; id--) if (m.kinds[id] === 'packet') return m.sizes[id]!;
  return undefined;
}

/** `BPF_F_INDEX_MASK` and `BPF_F_CTXLEN_MASK` of `bpf_perf_event_output`'s flags. */
const PERF_INDEX_MASK = 0xffffffffn;
const PERF_CTXLEN_MASK = 0xfffffn << 32n;

/** A map whose slots may hold perf events (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`). */
export interface PerfEventSlots {
  /** The perf event in slot `index`, if any (the machine has none: always undefined). */
  perfEvent(index: number): object | undefined;
}

/**
 * `bpf_perf_event_output(ctx, map, flags, data, size)` (Linux 6.18, checked under
 * BPF_PROG_TEST_RUN): -EINVAL for flag bits outside the index and ctx-length masks (tracing
 * programs: any ctx length), -EFAULT when the ctx length exceeds the packet, then the index
 * (BPF_F_CURRENT_CPU: the running CPU) must be below max_entries (-E2BIG) and the slot must hold
 * a perf event (-ENOENT). The machine has no perf events, so every slot is empty: the record goes
 * nowhere and the helper returns -ENOENT, as the kernel does for an empty slot.
 */
function perfEventOutput(vm: Vm): void {
  const map = vm.mapArg(2);
  const flags = BigInt.asUintN(64, vm.arg(3));
  const size = vm.argLo(5);
  if (size > 0) vm.memory.read(vm.arg(4), size);
  const pktLen = packetLength(vm);
  const ctxLen = Number((flags & PERF_CTXLEN_MASK) >> 32n);
  if ((flags & ~(PERF_INDEX_MASK | PERF_CTXLEN_MASK)) !== 0n || (pktLen === undefined && ctxLen !== 0)) {
    vm.retInt(-EINVAL);
    return;
  }
  if (pktLen !== undefined && ctxLen > pktLen) {
    vm.retInt(-EFAULT);
    return;
  }
  let index = Number(flags & PERF_INDEX_MASK);
  if (index === 0xffffffff) index = cpuOf(vm);
  if (index >= map.maxEntries) {
    vm.retInt(-E2BIG);
    return;
  }
  const slots = map as EngineMap & Partial<PerfEventSlots>;
  if (slots.perfEvent?.(index) === undefined) {
    vm.retInt(-ENOENT);
    return;
  }
  // A perf event in a slot would receive the record here; the machine cannot hold one.
  vm.retInt(-ENOENT);
}

/**
 * Per-Vm socket cookies: the machine's counter and the socket of the current run. The kernel's
 * test runner makes one socket per BPF_PROG_TEST_RUN (all repetitions share it), and a socket
 * gets its cookie from a global counter on first use; the machine does the same per machine
 * (one Vm per machine), keyed by the run's ctx.
 */
const cookies = new WeakMap<Vm, { last: bigint; ctx: Uint8Array | undefined; cookie: bigint }>();

/**
 * `bpf_get_socket_cookie(ctx)`: the cookie of the run's socket, allocated on first use (1, 2, ...
 * per machine; on Linux from the kernel-wide counter, so the numbers differ but the rules hold:
 * non-zero, the same within one run, new for each run).
 */
function socketCookie(vm: Vm): void {
  const r = vm.memory.resolve(vm.arg(1));
  const ctx = r === undefined ? undefined : vm.memory.bufs[r.id];
  let st = cookies.get(vm);
  if (st === undefined) {
    st = { last: 0n, ctx: undefined, cookie: 0n };
    cookies.set(vm, st);
  }
  if (st.ctx !== ctx || st.cookie === 0n) {
    st.ctx = ctx;
    st.cookie = ++st.last;
  }
  vm.ret(st.cookie);
}

/** Builds the table of kernel helpers (a fresh map; callers may add or override entries). */
export function kernelHelpers(): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  h.set(HelperId.map_lookup_elem, lookupElem);
  h.set(HelperId.map_update_elem, updateElem);
  h.set(HelperId.map_delete_elem, deleteElem);
  h.set(HelperId.map_push_elem, pushElem);
  h.set(HelperId.map_pop_elem, popOrPeek(true));
  h.set(HelperId.map_peek_elem, popOrPeek(false));
  h.set(HelperId.ktime_get_ns, (vm) => vm.ret(ktime(vm)));
  h.set(HelperId.ktime_get_boot_ns, (vm) => vm.ret(vm.env.bootNs ? vm.env.bootNs() : ktime(vm)));
  h.set(HelperId.get_prandom_u32, (vm) => {
    const r = vm.env.random ? vm.env.random() : xorshift(vm);
    vm.R[0] = r | 0;
    vm.R[1] = 0;
  });
  h.set(HelperId.get_smp_processor_id, (vm) => vm.retLo(cpuOf(vm)));
  h.set(HelperId.get_current_pid_tgid, (vm) => {
    const p = vm.env.process;
    if (!p) {
      vm.retInt(-EINVAL);
      return;
    }
    vm.ret((BigInt(p.tgid >>> 0) << 32n) | BigInt(p.pid >>> 0));
  });
  h.set(HelperId.get_current_uid_gid, (vm) => {
    const p = vm.env.process;
    if (!p) {
      vm.retInt(-EINVAL);
      return;
    }
    vm.ret((BigInt(p.gid >>> 0) << 32n) | BigInt(p.uid >>> 0));
  });
  h.set(HelperId.get_current_comm, currentComm);
  // The machine has no task_struct: an opaque, nonzero, kernel-looking address per process, as a
  // program sees the current task's (it may only pass it on or compare it).
  h.set(HelperId.get_current_task, (vm) => {
    const pid = vm.env.process?.pid ?? 0;
    vm.ret(0xffff888100000000n + BigInt(pid >>> 0) * 0x4000n);
  });
  h.set(HelperId.skb_load_bytes, skbLoadBytes);
  h.set(HelperId.perf_event_output, perfEventOutput);
  // One NUMA node (Linux under BPF_PROG_TEST_RUN on a non-NUMA host: 0).
  h.set(HelperId.get_numa_node_id, (vm) => vm.retLo(0));
  h.set(HelperId.get_socket_cookie, socketCookie);
  // The kernel's test runner gives the skb a socket made with uid 0 (checked: 0 under test run).
  h.set(HelperId.get_socket_uid, (vm) => vm.retLo(0));
  h.set(HelperId.trace_printk, tracePrintk);
  h.set(HelperId.snprintf, snprintf);
  h.set(HelperId.strtol, strto(true));
  h.set(HelperId.strtoul, strto(false));
  h.set(HelperId.probe_read, probeRead);
  h.set(HelperId.probe_read_kernel, probeRead);
  h.set(HelperId.probe_read_kernel_str, probeReadStr);
  h.set(HelperId.ringbuf_output, ringbufOutput);
  h.set(HelperId.ringbuf_reserve, ringbufReserve);
  h.set(HelperId.ringbuf_submit, ringbufCommit(true));
  h.set(HelperId.ringbuf_discard, ringbufCommit(false));
  h.set(HelperId.ringbuf_query, ringbufQuery);
  h.set(HelperId.tail_call, tailCall);
  h.set(HelperId.loop, loop);
  h.set(HelperId.sys_bpf, sysBpf);
  h.set(HelperId.copy_from_user, copyFromUser);
  h.set(HelperId.btf_find_by_name_kind, btfFindByNameKind);
  h.set(HelperId.sys_close, sysClose);
  h.set(HelperId.kallsyms_lookup_name, kallsymsLookupName);
  // Socket helpers: the only socket a program reaches is the dummy one of an skb test run
  // (`__sk_buff->sk`, src/machine/testrun.ts): a full socket (bpf_sk_fullsock gives the same
  // pointer back) with no protocol and state TCP_CLOSE, so neither a TCP nor a listening socket.
  h.set(HelperId.sk_fullsock, (vm) => vm.ret(vm.arg(1)));
  h.set(HelperId.tcp_sock, (vm) => vm.ret(0n));
  h.set(HelperId.get_listener_sock, (vm) => vm.ret(0n));
  return h;
}

/** True when `value` is a map pointer as the engine encodes them (for diagnostics). */
export function isMapPointer(value: bigint): boolean {
  return Number(BigInt.asUintN(64, value) >> 32n) === MAP_PTR_HI >>> 0;
}

export { FormatStringError, formatPrintf } from './format.js';
