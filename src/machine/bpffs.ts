/**
 * An in-memory bpffs: the file system of `BPF_OBJ_PIN` / `BPF_OBJ_GET`. It is mounted at
 * `/sys/fs/bpf` (more mount points can be added); a pin holds a reference to its object until
 * the path is unlinked.
 *
 * @module
 */

import { Errno } from '../sys/errors.js';

/** Something that can be pinned (a map, program, BTF object or link). */
export interface Pinnable {
  /** Takes a reference. */
  acquire(): void;
  /** Drops a reference. */
  release(): void;
}

type Node = { dir: true } | { dir: false; obj: Pinnable; onUnpin: () => void };

/** The machine's bpffs. Paths are absolute and normalised (`//`, `.` and `..` resolved). */
export class Bpffs {
  private readonly nodes = new Map<string, Node>();
  private readonly mounts = new Set<string>();

  /** @param mounts - mount points (default `/sys/fs/bpf`) */
  constructor(mounts: readonly string[] = ['/sys/fs/bpf']) {
    for (const m of mounts) this.mount(m);
  }

  /** Adds a bpffs mount point. */
  mount(path: string): void {
    const p = normalize(path);
    if (p === undefined) throw new RangeError(`bpffs mount point must be absolute: ${path}`);
    this.mounts.add(p);
    this.nodes.set(p, { dir: true });
  }

  private inBpffs(p: string): boolean {
    for (const m of this.mounts) if (p === m || p.startsWith(`${m}/`)) return true;
    return false;
  }

  /** Creates a directory (`mkdir`); 0 or -errno (ENOENT parent missing, EEXIST, EPERM outside bpffs). */
  mkdir(path: string): number {
    const p = normalize(path);
    if (p === undefined) return -Errno.ENOENT;
    const parent = this.parentOf(p);
    if (typeof parent === 'number') return parent;
    if (this.nodes.has(p)) return -Errno.EEXIST;
    this.nodes.set(p, { dir: true });
    return 0;
  }

  private parentOf(p: string): number | undefined {
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    const node = this.nodes.get(parent);
    if (node === undefined) return this.inBpffs(parent) ? -Errno.ENOENT : -Errno.EPERM;
    if (!node.dir) return -Errno.ENOTDIR;
    return undefined;
  }

  /** Pins `obj` at `path` (the pin takes a reference); 0 or -errno. */
  pin(path: string, obj: Pinnable, onUnpin: () => void = () => {}): number {
    const p = normalize(path);
    if (p === undefined) return -Errno.ENOENT;
    if (this.nodes.has(p)) return -Errno.EEXIST;
    const parent = this.parentOf(p);
    if (typeof parent === 'number') return parent;
    obj.acquire();
    this.nodes.set(p, { dir: false, obj, onUnpin });
    return 0;
  }

  /** The object pinned at `path`, or -errno (ENOENT; EPERM for a directory). */
  get(path: string): Pinnable | number {
    const p = normalize(path);
    if (p === undefined) return -Errno.ENOENT;
    const node = this.nodes.get(p);
    if (node === undefined) return -Errno.ENOENT;
    if (node.dir) return -Errno.EPERM;
    return node.obj;
  }

  /** Removes a pin or an empty directory (`unlink`/`rmdir`); 0 or -errno. */
  unlink(path: string): number {
    const p = normalize(path);
    if (p === undefined) return -Errno.ENOENT;
    const node = this.nodes.get(p);
    if (node === undefined) return -Errno.ENOENT;
    if (this.mounts.has(p)) return -Errno.EBUSY;
    if (node.dir) {
      for (const k of this.nodes.keys()) if (k.startsWith(`${p}/`)) return -Errno.ENOTEMPTY;
      this.nodes.delete(p);
      return 0;
    }
    this.nodes.delete(p);
    node.onUnpin();
    node.obj.release();
    return 0;
  }

  /** Every path (directories end with `/`), sorted. */
  list(): string[] {
    return [...this.nodes.entries()].map(([k, n]) => (n.dir ? `${k}/` : k)).sort();
  }
}

function normalize(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
