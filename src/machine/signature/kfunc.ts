/**
 * `bpf_loader_verify_metadata(map, hash, hash_size)`: the kfunc of the kfunc metadata scheme (May
 * 2026 proposal), as the machine provides it to BPF_PROG_TYPE_SYSCALL programs. It checks that
 * `map` is exclusive to the calling program and frozen, and that the SHA-256 of its contents
 * equals the 32 bytes at `hash`; it returns 0, -EINVAL (hash_size not 32), -EPERM (not
 * exclusive or not frozen) or -EBADMSG (hash mismatch). On success the caller is told
 * (`onVerified`) so the program's verdict becomes METADATA_VERIFIED.
 *
 * The loader declares the kfunc in a minimal prog BTF object passed in fd_array and names it in
 * the call (`call` src 2, imm = the FUNC's id in that BTF, off = its fd_array index); the machine
 * resolves it by name.
 *
 * @module
 */

import { parseBtf } from '../../btf/btf.js';
import { mapContentHash } from '../../hash/index.js';
import { Errno } from '../../sys/errors.js';
import { ProgType } from '../../uapi/constants.js';
import type { HelperFn } from '../engine/interp.js';
import type { BpfMap } from '../maps/map.js';

/** The kfunc's name. */
export const VERIFY_METADATA_KFUNC = 'bpf_loader_verify_metadata';

/**
 * Whether `btfBytes` (the BTF object at fd_array[off]) declares {@link VERIFY_METADATA_KFUNC} as
 * type `btfId`, for a program of `progType`: undefined when it does, else the verifier message.
 */
export function resolveVerifyMetadata(
  btfBytes: Uint8Array | undefined,
  btfId: number,
  progType: number,
): string | undefined {
  if (btfBytes === undefined) return `kernel function with BTF id ${btfId} is not provided by the machine`;
  let name: string | undefined;
  let kind: string | undefined;
  try {
    const btf = parseBtf(btfBytes);
    const t = btf.type(btfId);
    name = t.name;
    kind = t.kind;
  } catch (e) {
    return `kfunc BTF id ${btfId}: ${(e as Error).message}`;
  }
  if (kind !== 'FUNC' || name !== VERIFY_METADATA_KFUNC)
    return `calling kernel function ${name ?? btfId} is not allowed (the machine provides ${VERIFY_METADATA_KFUNC})`;
  if (progType !== ProgType.SYSCALL)
    return `${VERIFY_METADATA_KFUNC} is only for BPF_PROG_TYPE_SYSCALL programs`;
  return undefined;
}

/** The kfunc implementation; `onVerified` runs when a check succeeds. */
export function verifyMetadataKfunc(onVerified: () => void): HelperFn {
  return (vm) => {
    const map = vm.mapArg(1) as unknown as BpfMap;
    const size = vm.argLo(3);
    if (size !== 32) {
      vm.retInt(-Errno.EINVAL);
      return;
    }
    const want = vm.memory.read(vm.arg(2), 32);
    if (map.exclProgHash === undefined || !map.frozen) {
      vm.retInt(-Errno.EPERM);
      return;
    }
    const content = map.contentBytes?.();
    if (content === undefined) {
      vm.retInt(-Errno.EINVAL);
      return;
    }
    const got = mapContentHash(content, map.valueSize, map.maxEntries);
    for (let i = 0; i < 32; i++) {
      if (got[i] !== want[i]) {
        vm.retInt(-Errno.EBADMSG);
        return;
      }
    }
    onVerified();
    vm.retInt(0);
  };
}
