/**
 * BTF constants: kinds, integer encodings, linkage, header layout. Values follow the kernel's UAPI
 * (`include/uapi/linux/btf.h`), checked against Linux 6.18's own BTF.
 *
 * @module
 */

/** The BTF magic number, `0xeB9F`, read as a u16 in the blob's byte order. */
export const BTF_MAGIC = 0xeb9f;
/** The only BTF version there is. */
export const BTF_VERSION = 1;
/** Size of the fixed part of the BTF header (`struct btf_header`), in bytes. */
export const BTF_HEADER_SIZE = 24;
/** Largest type id the kernel accepts. */
export const BTF_MAX_TYPE = 0x000fffff;
/** Largest name offset the kernel accepts. */
export const BTF_MAX_NAME_OFFSET = 0x00ffffff;
/** Largest `vlen` (number of members, values, params or variables). */
export const BTF_MAX_VLEN = 0xffff;

/** Numeric BTF kinds, as in the `info` word of `struct btf_type` (bits 24..28). */
export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** A numeric BTF kind (one of {@link BTF_KIND}'s values). */
export type BtfKindNumber = (typeof BTF_KIND)[keyof typeof BTF_KIND];
/** A BTF kind name (`'INT'`, `'STRUCT'`, ...), as bpftool prints it. */
export type BtfKindName = Exclude<keyof typeof BTF_KIND, 'UNKN'>;

/** Highest kind number this library knows. */
export const BTF_KIND_MAX = 19;

/** Kind names indexed by kind number (`'UNKN'` for 0). */
export const BTF_KIND_NAMES: readonly string[] = Object.keys(BTF_KIND);

/** Name of a numeric kind, or `'UNKN'`/`'kind N'` for unknown ones. */
export function kindName(kind: number): string {
  return BTF_KIND_NAMES[kind] ?? `kind ${kind}`;
}

/** Bits of an INT's `encoding` field (`BTF_INT_ENCODING`). */
export const BTF_INT = {
  SIGNED: 1,
  CHAR: 2,
  BOOL: 4,
} as const;

/** Linkage of a FUNC (in its `vlen`) or a VAR (in `btf_var.linkage`). */
export const BTF_LINKAGE = {
  STATIC: 0,
  GLOBAL: 1,
  EXTERN: 2,
} as const;

/** Linkage names, indexed by the numeric linkage. */
export type BtfLinkage = 'static' | 'global' | 'extern';
/** Linkage names, indexed by the numeric linkage. */
export const BTF_LINKAGE_NAMES: readonly BtfLinkage[] = ['static', 'global', 'extern'];

/**
 * Bits of the `info` word that must be zero: bits 16..23 and 29..30 (vlen is bits 0..15, kind
 * bits 24..28, kind_flag bit 31).
 */
export const BTF_INFO_UNUSED_MASK = 0x60ff0000;

/** Number of extra 32-bit words after the 12-byte `struct btf_type`, per kind, for `vlen` items. */
export function extraWords(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return 1;
    case BTF_KIND.ARRAY:
      return 3;
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.DATASEC:
    case BTF_KIND.ENUM64:
      return 3 * vlen;
    case BTF_KIND.ENUM:
    case BTF_KIND.FUNC_PROTO:
      return 2 * vlen;
    default:
      return 0;
  }
}

/** CO-RE relocation kinds (`enum bpf_core_relo_kind`), as found in `.BTF.ext` core_relo records. */
export const BPF_CORE_RELO = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** Names of CO-RE relocation kinds, indexed by number. */
export const BPF_CORE_RELO_NAMES: readonly string[] = Object.keys(BPF_CORE_RELO);
