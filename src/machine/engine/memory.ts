/**
 * The program's address space: a table of typed regions (stack frames, ctx, packet, map values,
 * ring-buffer records, read-only data). A program pointer is a 64-bit value whose high 32 bits
 * name the region (`REGION_HI_BASE + id`) and whose low 32 bits are the offset inside it, so the
 * interpreter can check every access with two integer compares and never touches host memory
 * outside the region's own bytes.
 *
 * @module
 */

/** Access permissions of a region (bit set). */
export const Perm = {
  /** No access (map pointers, code pointers). */
  NONE: 0,
  /** Readable. */
  R: 1,
  /** Writable. */
  W: 2,
  /** Readable and writable. */
  RW: 3,
} as const;

/** What a region holds; shown in faults. */
export type RegionKind =
  | 'stack'
  | 'ctx'
  | 'packet'
  | 'map_value'
  | 'ringbuf'
  | 'rodata'
  | 'mem'
  | 'helper'
  /** A socket as programs see it (`struct bpf_sock`), e.g. a test run's `__sk_buff->sk`. */
  | 'sock';

/** High half of the first region's pointers: pointers look like kernel addresses (0xffff8001_xxxxxxxx). */
export const REGION_HI_BASE = 0xffff8000 | 0;
/**
 * The low half of a pointer to a region's first byte: region offsets are stored as
 * `PTR_LO_BASE + offset`, so the low half of a pointer the verifier allows (offsets stay within
 * +-2^30) is never 0, as Linux's verifier takes the low half of a valid pointer to be (it decides
 * a 32-bit `ptr != 0` test of a never-null pointer). Instructions' memory offsets are predecoded
 * with the base taken off, so an access still costs one addition.
 */
export const PTR_LO_BASE = 0x40000000;

/** The pointer to byte `offset` of region `id`. */
export function regionPtr(id: number, offset: number): bigint {
  return ptr(REGION_HI_BASE + id, offset + PTR_LO_BASE);
}

/** Maximum number of regions in one address space. */
export const MAX_REGIONS = 0x7fff;
/** High half of map pointers (`ld_imm64` MAP_FD/MAP_IDX): low half is the map's index in the Vm. */
export const MAP_PTR_HI = 0xffff7000 | 0;
/** High half of code pointers (`ld_imm64` PSEUDO_FUNC): low half is the instruction index. */
export const FUNC_PTR_HI = 0xffff6000 | 0;

/**
 * Custom loads for a region whose fields are not plain bytes (the kernel rewrites ctx accesses,
 * e.g. `xdp_md->data` yields a 64-bit packet pointer). Return `undefined` to fall back to the
 * bytes (or to fault, when the access is out of bounds).
 */
export interface RegionHooks {
  /** Value of a `size`-byte load at `offset`, as a 64-bit value. */
  load?(offset: number, size: number): bigint | undefined;
  /** Called instead of the byte store; return false to refuse it (a fault). */
  store?(offset: number, size: number, value: bigint): boolean;
}

/** Why a memory access or instruction failed at run time. */
export type FaultKind =
  | 'out_of_bounds'
  | 'permission'
  | 'null'
  | 'bad_pointer'
  | 'call_depth'
  | 'budget'
  | 'bad_call'
  | 'helper'
  | 'unsupported'
  /** An instruction with an invalid encoding, kept in the image but never to run (a verifier bug). */
  | 'invalid_insn';

/**
 * A run-time fault: the program stops, nothing outside its regions changed. `pc` is the logical
 * instruction index and `slot` its 8-byte slot (-1 when raised outside the interpreter loop).
 */
export class EngineFault extends Error {
  /** Fault category. */
  readonly kind: FaultKind;
  /** Logical instruction index (-1 when unknown). */
  pc: number;
  /** Slot index of the instruction (-1 when unknown). */
  slot: number;
  /** The faulting address, when the fault is a memory access. */
  readonly addr: bigint | undefined;
  /** What went wrong, without the place. */
  readonly reason: string;

