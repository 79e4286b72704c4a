/**
 * The decoded BTF model: one plain object per type, returned by {@link Btf.type}. These objects
 * are views made on demand; the {@link Btf} keeps the compact encoded form.
 *
 * @module
 */

import type { BtfLinkage } from './kinds.js';

/** Fields every decoded type has. */
export interface BtfTypeCommon {
  /** The type id (0 is `void`, never decoded). */
  readonly id: number;
  /** The name, `''` for anonymous types. */
  readonly name: string;
  /** Offset of the name in the string table (split BTF: counted from the base's first string). */
  readonly nameOff: number;
}

/** `BTF_KIND_INT`: an integer type (also `char` and `_Bool`). */
export interface BtfInt extends BtfTypeCommon {
  readonly kind: 'INT';
  /** Size in bytes (1, 2, 4, 8 or 16). */
  readonly size: number;
  /** Raw encoding bits ({@link BTF_INT}). */
  readonly encoding: number;
  /** Encoding has the SIGNED bit. */
  readonly signed: boolean;
  /** Encoding has the CHAR bit. */
  readonly char: boolean;
  /** Encoding has the BOOL bit. */
  readonly bool: boolean;
  /** Bit offset of the value inside its storage (legacy bitfield encoding). */
  readonly bitOffset: number;
  /** Number of value bits. */
  readonly bits: number;
}

/** `BTF_KIND_PTR`. */
export interface BtfPtr extends BtfTypeCommon {
  readonly kind: 'PTR';
  /** Pointee type id. */
  readonly type: number;
}

/** `BTF_KIND_ARRAY`. */
export interface BtfArray extends BtfTypeCommon {
  readonly kind: 'ARRAY';
  /** Element type id. */
  readonly type: number;
  /** Index type id. */
  readonly indexType: number;
  /** Number of elements. */
  readonly nelems: number;
}

/** A member of a struct or union. */
export interface BtfMember {
  /** Member name, `''` for anonymous members. */
  readonly name: string;
  /** Name offset in the string table. */
  readonly nameOff: number;
  /** Member type id. */
  readonly type: number;
  /** Offset of the member from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits; 0 when the member is not a bitfield (or kind_flag is clear). */
  readonly bitfieldSize: number;
}

/** `BTF_KIND_STRUCT` or `BTF_KIND_UNION`. */
export interface BtfComposite extends BtfTypeCommon {
  readonly kind: 'STRUCT' | 'UNION';
  /** Size in bytes. */
  readonly size: number;
  /** kind_flag: member offsets carry a bitfield size in their top 8 bits. */
  readonly kindFlag: boolean;
  /** Members in declaration order. */
  readonly members: readonly BtfMember[];
}

/** One enumerator of an ENUM. */
export interface BtfEnumValue {
  /** Enumerator name. */
  readonly name: string;
  /** Name offset in the string table. */
  readonly nameOff: number;
  /** The value (signed or unsigned per the enum's `signed`). */
  readonly value: number;
}

/** `BTF_KIND_ENUM`: values up to 32 bits. */
export interface BtfEnum extends BtfTypeCommon {
  readonly kind: 'ENUM';
  /** Size in bytes (1, 2, 4 or 8). */
  readonly size: number;
  /** kind_flag: the values are signed. */
  readonly signed: boolean;
  /** Enumerators in order. */
  readonly values: readonly BtfEnumValue[];
}

/** One enumerator of an ENUM64. */
export interface BtfEnum64Value {
  /** Enumerator name. */
  readonly name: string;
  /** Name offset in the string table. */
  readonly nameOff: number;
  /** The value (signed or unsigned per the enum's `signed`). */
  readonly value: bigint;
}

/** `BTF_KIND_ENUM64`: values up to 64 bits. */
export interface BtfEnum64 extends BtfTypeCommon {
  readonly kind: 'ENUM64';
  /** Size in bytes. */
  readonly size: number;
  /** kind_flag: the values are signed. */
  readonly signed: boolean;
  /** Enumerators in order. */
  readonly values: readonly BtfEnum64Value[];
}

/** `BTF_KIND_FWD`: a forward declaration of a struct or union. */
export interface BtfFwd extends BtfTypeCommon {
  readonly kind: 'FWD';
  /** `'union'` when kind_flag is set, else `'struct'`. */
  readonly fwdKind: 'struct' | 'union';
}

/** `BTF_KIND_TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`: a name or qualifier on another type. */
export interface BtfRef extends BtfTypeCommon {
  readonly kind: 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT';
  /** The referenced type id. */
  readonly type: number;
}

/** `BTF_KIND_TYPE_TAG`: a tag on a pointee type (`__user`, `__rcu`, ...). */
export interface BtfTypeTag extends BtfTypeCommon {
  readonly kind: 'TYPE_TAG';
  /** The tagged type id. */
  readonly type: number;
  /** kind_flag: the name is a whole attribute (`address_space(1)`), not a `btf_type_tag` value. */
  readonly attribute: boolean;
}

/** `BTF_KIND_FUNC`: a function, pointing at its FUNC_PROTO. */
export interface BtfFunc extends BtfTypeCommon {
  readonly kind: 'FUNC';
  /** The FUNC_PROTO type id. */
  readonly type: number;
  /** Linkage (stored in vlen). */
  readonly linkage: BtfLinkage;
}

/** One parameter of a FUNC_PROTO. */
export interface BtfParam {
  /** Parameter name (`''` when unnamed). */
  readonly name: string;
  /** Name offset in the string table. */
  readonly nameOff: number;
  /** Parameter type id; 0 with an empty name for the last parameter means `...`. */
  readonly type: number;
}

/** `BTF_KIND_FUNC_PROTO`: a function signature. */
export interface BtfFuncProto extends BtfTypeCommon {
  readonly kind: 'FUNC_PROTO';
  /** Return type id (0 for void). */
  readonly returnType: number;
  /** Parameters in order. */
  readonly params: readonly BtfParam[];
}

/** `BTF_KIND_VAR`: a global or static variable. */
export interface BtfVar extends BtfTypeCommon {
  readonly kind: 'VAR';
  /** Variable type id. */
  readonly type: number;
  /** Linkage. */
  readonly linkage: BtfLinkage;
}

/** One variable of a DATASEC. */
export interface BtfVarSecinfo {
  /** The VAR (or FUNC, for .ksyms) type id. */
  readonly type: number;
  /** Offset in the section, in bytes. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/** `BTF_KIND_DATASEC`: an ELF data section and the variables in it. */
export interface BtfDatasec extends BtfTypeCommon {
  readonly kind: 'DATASEC';
  /** Section size in bytes (0 in objects until a loader fills it in). */
  readonly size: number;
  /** Variables in the section. */
  readonly vars: readonly BtfVarSecinfo[];
}

/** `BTF_KIND_FLOAT`. */
export interface BtfFloat extends BtfTypeCommon {
  readonly kind: 'FLOAT';
  /** Size in bytes (2, 4, 8, 12 or 16). */
  readonly size: number;
}

/** `BTF_KIND_DECL_TAG`: a tag on a declaration, or on one of its members/params. */
export interface BtfDeclTag extends BtfTypeCommon {
  readonly kind: 'DECL_TAG';
  /** The tagged type id. */
  readonly type: number;
  /** -1 for the type itself, else the member or parameter index. */
  readonly componentIdx: number;
  /** kind_flag: the name is a whole attribute, not a `btf_decl_tag` value. */
  readonly attribute: boolean;
}

/** Any decoded BTF type. Narrow on `kind`. */
export type BtfType =
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfRef
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;
