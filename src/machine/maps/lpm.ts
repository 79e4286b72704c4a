/**
 * `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix-match lookups over keys `{ u32 prefixlen; u8 data[] }`
 * (prefixlen in host order, data big-endian: data[0] holds the most significant bits).
 *
 * The trie is a binary Patricia trie. Each node holds a prefix (length and data) and, unless it
 * is an intermediate node, a value; a node's child `b` holds the prefixes that extend it with bit
 * `b` right after its prefix. Intermediate nodes (no value, never returned) exist only to split two
 * subtrees and always have two children. The shape follows from the sequence of updates and
 * deletes exactly as in Linux 6.18, because GET_NEXT_KEY walks it in post-order (more specific
 * prefixes first) and users see that order; test/machine/lpm-trie.test.ts checks the order and every
 * result against the kernel with random prefixes.
 *
 * Semantics (Linux 6.18): update flags above BPF_EXIST and prefix lengths above `8 * data size`
 * give EINVAL; BPF_NOEXIST on a present prefix gives EEXIST, BPF_EXIST on an absent one ENOENT; a
 * new prefix in a full trie gives ENOSPC (replacing one never does). Lookups (syscall and program)
 * return the value of the longest stored prefix of the key that is no longer than the key's own
 * prefix length; delete needs the exact prefix (ENOENT otherwise).
 *
 * @module
 */

import { Errno } from '../../sys/errors.js';
import { BpfMap, type Bytes, type MapDef } from './map.js';

/** Bytes of the key's `prefixlen` header. */
export const LPM_KEY_HEADER = 4;

interface Node {
  /** Prefix length in bits. */
  prefixlen: number;
  /** Intermediate node: no value, never returned. */
  im: boolean;
  /** The prefix bytes (data size; bits past prefixlen are kept as given). */
  data: Uint8Array;
  /** The value (undefined for intermediate nodes made by an insert). */
  value: Uint8Array | undefined;
  /** Children: 0 and 1 by the bit after the prefix. */
  child: [Node | undefined, Node | undefined];
}

/** Where a node hangs: a parent's child slot, or the root. */
interface Slot {
  owner: { child: (Node | undefined)[] };
  index: number;
}

