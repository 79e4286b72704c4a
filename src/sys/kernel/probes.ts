/**
 * Feature probes of the running kernel, each run once and cached: map types, program types,
 * helpers per program type, exclusive maps, BTF kinds, signed program loads.
 *
 * A probe answers {@link Probe}: `supported`, and when not, the reason in words (e.g. "signature
 * verification not available in this kernel: CONFIG_SYSTEM_DATA_VERIFICATION"). Probes never
 * throw for an unsupported feature; they throw only when bpf(2) itself is unusable.
 *
 * @module
 */

import { Btf } from '../../btf/btf.js';
import { BTF_KIND } from '../../btf/kinds.js';
import { AttachType, MapType, ProgFlag, ProgType } from '../../uapi/constants.js';
import { BpfError, Errno } from '../errors.js';
import { type KernelBackend, kernelBackend } from './backend.js';

/** A probe's answer. */
export interface Probe {
  /** True when the kernel has the feature. */
  readonly supported: boolean;
  /** Why not (or a note), in words. */
  readonly reason?: string;
}

const cache = new Map<string, Probe>();

function cached(key: string, run: () => Probe): Probe {
  let p = cache.get(key);
  if (p === undefined) {
    p = run();
    cache.set(key, p);
  }
  return p;
}

/** Forgets every cached answer (for tests). */
export function clearProbeCache(): void {
  cache.clear();
}

const YES: Probe = Object.freeze({ supported: true });
const no = (reason: string): Probe => Object.freeze({ supported: false, reason });

function errnoOf(e: unknown): number {
  if (e instanceof BpfError) return e.errno;
  throw e;
}

// mov64 r0, 0; exit
const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** Map attrs that a kernel with the type accepts (key/value sizes differ by type). */
function mapProbeAttr(type: number): {
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags?: number;
  mapExtra?: bigint;
} {
  switch (type) {
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      return { keySize: 0, valueSize: 0, maxEntries: 4096 };
    case MapType.QUEUE:
    case MapType.STACK:
    case MapType.BLOOM_FILTER:
      return { keySize: 0, valueSize: 4, maxEntries: 1 };
    case MapType.LPM_TRIE:
      return { keySize: 8, valueSize: 4, maxEntries: 1, mapFlags: 1 };
    case MapType.CGROUP_STORAGE:
    case MapType.PERCPU_CGROUP_STORAGE:
      return { keySize: 16, valueSize: 4, maxEntries: 0 };
    case MapType.SK_STORAGE:
    case MapType.INODE_STORAGE:
    case MapType.TASK_STORAGE:
    case MapType.CGRP_STORAGE:
      return { keySize: 4, valueSize: 4, maxEntries: 0, mapFlags: 1 };
    case MapType.STACK_TRACE:
      return { keySize: 4, valueSize: 8, maxEntries: 1 };
    case MapType.ARENA:
      return { keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: 1024 };
    default:
      return { keySize: 4, valueSize: 4, maxEntries: 1 };
  }
}

/**
 * Whether the kernel has map type `type` ({@link MapType}). Map-in-map and struct_ops types need
 * an inner map or BTF; for them a refusal that names the missing part (EBADF/EINVAL/ENOTSUPP)
 * counts as supported only if the type number is known to the kernel, which is decided by
 * whether an unknown neighbour number gives the same answer.
 */
export function probeMapType(type: number, backend: KernelBackend = kernelBackend()): Probe {
  return cached(`map:${type}`, () => {
    if (type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
      const inner = backend.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      try {
        backend
          .mapCreate({ mapType: type, keySize: 4, valueSize: 4, maxEntries: 1, innerMapFd: inner.fd })
          .close();
        return YES;
      } catch (e) {
        return no(`BPF_MAP_CREATE of type ${type}: ${(e as Error).message}`);
      } finally {
        inner.close();
      }
    }
    if (LOCAL_STORAGE.has(type)) {
      // Local storage maps need BTF for key and value.
      const btf = new Btf();
      const int = btf.addInt('int', 4, { encoding: 1 });
      const btfFd = backend.btfLoad({ btf: btf.serialize() });
      try {
        backend
          .mapCreate({
            mapType: type,
            keySize: 4,
            valueSize: 4,
            maxEntries: 0,
            mapFlags: 1,
            btfFd: btfFd.fd,
            btfKeyTypeId: int,
            btfValueTypeId: int,
          })
          .close();
        return YES;
      } catch (e) {
        return no(`BPF_MAP_CREATE of type ${type}: ${(e as Error).message}`);
      } finally {
        btfFd.close();
      }
    }
    if (type === MapType.STRUCT_OPS) {
      // Without btf_vmlinux_value_type_id a kernel with struct_ops asks for it (EINVAL) exactly
      // like a kernel without the type; a value type id that cannot exist tells them apart.
      try {
        backend
          .mapCreate({
            mapType: type,
            keySize: 4,
            valueSize: 4,
            maxEntries: 1,
            btfVmlinuxValueTypeId: 0xfffffff,
          })
          .close();
        return YES;
      } catch (e) {
        const errno = errnoOf(e);
        return errno === Errno.EINVAL ? no(`BPF_MAP_CREATE of type ${type}: ${(e as Error).message}`) : YES;
      }
    }
    try {
      backend.mapCreate({ mapType: type, ...mapProbeAttr(type) }).close();
      return YES;
    } catch (e) {
      return no(`BPF_MAP_CREATE of type ${type}: ${(e as Error).message}`);
    }
  });
}

