/**
 * `bpf_sys_bpf` for syscall programs: the attr a program built in its memory is decoded with the
 * uapi codec (pointers resolve into the program's address space, so output buffers such as a
 * load's log land in program memory) and the command runs on the calling process's backend.
 *
 * As in Linux 6.18 the helper accepts only MAP_CREATE, MAP_UPDATE_ELEM, MAP_DELETE_ELEM,
 * MAP_FREEZE, MAP_GET_FD_BY_ID, PROG_LOAD, BTF_LOAD and LINK_CREATE (RAW_TRACEPOINT_OPEN is not
 * modelled); anything else is -EINVAL. New fds belong to the calling process.
 *
 * @module
 */

import type { Backend } from '../sys/backend.js';
import { BpfError, Errno } from '../sys/errors.js';
import {
  decodeBtfLoad,
  decodeGetId,
  decodeLinkCreate,
  decodeMapCreate,
  decodeMapElem,
  decodeMapFreeze,
  decodeProgLoad,
  peekMapFd,
} from '../uapi/attrs.js';
import { Cmd, MapType } from '../uapi/constants.js';
import { BPF_ATTR_SIZE } from '../uapi/layout.js';
import type { AttrMemory } from '../uapi/memory.js';
import type { AddressSpace } from './engine/memory.js';
import type { BpfMap } from './maps/map.js';

/** Attr memory over a program's address space (decoding only; views alias program memory). */
export class ProgramAttrMemory implements AttrMemory {
  /** @param space - the program's address space */
  constructor(private readonly space: AddressSpace) {}

  /** Not used: the helper only decodes. */
  addressOf(): bigint {
    throw new TypeError('program attr memory decodes only');
  }

  /** A live view of `len` bytes of program memory (faults when not readable). */
  view(addr: bigint, len: number): Uint8Array {
    return this.space.view(addr, len, false);
  }

  /** The NUL-terminated string at `addr`. */
  cString(addr: bigint, max: number): string {
    const s = this.space.readCString(addr, max);
    if (s === undefined) throw new RangeError(`no string of at most ${max} bytes at 0x${addr.toString(16)}`);
    return s;
  }
}

/** What the helper needs from the calling process's backend. */
export interface SysBpfTarget extends Backend {
  /** The map behind an fd of the process (for key and value sizes). */
  mapOf(fd: number): BpfMap | undefined;
}

/** Runs one `bpf_sys_bpf(cmd, attr, size)`: the command's result or a negative errno. */
export function sysBpf(target: SysBpfTarget, cmd: number, attr: Uint8Array, space: AddressSpace): number {
  if (attr.length > BPF_ATTR_SIZE && attr.subarray(BPF_ATTR_SIZE).some((b) => b !== 0)) return -Errno.E2BIG;
  const bytes = new Uint8Array(BPF_ATTR_SIZE);
  bytes.set(attr.subarray(0, BPF_ATTR_SIZE));
  const mem = new ProgramAttrMemory(space);
  try {
    switch (cmd) {
      case Cmd.MAP_CREATE:
        return target.mapCreate(decodeMapCreate(bytes, mem)).release();
      case Cmd.MAP_UPDATE_ELEM:
      case Cmd.MAP_DELETE_ELEM: {
        const map = target.mapOf(peekMapFd(bytes));
        if (map === undefined) return -Errno.EBADF;
        const fdMap =
          map.type === MapType.PROG_ARRAY ||
          map.type === MapType.ARRAY_OF_MAPS ||
          map.type === MapType.HASH_OF_MAPS;
        const a = decodeMapElem(bytes, mem, map.keySize, fdMap ? 4 : map.sysValueSize);
        if (cmd === Cmd.MAP_DELETE_ELEM) {
          if (a.key === undefined && map.keySize > 0) return -Errno.EFAULT;
          return target.mapDeleteElem(a.mapFd, a.key ?? new Uint8Array(0)) ? 0 : -Errno.ENOENT;
        }
        if (a.value === undefined) return -Errno.EFAULT;
        target.mapUpdateElem(a.mapFd, a.key, a.value, Number(a.flags ?? 0n));
        return 0;
      }
      case Cmd.MAP_FREEZE:
        target.mapFreeze(decodeMapFreeze(bytes));
        return 0;
      case Cmd.MAP_GET_FD_BY_ID: {
        const a = decodeGetId(bytes);
        return target.mapGetFdById(a.id, a.openFlags ?? 0).release();
      }
      case Cmd.PROG_LOAD:
        return target.progLoad(decodeProgLoad(bytes, mem)).release();
      case Cmd.BTF_LOAD:
        return target.btfLoad(decodeBtfLoad(bytes, mem)).release();
      case Cmd.LINK_CREATE:
        return target.linkCreate(decodeLinkCreate(bytes, mem)).release();
      default:
        return -Errno.EINVAL;
    }
  } catch (e) {
    if (e instanceof BpfError) return -e.errno;
    // A pointer in the attr that is not program memory: the kernel's copy_from_bpfptr fails.
    return -Errno.EFAULT;
  }
}
