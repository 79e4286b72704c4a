/**
 * The backend seam: one typed method per bpf(2) command, implemented by the kernel backend
 * (`tsbpf/sys/kernel`, bpf(2) through FFI) and by the built-in machine.
 *
 * Design:
 * - Arguments are the typed attrs of `src/uapi` (plain objects: numbers for fds and 32-bit
 *   fields, bigints for 64-bit values, `Uint8Array` for buffers, strings for names and paths).
 *   The kernel backend encodes them with the uapi codec; the machine's `bpf_sys_bpf` helper
 *   decodes attr bytes from program memory with the same codec and calls these same methods.
 * - Output buffers are caller-owned `Uint8Array`s that the command fills (a looked-up value, a
 *   next key, test-run output, info dumps), exactly like the kernel's pointers; hot paths
 *   (element operations) take the buffers directly so an implementation can avoid allocation.
 * - Every fd returned is an {@link Fd} (close()/`using`, finalizer as a safety net); fd arguments
 *   are plain numbers (`fd.fd`), because attrs decoded from bytes hold numbers.
 * - Failures throw {@link BpfError} with the errno name/number and the command; failed loads
 *   throw {@link VerifierError} with the whole log. "Not found" answers that callers iterate over
 *   are results, not errors: lookups, deletes and GET_NEXT_KEY return `false`, GET_NEXT_ID returns
 *   `undefined`, and a batch reports `done`. (A `bpf_sys_bpf` caller turns `false` into -ENOENT.)
 * - Keyrings are a separate small interface, {@link Keyrings}, used by signed loads.
 *
 * @module
 */

import type {
  BtfLoadAttr,
  LinkCreateAttr,
  LinkUpdateAttr,
  MapBatchAttr,
  MapCreateAttr,
  ObjAttr,
  ProgLoadAttr,
  TestRunAttr,
  TestRunResult,
} from '../uapi/attrs.js';
import type { BtfInfo, LinkInfo, MapInfo, ProgInfo, ProgInfoRequest } from '../uapi/info.js';
import type { Fd, LoadedFd } from './fd.js';

/** What a batch lookup returns. */
export interface BatchResult {
  /** Elements processed (written to `keys`/`values`). */
  count: number;
  /** True when the map has no more elements (the kernel answered ENOENT). */
  done: boolean;
}

/** Request of {@link Backend.objGetInfoByFd} for a program: output buffers to fill. */
export interface ProgInfoQuery extends ProgInfoRequest {
  kind: 'prog';
}
/** Request of {@link Backend.objGetInfoByFd} for a map; `hash` (32 bytes) receives the content hash. */
export interface MapInfoQuery {
  kind: 'map';
  hash?: Uint8Array;
}
/** Request of {@link Backend.objGetInfoByFd} for a BTF object. */
export interface BtfInfoQuery {
  kind: 'btf';
  /** Receives the raw BTF (its length is the capacity). */
  btf?: Uint8Array;
  /** Receives the name, NUL-terminated. */
  name?: Uint8Array;
}
/** Request of {@link Backend.objGetInfoByFd} for a link. */
export interface LinkInfoQuery {
  kind: 'link';
}

/** The bpf(2) commands, typed. */
export interface Backend {
  /** `'kernel'` or `'machine'`. */
  readonly name: string;