const LOCAL_STORAGE: ReadonlySet<number> = new Set([
  MapType.SK_STORAGE,
  MapType.INODE_STORAGE,
  MapType.TASK_STORAGE,
  MapType.CGRP_STORAGE,
]);

/** Load attrs some program types need (expected attach type, sleepable). */
const PROG_EXTRA: Readonly<Record<number, { expectedAttachType?: number; progFlags?: number }>> = {
  [ProgType.CGROUP_SOCK_ADDR]: { expectedAttachType: AttachType.CGROUP_INET4_BIND },
  [ProgType.CGROUP_SOCKOPT]: { expectedAttachType: AttachType.CGROUP_GETSOCKOPT },
  [ProgType.SK_LOOKUP]: { expectedAttachType: AttachType.SK_LOOKUP },
  [ProgType.NETFILTER]: { expectedAttachType: AttachType.NETFILTER },
  [ProgType.SYSCALL]: { progFlags: ProgFlag.SLEEPABLE },
};

/** Program types that load only with an attach target (BTF id or program). */
const NEEDS_TARGET: ReadonlySet<number> = new Set([
  ProgType.TRACING,
  ProgType.LSM,
  ProgType.EXT,
  ProgType.STRUCT_OPS,
]);

/**
 * Whether the kernel has program type `type` ({@link ProgType}): loads `r0 = 0; exit`. Types that
 * need an attach target count as supported when the kernel asks for the target instead of
 * refusing the type.
 */
export function probeProgType(type: number, backend: KernelBackend = kernelBackend()): Probe {
  return cached(`prog:${type}`, () => {
    try {
      backend.progLoad({ progType: type, insns: RET0, license: 'GPL', ...PROG_EXTRA[type] }).close();
      return YES;
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === Errno.EPERM) {
        return no(
          `BPF_PROG_LOAD of type ${type} refused with EPERM before verification (lockdown or an LSM)`,
        );
      }
      if (NEEDS_TARGET.has(type) && errno !== Errno.EINVAL) return YES;
      if (NEEDS_TARGET.has(type) && e instanceof BpfError && /attach|btf/i.test(e.message)) return YES;
      return no(`BPF_PROG_LOAD of type ${type}: ${(e as Error).message}`);
    }
  });
}

/**
 * Whether programs of type `progType` may call helper `helperId` ({@link Helper}): loads a program
 * that calls it with zero arguments and reads the verifier's answer. The helper is missing when
 * the log says `invalid func unknown#N` or `program of this type cannot use helper`; any other
 * refusal (about the arguments) means it is there.
 */
export function probeHelper(
  progType: number,
  helperId: number,
  backend: KernelBackend = kernelBackend(),
): Probe {
  return cached(`helper:${progType}:${helperId}`, () => {
    const insns = new Uint8Array(5 * 8);
    const dv = new DataView(insns.buffer);
    // r1..r3 = 0 so argument checks fail predictably; call; r0 = 0; exit
    insns.set([0xb7, 0x01], 0);
    insns.set([0xb7, 0x02], 8);
    insns[16] = 0x85;
    dv.setInt32(20, helperId, true);
    insns.set([0xb7, 0x00], 24);
    insns[32] = 0x95;
    try {
      backend.progLoad({ progType, insns, license: 'GPL', logLevel: 1, ...PROG_EXTRA[progType] }).close();
      return YES;
    } catch (e) {
      errnoOf(e);
      const msg = (e as { log?: string }).log ?? (e as Error).message;
      if (/invalid func unknown#|cannot use helper|unknown func/.test(msg)) {
        return no(`helper ${helperId} is not available to program type ${progType}`);
      }
      if (/unknown opcode|invalid BPF_LD_IMM|invalid program type/i.test(msg))
        return no(msg.trim().split('\n').pop()!);
      return YES;
    }
  });
}

