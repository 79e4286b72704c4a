/**
 * The IPE policy language: operations, properties, actions and the typed policy they parse to.
 *
 * The vocabulary is the kernel's IPE (`security/ipe/policy_parser.c`) plus the two 2026 proposals
 * for BPF program loads:
 *
 * - IPE/BPF signing (KP Singh, bpf-next, May 2026): `op=BPF_PROG_LOAD` with
 *   `bpf_signature=UNSIGNED|OK|METADATA_VERIFIED`, `bpf_keyring=BUILTIN|SECONDARY|PLATFORM|USER`,
 *   `bpf_kernel=TRUE|FALSE`. The verdict is known before `security_bpf_prog_load` fires; a bad
 *   signature fails the load before any LSM sees it.
 * - Hornet (Blaise Boscaccy, v4..v7, April-May 2026): the same operation, evaluated at
 *   `bpf_prog_load_post_integrity`, with Hornet's verdicts `NONE|OK|UNSIGNED|PARTIALSIG|UNKNOWNKEY|
 *   UNEXPECTED|FAULT|BADSIG` and keyrings `BUILTIN|SECONDARY|PLATFORM`.
 *
 * Both vocabularies are accepted as `bpf_signature` values. They do not mean the same thing for
 * the same word: Hornet's `OK` (signature and every map hash verified) is the IPE proposal's
 * `METADATA_VERIFIED`, and Hornet's `PARTIALSIG` (signature verified, no map hash data) is the IPE
 * proposal's `OK`. Matching is exact (a rule `bpf_signature=OK` matches an event whose verdict is
 * the word `OK`); the event's producer says which vocabulary it speaks, and
 * {@link translateVerdict} converts between them.
 *
 * @module
 */

/** The operations, in the kernel's order (`enum ipe_op_type`), with `BPF_PROG_LOAD` last. */
export const OPERATIONS = [
  'EXECUTE',
  'FIRMWARE',
  'KMODULE',
  'KEXEC_IMAGE',
  'KEXEC_INITRAMFS',
  'POLICY',
  'X509_CERT',
  'BPF_PROG_LOAD',
] as const;

/** An IPE operation (`op=...`). */
export type Operation = (typeof OPERATIONS)[number];

/** The two actions. */
export const ACTIONS = ['ALLOW', 'DENY'] as const;

/** An IPE action (`action=...`). */
export type Action = (typeof ACTIONS)[number];

/** `bpf_signature` values of the IPE/BPF signing proposal. */
export const IPE_BPF_VERDICTS = ['UNSIGNED', 'OK', 'METADATA_VERIFIED'] as const;

/** `bpf_signature` values of the Hornet proposal (its `lsm_integrity_verdict` names). */
export const HORNET_BPF_VERDICTS = [
  'NONE',
  'OK',
  'UNSIGNED',
  'PARTIALSIG',
  'UNKNOWNKEY',
  'UNEXPECTED',
  'FAULT',
  'BADSIG',
] as const;

/** Every accepted `bpf_signature` value: the union of both vocabularies. */
export const BPF_SIGNATURES = [
  'NONE',
  'UNSIGNED',
  'OK',
  'METADATA_VERIFIED',
  'PARTIALSIG',
  'UNKNOWNKEY',
  'UNEXPECTED',
  'FAULT',
  'BADSIG',
] as const;

/** A BPF signature verdict, in either vocabulary. */
export type BpfSignature = (typeof BPF_SIGNATURES)[number];

/** `bpf_keyring` values (`USER` is the IPE proposal's: a keyring id given by the loader). */
export const BPF_KEYRINGS = ['BUILTIN', 'SECONDARY', 'PLATFORM', 'USER'] as const;

/** The keyring a BPF program's signature was checked against. */
export type BpfKeyring = (typeof BPF_KEYRINGS)[number];

/** Which proposal's words a verdict is in. */
export type VerdictVocabulary = 'ipe' | 'hornet';

/** Property keys whose value is `TRUE` or `FALSE`. */
export const BOOLEAN_PROPERTIES = [
  'boot_verified',
  'dmverity_signature',
  'fsverity_signature',
  'bpf_kernel',
] as const;

/** Property keys whose value is a digest `alg:hex`. */
export const DIGEST_PROPERTIES = ['dmverity_roothash', 'fsverity_digest'] as const;

/** Every property key, in the order the printer and the audit record use. */
export const PROPERTY_KEYS = [
  'boot_verified',
  'dmverity_roothash',
  'dmverity_signature',
  'fsverity_digest',
  'fsverity_signature',
  'bpf_signature',
  'bpf_keyring',
  'bpf_kernel',
] as const;

/** A property key. */
export type PropertyKey = (typeof PROPERTY_KEYS)[number];

/** Property keys that describe a BPF program load (the others describe a file). */
export const BPF_PROPERTY_KEYS: readonly PropertyKey[] = ['bpf_signature', 'bpf_keyring', 'bpf_kernel'];

