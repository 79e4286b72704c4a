/**
 * BPF opcode fields (RFC 9669 and Linux 6.18), as `as const` objects.
 *
 * An opcode byte is `class | ...`: for ALU/JMP classes `op | source | class`, for load/store
 * classes `mode | size | class`.
 *
 * @module
 */

/** Instruction class: the low 3 bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Operand source for ALU and JMP classes (bit 3): immediate (K) or register (X). */
export const Source = { K: 0x00, X: 0x08 } as const;

/** Byte order selector of `END` in the ALU class (shares bit 3 with {@link Source}). */
export const Endian = { TO_LE: 0x00, TO_BE: 0x08 } as const;

/** ALU operation (high 4 bits). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operation (high 4 bits). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** `may_goto` and future conditional pseudo jumps (src_reg selects which). */
  JCOND: 0xe0,
} as const;

/** Access size for load/store classes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Addressing mode for load/store classes (high 3 bits). */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;

/** Atomic operation, in the `imm` field of `STX | ATOMIC`. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Flag: the old value is returned in the source register. */
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  /** `dst = load_acquire(src + off)` (Linux 6.15+). */
  LOAD_ACQ: 0x100,
  /** `store_release(dst + off, src)` (Linux 6.15+). */
  STORE_REL: 0x110,
} as const;

/** `src_reg` values of a 64-bit immediate load (`ld_imm64`, opcode 0x18). */
export const Pseudo = {
  /** Plain 64-bit constant. */
  NONE: 0,
  /** imm = map fd; the register gets a map pointer. */
  MAP_FD: 1,
  /** imm = map fd, second imm = offset into the value; the register gets a value pointer. */
  MAP_VALUE: 2,
  /** imm = BTF id of a kernel variable, second imm = BTF object fd (0 for vmlinux). */
  BTF_ID: 3,
  /** imm = instruction offset of a subprogram, relative to the next instruction. */
  FUNC: 4,
  /** imm = index into the load's fd_array; the register gets a map pointer. */
  MAP_IDX: 5,
  /** imm = index into fd_array, second imm = offset into the value. */
  MAP_IDX_VALUE: 6,
} as const;

/** `src_reg` values of `call` (opcode 0x85). */
export const CallKind = {
  /** imm = helper function id. */
  HELPER: 0,
  /** imm = offset of a subprogram, relative to the next instruction (bpf-to-bpf call). */
  PSEUDO_CALL: 1,
  /** imm = BTF id of a kernel function; off = index of the module BTF fd in fd_array (0: vmlinux). */
  KFUNC: 2,
} as const;

/** `src_reg` values of `JMP | JCOND`. */
export const JcondKind = { MAY_GOTO: 0 } as const;

/** `off` of `ALU64 MOV X` that selects an arena address-space cast. */
export const ADDR_SPACE_CAST = 1;

/** Opcode of the 64-bit immediate load (`LD | IMM | DW`). */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** Size in bytes for each {@link Size} value, indexed by `(code >> 3) & 3`. */
export const SIZE_BYTES = [4, 2, 1, 8] as const;

/** Bytes in one instruction slot. */
export const SLOT_SIZE = 8;

/** Number of the frame pointer register, which programs may read but not write. */
export const FRAME_POINTER = 10;

/** Mask helpers over an opcode byte. */
export const opClass = (code: number): number => code & 0x07;
/** ALU/JMP operation bits. */
export const opOp = (code: number): number => code & 0xf0;
/** ALU/JMP source bit. */
export const opSource = (code: number): number => code & 0x08;
/** Load/store size bits. */
export const opSize = (code: number): number => code & 0x18;
/** Load/store mode bits. */
export const opMode = (code: number): number => code & 0xe0;