/** Whether `BPF_MAP_CREATE` accepts `excl_prog_hash` (exclusive maps, Linux 6.18). */
export function probeExclusiveMaps(backend: KernelBackend = kernelBackend()): Probe {
  return cached('exclusive-maps', () => {
    try {
      backend
        .mapCreate({
          mapType: MapType.ARRAY,
          keySize: 4,
          valueSize: 4,
          maxEntries: 1,
          exclProgHash: new Uint8Array(32),
        })
        .close();
      return YES;
    } catch (e) {
      return no(`exclusive maps (excl_prog_hash) not supported: ${(e as Error).message}`);
    }
  });
}

/** A minimal BTF blob using `kind` (plus an `int` it can refer to). */
function btfWithKind(kind: number): Uint8Array {
  const b = new Btf();
  const int = b.addInt('int', 4, { encoding: 1 });
  switch (kind) {
    case BTF_KIND.INT:
      break;
    case BTF_KIND.PTR:
      b.addPtr(int);
      break;
    case BTF_KIND.ARRAY:
      b.addArray(int, int, 2);
      break;
    case BTF_KIND.STRUCT:
      b.addStruct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
      break;
    case BTF_KIND.UNION:
      b.addUnion('u', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
      break;
    case BTF_KIND.ENUM:
      b.addEnum('e', 4, [{ name: 'A', value: 1 }]);
      break;
    case BTF_KIND.FWD:
      b.addFwd('f');
      break;
    case BTF_KIND.TYPEDEF:
      b.addTypedef('t', int);
      break;
    case BTF_KIND.VOLATILE:
      b.addVolatile(int);
      break;
    case BTF_KIND.CONST:
      b.addConst(int);
      break;
    case BTF_KIND.RESTRICT:
      b.addRestrict(b.addPtr(int));
      break;
    case BTF_KIND.FUNC:
      b.addFunc('fn', b.addFuncProto(int, [{ name: 'x', type: int }]));
      break;
    case BTF_KIND.FUNC_PROTO:
      b.addFuncProto(int, [{ name: 'x', type: int }]);
      break;
    case BTF_KIND.VAR:
      b.addVar('v', int);
      break;
    case BTF_KIND.DATASEC: {
      const v = b.addVar('v', int, 'global');
      b.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
      break;
    }
    case BTF_KIND.FLOAT:
      b.addFloat('float', 4);
      break;
    case BTF_KIND.DECL_TAG:
      b.addDeclTag('tag', b.addStruct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]), 0);
      break;
    case BTF_KIND.TYPE_TAG:
      b.addPtr(b.addTypeTag('tag', int));
      break;
    case BTF_KIND.ENUM64:
      b.addEnum64('e', 8, [{ name: 'A', value: 1n << 40n }]);
      break;
    default:
      throw new RangeError(`no probe for BTF kind ${kind}`);
  }
  return b.serialize();
}

/** Whether `BPF_BTF_LOAD` accepts BTF kind `kind` (a `BTF_KIND` value of `tsbpf/btf`). */
export function probeBtfKind(kind: number, backend: KernelBackend = kernelBackend()): Probe {
  return cached(`btf:${kind}`, () => {
    try {
      backend.btfLoad({ btf: btfWithKind(kind) }).close();
      return YES;
    } catch (e) {
      return no(`BTF kind ${kind} refused: ${(e as Error).message}`);
    }
  });
}

/** The reason this kernel gives no signed loads (EOPNOTSUPP). */
export const NO_SIGNATURE_VERIFICATION =
  'signature verification not available in this kernel: CONFIG_SYSTEM_DATA_VERIFICATION';

/**
 * Whether `BPF_PROG_LOAD` verifies signatures (`signature`, `keyring_id`). Loads `r0 = 0; exit`
 * with a malformed signature: a kernel that verifies refuses the signature itself (EBADMSG,
 * EINVAL, EKEYREJECTED, ENOKEY...); one built without CONFIG_SYSTEM_DATA_VERIFICATION answers
 * EOPNOTSUPP; an older kernel refuses the unknown attr fields (E2BIG).
 */
export function probeSignedLoads(backend: KernelBackend = kernelBackend()): Probe {
  return cached('signed-loads', () => {
    try {
      backend
        .progLoad({
          progType: ProgType.SOCKET_FILTER,
          insns: RET0,
          license: 'GPL',
          signature: new Uint8Array(16),
        })
        .close();
      return no('a malformed signature was accepted: the kernel ignores signatures');
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === Errno.EOPNOTSUPP || errno === Errno.ENOTSUPP) return no(NO_SIGNATURE_VERIFICATION);
      if (errno === Errno.E2BIG) return no('signed program loads need Linux 6.18 or later');
      return YES;
    }
  });
}