/**
 * One `key=value` condition of a rule. `value` is canonical text: `TRUE`/`FALSE`, a verdict or
 * keyring word, or a digest `alg:hex` with lower-case hex.
 */
export interface Property {
  /** The property name. */
  readonly key: PropertyKey;
  /** The canonical value. */
  readonly value: string;
}

/** A policy version `major.minor.rev`, each 0..65535. */
export interface PolicyVersion {
  /** Major number. */
  readonly major: number;
  /** Minor number. */
  readonly minor: number;
  /** Revision number. */
  readonly rev: number;
}

/** A `DEFAULT ... action=...` line. */
export interface DefaultRule {
  /** The default action. */
  readonly action: Action;
  /** 1-based line number in the source text (0 for policies built in code). */
  readonly line: number;
}

/** A rule line `op=... <properties> action=...`. */
export interface Rule {
  /** The operation the rule applies to. */
  readonly op: Operation;
  /** The conditions, in source order (duplicates kept, as the kernel keeps them). */
  readonly properties: readonly Property[];
  /** What happens when every property matches. */
  readonly action: Action;
  /** 1-based line number in the source text (0 for policies built in code). */
  readonly line: number;
}

/** A parsed IPE policy. */
export interface Policy {
  /** `policy_name=` of the header. */
  readonly name: string;
  /** `policy_version=` of the header. */
  readonly version: PolicyVersion;
  /** Line of the header (0 for policies built in code). */
  readonly headerLine: number;
  /** `DEFAULT action=...`, when present. */
  readonly globalDefault: DefaultRule | undefined;
  /** `DEFAULT op=X action=...` lines, by operation. */
  readonly opDefaults: Readonly<Partial<Record<Operation, DefaultRule>>>;
  /** The rules of every operation, in source order (evaluation keeps only the event's op). */
  readonly rules: readonly Rule[];
}

/** Orders two versions: negative, 0 or positive, as the kernel's `ver_to_u64` comparison does. */
export function compareVersions(a: PolicyVersion, b: PolicyVersion): number {
  return a.major - b.major || a.minor - b.minor || a.rev - b.rev;
}

/** `X.Y.Z`. */
export function formatVersion(v: PolicyVersion): string {
  return `${v.major}.${v.minor}.${v.rev}`;
}

/** Whether `value` is a verdict word of `vocabulary`. */
export function isVerdictOf(value: BpfSignature, vocabulary: VerdictVocabulary): boolean {
  return ((vocabulary === 'ipe' ? IPE_BPF_VERDICTS : HORNET_BPF_VERDICTS) as readonly string[]).includes(
    value,
  );
}

/**
 * Converts a verdict from one proposal's words to the other's, or returns `undefined` when the
 * other proposal has no such outcome (Hornet's failure verdicts: in the IPE/BPF signing design a
 * bad signature fails the load before the LSM hook, so no policy ever sees it).
 *
 * | Hornet       | IPE/BPF signing   |
 * |--------------|-------------------|
 * | `OK`         | `METADATA_VERIFIED` |
 * | `PARTIALSIG` | `OK`              |
 * | `UNSIGNED`   | `UNSIGNED`        |
 * | `NONE`, `UNKNOWNKEY`, `UNEXPECTED`, `FAULT`, `BADSIG` | (none) |
 */
export function translateVerdict(
  value: BpfSignature,
  from: VerdictVocabulary,
  to: VerdictVocabulary,
): BpfSignature | undefined {
  if (!isVerdictOf(value, from)) {
    throw new RangeError(`'${value}' is not a ${from === 'ipe' ? 'IPE/BPF signing' : 'Hornet'} verdict`);
  }
  if (from === to) return value;
  if (from === 'hornet') {
    if (value === 'OK') return 'METADATA_VERIFIED';
    if (value === 'PARTIALSIG') return 'OK';
    if (value === 'UNSIGNED') return 'UNSIGNED';
    return undefined;
  }
  if (value === 'METADATA_VERIFIED') return 'OK';
  if (value === 'OK') return 'PARTIALSIG';
  return 'UNSIGNED';
}

/**
 * The `bpf_keyring` class of a `BPF_PROG_LOAD` attr's `keyring_id`, as the kernel reads it: ids 0,
 * 1 and 2 name the system keyrings (builtin trusted keys; `VERIFY_USE_SECONDARY_KEYRING`;
 * `VERIFY_USE_PLATFORM_KEYRING`, `include/linux/verification.h`), anything else is the serial of a
 * user keyring.
 */
export function bpfKeyringOf(keyringId: number): BpfKeyring {
  if (!Number.isInteger(keyringId)) throw new RangeError(`keyring id ${keyringId} is not an integer`);
  if (keyringId === 0) return 'BUILTIN';
  if (keyringId === 1) return 'SECONDARY';
  if (keyringId === 2) return 'PLATFORM';
  return 'USER';
}