/** Bit `index` of `data`, most significant bit of data[0] first. */
function bit(data: Uint8Array, index: number): 0 | 1 {
  return ((data[index >>> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

/** An LPM trie map. */
export class LpmTrieMap extends BpfMap {
  /** Bytes of prefix data per key (key size - 4). */
  readonly dataSize: number;
  /** Longest prefix a key may have (8 * dataSize). */
  readonly maxPrefixlen: number;
  private readonly root: { child: (Node | undefined)[] } = { child: [undefined] };
  private entries = 0;

  /** @param def - validated attributes */
  constructor(def: MapDef) {
    super(def);
    this.dataSize = def.keySize - LPM_KEY_HEADER;
    this.maxPrefixlen = this.dataSize * 8;
  }

  /** Number of stored prefixes. */
  get size(): number {
    return this.entries;
  }

  override memoryBytes(): number {
    return this.entries * (32 + this.dataSize + this.valueSize);
  }

  private prefixlenOf(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  /** Number of leading bits `node` and the key agree on, at most min(node, key) prefix length. */
  private match(node: Node, data: Uint8Array, prefixlen: number): number {
    const limit = Math.min(node.prefixlen, prefixlen);
    let n = 0;
    for (let i = 0; n < limit; i++) {
      const diff = node.data[i]! ^ data[i]!;
      if (diff !== 0) {
        n += Math.clz32(diff) - 24;
        break;
      }
      n += 8;
    }
    return Math.min(n, limit);
  }

  private get(s: Slot): Node | undefined {
    return s.owner.child[s.index];
  }

  private set(s: Slot, n: Node | undefined): void {
    s.owner.child[s.index] = n;
  }

  /** The node whose value a lookup of the key returns. */
  private find(key: Uint8Array): Node | undefined {
    const prefixlen = this.prefixlenOf(key);
    if (prefixlen > this.maxPrefixlen) return undefined;
    const data = key.subarray(LPM_KEY_HEADER, LPM_KEY_HEADER + this.dataSize);
    let found: Node | undefined;
    let node = this.root.child[0];
    while (node !== undefined) {
      const m = this.match(node, data, prefixlen);
      if (m === this.maxPrefixlen) return node;
      if (m < node.prefixlen) break;
      if (!node.im) found = node;
      node = node.child[bit(data, node.prefixlen)];
    }
    return found;
  }

  /** Counts a new element: ENOENT under BPF_EXIST, ENOSPC when full. */
  private addOne(flags: number): number {
    if (flags === 2) return -Errno.ENOENT;
    if (this.entries >= this.maxEntries) return -Errno.ENOSPC;
    this.entries++;
    return 0;
  }

  /** Update (syscall and program): inserts or replaces the exact prefix of `key`. */
  private put(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > 2 || flags < 0) return -Errno.EINVAL;
    const prefixlen = this.prefixlenOf(key);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.slice(LPM_KEY_HEADER, LPM_KEY_HEADER + this.dataSize);
    const fresh: Node = {
      prefixlen,
      im: false,
      data,
      value: value.slice(0, this.valueSize),
      child: [undefined, undefined],
    };
    let slot: Slot = { owner: this.root, index: 0 };
    let node: Node | undefined;
    let m = 0;
    while ((node = this.get(slot)) !== undefined) {
      m = this.match(node, data, prefixlen);
      if (node.prefixlen !== m || node.prefixlen === prefixlen || node.prefixlen === this.maxPrefixlen) break;
      slot = { owner: node, index: bit(data, node.prefixlen) };
    }
    if (node === undefined) {
      const r = this.addOne(flags);
      if (r < 0) return r;
      this.set(slot, fresh);
      return 0;
    }
    if (node.prefixlen === m) {
      // The exact prefix: replace the node (an intermediate one becomes a real element).
      if (!node.im) {
        if (flags === 1) return -Errno.EEXIST;
      } else {
        const r = this.addOne(flags);
        if (r < 0) return r;
      }
      fresh.child = node.child;
      this.set(slot, fresh);
      return 0;
    }
    const r = this.addOne(flags);
    if (r < 0) return r;
    if (m === prefixlen) {
      // The new prefix covers the node: it goes in between as its parent.
      fresh.child[bit(node.data, m)] = node;
      this.set(slot, fresh);
      return 0;
    }
    const im: Node = {
      prefixlen: m,
      im: true,
      data: node.data.slice(),
      value: undefined,
      child: bit(data, m) ? [node, fresh] : [fresh, node],
    };
    this.set(slot, im);
    return 0;
  }

  /** Delete (syscall and program): the exact prefix of `key`. */
  private remove(key: Uint8Array): number {
    const prefixlen = this.prefixlenOf(key);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.subarray(LPM_KEY_HEADER, LPM_KEY_HEADER + this.dataSize);
    let trim: Slot = { owner: this.root, index: 0 };
    let trim2 = trim;
    let parent: Node | undefined;
    let node: Node | undefined;
    let m = 0;
    while ((node = this.get(trim)) !== undefined) {
      m = this.match(node, data, prefixlen);
      if (node.prefixlen !== m || node.prefixlen === prefixlen) break;
      parent = node;
      trim2 = trim;
      trim = { owner: node, index: bit(data, node.prefixlen) };
    }
    if (node === undefined || node.prefixlen !== prefixlen || node.prefixlen !== m || node.im)
      return -Errno.ENOENT;
    this.entries--;
    const [c0, c1] = node.child;
    if (c0 !== undefined && c1 !== undefined) {
      // Two children: the node stays as an intermediate one.
      node.im = true;
      return 0;
    }
    if (parent?.im && c0 === undefined && c1 === undefined) {
      // A leaf under an intermediate node: both go, the sibling takes the parent's place.
      this.set(trim2, parent.child[0] === node ? parent.child[1] : parent.child[0]);
      return 0;
    }
    this.set(trim, c0 ?? c1);
    return 0;
  }

  private keyOf(n: Node): Uint8Array {
    const k = new Uint8Array(this.keySize);
    new DataView(k.buffer).setUint32(0, n.prefixlen, true);
    k.set(n.data, LPM_KEY_HEADER);
    return k;
  }

  /** The first non-intermediate node in post-order under `root` (more specific prefixes first). */
  private leftmost(root: Node): Node {
    let next: Node = root;
    let node: Node | undefined = root;
    while (node !== undefined) {
      if (node.im) node = node.child[0];
      else {
        next = node;
        node = node.child[0] ?? node.child[1];
      }
    }
    return next;
  }

  override sysGetNextKey(key: Uint8Array | undefined): Bytes {
    const top = this.root.child[0];
    if (top === undefined) return -Errno.ENOENT;
    if (key === undefined) return this.keyOf(this.leftmost(top));
    const prefixlen = this.prefixlenOf(key);
    if (prefixlen > this.maxPrefixlen) return this.keyOf(this.leftmost(top));
    const data = key.subarray(LPM_KEY_HEADER, LPM_KEY_HEADER + this.dataSize);
    const stack: Node[] = [];
    let node: Node | undefined = top;
    let m = 0;
    while (node !== undefined) {
      stack.push(node);
      m = this.match(node, data, prefixlen);
      if (node.prefixlen !== m || node.prefixlen === prefixlen) break;
      node = node.child[bit(data, node.prefixlen)];
    }
    // Only the exact prefix (same length, same bits) continues the walk; else it starts again.
    if (node === undefined || node.prefixlen !== prefixlen || node.prefixlen !== m || node.im)
      return this.keyOf(this.leftmost(top));
    // The key's node: the next one in post-order is the leftmost of the right sibling subtree, or
    // the first non-intermediate ancestor.
    let cur = stack.pop()!;
    while (stack.length > 0) {
      const parent = stack[stack.length - 1]!;
      if (parent.child[0] === cur && parent.child[1] !== undefined)
        return this.keyOf(this.leftmost(parent.child[1]));
      if (!parent.im) return this.keyOf(parent);
      cur = stack.pop()!;
    }
    return -Errno.ENOENT;
  }

  override sysLookup(key: Uint8Array): Bytes {
    const n = this.find(key);
    return n?.value === undefined ? -Errno.ENOENT : n.value.slice();
  }

  override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.put(key, value, flags);
  }

  override sysDelete(key: Uint8Array): number {
    return this.remove(key);
  }

  override batchSupport(): { lookup: boolean; update: boolean; delete: boolean; lookupAndDelete: boolean } {
    return { lookup: true, update: true, delete: true, lookupAndDelete: false };
  }

  override free(): void {
    this.root.child[0] = undefined;
    this.entries = 0;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    return this.find(key)?.value;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.put(key, value, flags);
  }

  override delete(key: Uint8Array): number {
    return this.remove(key);
  }
}