  /** `BPF_MAP_CREATE`. */
  mapCreate(attr: MapCreateAttr): Fd;
  /**
   * `BPF_MAP_LOOKUP_ELEM`: fills `value`; false when the key is absent (ENOENT). `key` is
   * absent for queue/stack maps. `flags`: {@link ElemFlag.F_LOCK}.
   */
  mapLookupElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags?: number): boolean;
  /** `BPF_MAP_UPDATE_ELEM` with {@link ElemFlag} ANY/NOEXIST/EXIST, optionally `| F_LOCK`. */
  mapUpdateElem(mapFd: number, key: Uint8Array | undefined, value: Uint8Array, flags?: number): void;
  /** `BPF_MAP_DELETE_ELEM`: false when the key is absent. */
  mapDeleteElem(mapFd: number, key: Uint8Array): boolean;
  /** `BPF_MAP_GET_NEXT_KEY`: fills `nextKey` (first key when `key` is absent); false at the end. */
  mapGetNextKey(mapFd: number, key: Uint8Array | undefined, nextKey: Uint8Array): boolean;
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (also pop for queue/stack maps): false when absent/empty. */
  mapLookupAndDeleteElem(
    mapFd: number,
    key: Uint8Array | undefined,
    value: Uint8Array,
    flags?: number,
  ): boolean;
  /** `BPF_MAP_LOOKUP_BATCH`. */
  mapLookupBatch(attr: MapBatchAttr): BatchResult;
  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH`. */
  mapLookupAndDeleteBatch(attr: MapBatchAttr): BatchResult;
  /** `BPF_MAP_UPDATE_BATCH`: returns the number of elements updated. */
  mapUpdateBatch(attr: MapBatchAttr): number;
  /** `BPF_MAP_DELETE_BATCH`: returns the number of elements deleted. */
  mapDeleteBatch(attr: MapBatchAttr): number;
  /** `BPF_MAP_FREEZE`. */
  mapFreeze(mapFd: number): void;

  /**
   * `BPF_PROG_LOAD`. The returned fd carries the log. When `attr.logBuf` is absent, the backend
   * manages the log itself: it uses `logLevel` (if any) with a buffer it grows on ENOSPC using
   * `log_true_size`, and on failure without a log it loads again with log level 1 so the
   * {@link VerifierError} has the verifier's explanation. EAGAIN is retried.
   */
  progLoad(attr: ProgLoadAttr): LoadedFd;
  /** `BPF_BTF_LOAD`, log handling as {@link Backend.progLoad}. */
  btfLoad(attr: BtfLoadAttr): LoadedFd;

  /** `BPF_OBJ_PIN`: pins `attr.bpfFd` at `attr.pathname` (in a bpffs). */
  objPin(attr: ObjAttr & { bpfFd: number }): void;
  /** `BPF_OBJ_GET`: opens a pinned object; the fd's kind is `obj` unless `kind` is given. */
  objGet(attr: ObjAttr, kind?: Fd['kind']): Fd;

  /** `BPF_PROG_GET_NEXT_ID`: the next id after `startId`, or undefined at the end. */
  progGetNextId(startId: number): number | undefined;
  /** `BPF_MAP_GET_NEXT_ID`. */
  mapGetNextId(startId: number): number | undefined;
  /** `BPF_BTF_GET_NEXT_ID`. */
  btfGetNextId(startId: number): number | undefined;
  /** `BPF_LINK_GET_NEXT_ID`. */
  linkGetNextId(startId: number): number | undefined;
  /** `BPF_PROG_GET_FD_BY_ID`. */
  progGetFdById(id: number, openFlags?: number): Fd;
  /** `BPF_MAP_GET_FD_BY_ID` (`openFlags`: {@link FileFlag} RDONLY/WRONLY). */
  mapGetFdById(id: number, openFlags?: number): Fd;
  /** `BPF_BTF_GET_FD_BY_ID`. */
  btfGetFdById(id: number, openFlags?: number): Fd;
  /** `BPF_LINK_GET_FD_BY_ID`. */
  linkGetFdById(id: number, openFlags?: number): Fd;

  /**
   * `BPF_OBJ_GET_INFO_BY_FD`, typed by the kind of object. The request's buffers are filled
   * (up to their length); the info's length fields tell how much the whole thing needs.
   */
  objGetInfoByFd(fd: number, query: ProgInfoQuery): ProgInfo;
  /** Map info; with `query.hash` (frozen arrays only: EPERM otherwise) `info.hash` is the content hash. */
  objGetInfoByFd(fd: number, query: MapInfoQuery): MapInfo;
  /** BTF object info. */
  objGetInfoByFd(fd: number, query: BtfInfoQuery): BtfInfo;
  /** Link info. */
  objGetInfoByFd(fd: number, query: LinkInfoQuery): LinkInfo;

  /** `BPF_PROG_TEST_RUN`: runs the program; output buffers of `attr` are filled. */
  progTestRun(attr: TestRunAttr): TestRunResult;

  /** `BPF_LINK_CREATE`. */
  linkCreate(attr: LinkCreateAttr): Fd;
  /** `BPF_LINK_UPDATE`. */
  linkUpdate(attr: LinkUpdateAttr): void;
  /** `BPF_LINK_DETACH`. */
  linkDetach(linkFd: number): void;
  /** `BPF_PROG_BIND_MAP`: keeps `mapFd` alive as long as the program. */
  progBindMap(progFd: number, mapFd: number): void;

  /** close(2) of a raw fd number (what {@link Fd.close} calls). */
  close(fd: number): void;
}

/** The keyring syscalls signed loads need (`add_key(2)`, `keyctl(2)`). Key ids are serials. */
export interface Keyrings {
  /** `add_key(type, description, payload, keyring)`: the new (or updated) key's serial. */
  addKey(type: string, description: string, payload: Uint8Array | undefined, keyring: number): number;
  /**
   * Adds a DER X.509 certificate as an `asymmetric` key to `keyring` (e.g.
   * {@link KeySpec.SESSION_KEYRING}); the kernel names it from the certificate unless
   * `description` is given. Returns the key's serial.
   */
  addCertificate(der: Uint8Array, keyring: number, description?: string): number;
  /** Creates a keyring named `description` inside `parent`; returns its serial. */
  createKeyring(description: string, parent: number): number;
  /** `KEYCTL_JOIN_SESSION_KEYRING`: joins (or creates, when new) the named session keyring; anonymous when no name. */
  joinSessionKeyring(name?: string): number;
  /** `KEYCTL_GET_KEYRING_ID`: resolves a special id ({@link KeySpec}) to a serial. */
  getKeyringId(special: number, create?: boolean): number;
  /** `KEYCTL_SEARCH`: the serial of the key, or undefined when not found (ENOKEY). */
  search(keyring: number, type: string, description: string): number | undefined;
  /** `KEYCTL_DESCRIBE`: `type;uid;gid;perm;description`. */
  describe(key: number): string;
  /** `KEYCTL_UNLINK`: removes `key` from `keyring`. */
  unlink(key: number, keyring: number): void;
}