  /**
   * @param kind - fault category
   * @param reason - what went wrong
   * @param addr - faulting address, when a memory access
   * @param pc - logical instruction index, when known
   * @param slot - slot index, when known
   */
  constructor(kind: FaultKind, reason: string, addr?: bigint, pc = -1, slot = -1) {
    super(reason);
    this.name = 'EngineFault';
    this.kind = kind;
    this.reason = reason;
    this.addr = addr;
    this.pc = pc;
    this.slot = slot;
    this.refresh();
  }

  /** Sets the instruction position (used by the interpreter when a helper faults). */
  at(pc: number, slot: number): this {
    if (this.pc < 0) {
      this.pc = pc;
      this.slot = slot;
      this.refresh();
    }
    return this;
  }

  private refresh(): void {
    const where = this.pc >= 0 ? `insn ${this.pc} (slot ${this.slot}): ` : '';
    const a = this.addr !== undefined ? ` at 0x${this.addr.toString(16)}` : '';
    this.message = `${where}${this.reason}${a}`;
  }
}

/** Formats a pointer from its halves. */
export function ptr(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The region table. Region 0 is never valid, so NULL and small integers never point anywhere.
 * Arrays are public for the interpreter's fast path; use the methods otherwise.
 */
export class AddressSpace {
  /** Bytes of each region. */
  readonly bufs: Uint8Array[] = [new Uint8Array(0)];
  /** DataView over each region's bytes. */
  readonly views: DataView[] = [new DataView(new ArrayBuffer(0))];
  /** Size of each region in bytes. */
  readonly sizes: Int32Array = new Int32Array(MAX_REGIONS + 1);
  /** {@link Perm} bits of each region; bit 4 marks regions with hooks (slow path). */
  readonly perms: Uint8Array = new Uint8Array(MAX_REGIONS + 1);
  /** Kind of each region. */
  readonly kinds: RegionKind[] = ['mem'];
  /** Hooks of each region. */
  readonly hooks: (RegionHooks | undefined)[] = [undefined];
  /** Region id of the socket buffer that LD_ABS/LD_IND read (0: none). */
  packetRegion = 0;
  /** Number of fixed regions kept by {@link AddressSpace.reset}. */
  private fixed = 1;
  private cache = new Map<ArrayBufferLike, Map<number, number>>();

  /** Number of regions in use (including the invalid region 0). */
  get count(): number {
    return this.bufs.length;
  }

  /**
   * Adds a region over `bytes` (aliased, not copied) and returns the pointer to its first byte.
   * Throws an {@link EngineFault} when the table is full.
   */
  addRegion(kind: RegionKind, bytes: Uint8Array, perm: number, hooks?: RegionHooks): bigint {
    const id = this.add(kind, bytes, perm, hooks);
    return regionPtr(id, 0);
  }

  /** Like {@link AddressSpace.addRegion} but returns the region id. */
  add(kind: RegionKind, bytes: Uint8Array, perm: number, hooks?: RegionHooks): number {
    const id = this.bufs.length;
    if (id > MAX_REGIONS)
      throw new EngineFault('unsupported', `address space is full (${MAX_REGIONS} regions)`);
    this.bufs.push(bytes);
    this.views.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.sizes[id] = bytes.byteLength;
    this.perms[id] = (perm & 3) | (hooks ? 4 : 0);
    this.kinds.push(kind);
    this.hooks.push(hooks);
    return id;
  }

  /**
   * The region for `bytes`, reusing the one already made for the same storage (map lookups
   * return the same element again and again). Returns the region id.
   */
  regionFor(kind: RegionKind, bytes: Uint8Array, perm: number): number {
    let m = this.cache.get(bytes.buffer);
    if (!m) {
      m = new Map();
      this.cache.set(bytes.buffer, m);
    }
    const key = bytes.byteOffset * 2 + (perm & 2 ? 1 : 0);
    const id = m.get(key);
    if (id !== undefined && this.sizes[id] === bytes.byteLength && this.kinds[id] === kind) return id;
    const nid = this.add(kind, bytes, perm);
    m.set(key, nid);
    return nid;
  }

  /** Keeps only the first `n` regions from now on across {@link AddressSpace.reset} (the stack frames). */
  freeze(): void {
    this.fixed = this.bufs.length;
  }

  /** Drops every region added after {@link AddressSpace.freeze}. */
  reset(): void {
    this.bufs.length = this.fixed;
    this.views.length = this.fixed;
    this.kinds.length = this.fixed;
    this.hooks.length = this.fixed;
    this.sizes.fill(0, this.fixed);
    this.perms.fill(0, this.fixed);
    this.cache.clear();
    this.packetRegion = 0;
  }

  /** Region id and offset of a pointer, or `undefined` when it names no region. */
  resolve(addr: bigint): { id: number; offset: number } | undefined {
    const a = BigInt.asUintN(64, addr);
    const hi = Number(a >> 32n) | 0;
    const id = (hi - REGION_HI_BASE) | 0;
    if (id <= 0 || id >= this.bufs.length) return undefined;
    return { id, offset: Number(a & 0xffffffffn) - PTR_LO_BASE };
  }

  /** Checks an access of `len` bytes at `addr` and returns (region, offset) or throws a fault. */
  check(addr: bigint, len: number, write: boolean): { id: number; offset: number } {
    const a = BigInt.asUintN(64, addr);
    if (a === 0n) throw new EngineFault('null', `${write ? 'write to' : 'read from'} NULL`, a);
    const r = this.resolve(a);
    if (!r)
      throw new EngineFault(
        'bad_pointer',
        `${write ? 'write to' : 'read from'} an address outside every region`,
        a,
      );
    const size = this.sizes[r.id]!;
    if (len < 0 || r.offset < 0 || r.offset + len > size) {
      throw new EngineFault(
        'out_of_bounds',
        `${len}-byte ${write ? 'write' : 'read'} at offset ${r.offset} of ${this.kinds[r.id]} region #${r.id} (size ${size})`,
        a,
      );
    }
    const need = write ? Perm.W : Perm.R;
    if ((this.perms[r.id]! & need) === 0) {
      throw new EngineFault(
        'permission',
        `${write ? 'write to read-only' : 'read from write-only'} ${this.kinds[r.id]} region #${r.id}`,
        a,
      );
    }
    return r;
  }

  /** Copies `len` bytes at `addr` (checked). */
  read(addr: bigint, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const r = this.check(addr, len, false);
    return this.bufs[r.id]!.slice(r.offset, r.offset + len);
  }

  /** A live view of `len` bytes at `addr` (checked for `write` if set). */
  view(addr: bigint, len: number, write: boolean): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const r = this.check(addr, len, write);
    if (write) this.check(addr, len, false);
    return this.bufs[r.id]!.subarray(r.offset, r.offset + len);
  }

  /** Writes `bytes` at `addr` (checked). */
  write(addr: bigint, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const r = this.check(addr, bytes.length, true);
    this.bufs[r.id]!.set(bytes, r.offset);
  }

  /** Copies `len` bytes at `addr`, or `undefined` when not readable. */
  tryRead(addr: bigint, len: number): Uint8Array | undefined {
    try {
      return this.read(addr, len);
    } catch (e) {
      if (e instanceof EngineFault) return undefined;
      throw e;
    }
  }

  /** A NUL-terminated string of at most `max` bytes at `addr`; undefined when unreadable or unterminated. */
  readCString(addr: bigint, max: number): string | undefined {
    const r = this.resolve(addr);
    if (!r || (this.perms[r.id]! & Perm.R) === 0) return undefined;
    const buf = this.bufs[r.id]!;
    const end = Math.min(buf.length, r.offset + max);
    for (let i = r.offset; i < end; i++) {
      if (buf[i] === 0) return new TextDecoder().decode(buf.subarray(r.offset, i));
    }
    return undefined;
  }
}
