/**
 * Errors of the bpf(2) and keyring commands. Every failure keeps its errno: {@link BpfError} has
 * the errno name (`code`, e.g. `'EACCES'`), the number and the command; loads that fail with a
 * log raise {@link VerifierError}, which carries the whole log and shows its last lines.
 *
 * @module
 */

/** Linux errno numbers by name (the generic/x86-64 table, plus the kernel-internal ENOTSUPP). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ENODATA: 61,
  ETIME: 62,
  ENOLINK: 67,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EBADFD: 77,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
  ENOKEY: 126,
  EKEYEXPIRED: 127,
  EKEYREVOKED: 128,
  EKEYREJECTED: 129,
  /** Kernel-internal "operation not supported", leaked by some bpf paths (524). */
  ENOTSUPP: 524,
} as const;

/** An errno name of {@link Errno}. */
export type ErrnoCode = keyof typeof Errno;

const NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** The errno name of `errno` (`'EACCES'`), or `'E<number>'` when unknown. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** A failed bpf(2) (or keyring) command, with its errno. */
export class BpfError extends Error {
  /** Errno name, e.g. `'EACCES'`. */
  readonly code: string;
  /** Errno number. */
  readonly errno: number;
  /** The command, e.g. `'BPF_MAP_CREATE'`, `'add_key'`, `'keyctl(KEYCTL_SEARCH)'`. */
  readonly command: string;

  /**
   * @param command - the failed command
   * @param errno - the errno (positive)
   * @param detail - more context for the message
   */
  constructor(command: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${command}: ${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'BpfError';
    this.code = code;
    this.errno = errno;
    this.command = command;
  }

  /** True when `e` is a {@link BpfError} with errno name `code`. */
  static is(e: unknown, code: ErrnoCode): e is BpfError {
    return e instanceof BpfError && e.code === code;
  }
}

/** Lines of the log shown in a {@link VerifierError}'s message. */
const TAIL_LINES = 3;

/**
 * A `BPF_PROG_LOAD` or `BPF_BTF_LOAD` that failed with a log. `log` is the whole log; the message
 * shows its last lines and how many lines were left out, e.g.
 * `BPF_PROG_LOAD: EACCES: R0 !read_ok (12 lines omitted)`.
 */
export class VerifierError extends BpfError {
  /** The whole log. */
  readonly log: string;
  /** The log, line by line (without empty trailing lines). */
  readonly lines: readonly string[];
  /** True when the kernel's log did not fit and was truncated. */
  readonly truncated: boolean;

  /**
   * @param command - `BPF_PROG_LOAD` or `BPF_BTF_LOAD`
   * @param errno - the errno
   * @param log - the whole log
   * @param truncated - whether the log was truncated
   */
  constructor(command: string, errno: number, log: string, truncated = false) {
    const lines = log.split('\n');
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    const tail = lines.slice(-TAIL_LINES);
    const omitted = lines.length - tail.length;
    let detail = tail.join('\n');
    if (omitted > 0) detail += ` (${omitted} line${omitted === 1 ? '' : 's'} omitted)`;
    if (truncated) detail += ' (log truncated)';
    super(command, errno, detail || undefined);
    this.name = 'VerifierError';
    this.log = log;
    this.lines = lines;
    this.truncated = truncated;
  }
}
