/**
 * Owned file descriptors. Every fd a backend returns is an {@link Fd}: `close()` it, or scope it
 * with `using`. A `FinalizationRegistry` closes fds that were dropped without `close()` and warns
 * once per process (see {@link setFdLeakHandler}).
 *
 * @module
 */

/** What an fd refers to. */
export type FdKind = 'map' | 'prog' | 'btf' | 'link' | 'obj';

interface Held {
  readonly n: number;
  readonly kind: FdKind;
  readonly closer: (n: number) => void;
}

let warned = false;
let leakHandler: (n: number, kind: FdKind) => void = (n, kind) => {
  if (warned) return;
  warned = true;
  console.warn(
    `tsbpf: ${kind} fd ${n} was garbage-collected without close(); closing it (further leaks are closed silently). Call close() or use \`using\`.`,
  );
};
let leaked = 0;

const registry = new FinalizationRegistry<Held>((h) => {
  leaked++;
  try {
    h.closer(h.n);
  } catch {
    // The fd is gone already; nothing to do in a finalizer.
  }
  leakHandler(h.n, h.kind);
});

/**
 * Replaces what happens (after the fd is closed) when a leaked {@link Fd} is collected; the
 * default warns once per process. Returns the previous handler.
 */
export function setFdLeakHandler(fn: (n: number, kind: FdKind) => void): (n: number, kind: FdKind) => void {
  const prev = leakHandler;
  leakHandler = fn;
  return prev;
}

/** How many leaked fds the finalizer has closed so far. */
export function leakedFdCount(): number {
  return leaked;
}

/** An owned file descriptor: closed by {@link Fd.close}, `using`, or (late) the garbage collector. */
export class Fd implements Disposable {
  #n: number;
  readonly #closer: (n: number) => void;
  /** What the fd refers to. */
  readonly kind: FdKind;

  /**
   * @param n - the fd number (owned from now on)
   * @param kind - what it refers to
   * @param closer - closes the number (the backend's `close`)
   */
  constructor(n: number, kind: FdKind, closer: (n: number) => void) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`invalid fd ${n}`);
    this.#n = n;
    this.kind = kind;
    this.#closer = closer;
    registry.register(this, { n, kind, closer }, this);
  }

  /** The fd number. Throws a TypeError once closed. */
  get fd(): number {
    if (this.#n < 0) throw new TypeError(`${this.kind} fd is closed`);
    return this.#n;
  }

  /** True once closed (or released). */
  get closed(): boolean {
    return this.#n < 0;
  }

  /** Closes the fd; closing twice is a no-op. */
  close(): void {
    const n = this.#n;
    if (n < 0) return;
    this.#n = -1;
    registry.unregister(this);
    this.#closer(n);
  }

  /** Same as {@link Fd.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Gives up ownership: returns the number, which the caller must close. */
  release(): number {
    const n = this.fd;
    this.#n = -1;
    registry.unregister(this);
    return n;
  }

  /** `fd N (kind)`, for messages. */
  toString(): string {
    return this.#n < 0 ? `closed ${this.kind} fd` : `${this.kind} fd ${this.#n}`;
  }
}

/** An fd returned by a load (`BPF_PROG_LOAD`, `BPF_BTF_LOAD`), with the load's log. */
export class LoadedFd extends Fd {
  /** The log the load wrote (empty when no log was asked for). */
  readonly log: string;
  /** Bytes the whole log needs (`log_true_size`), including the NUL. */
  readonly logTrueSize: number;

  /**
   * @param n - the fd number
   * @param kind - `prog` or `btf`
   * @param closer - closes the number
   * @param log - the load's log
   * @param logTrueSize - `log_true_size`
   */
  constructor(n: number, kind: FdKind, closer: (n: number) => void, log: string, logTrueSize: number) {
    super(n, kind, closer);
    this.log = log;
    this.logTrueSize = logTrueSize;
  }
}
