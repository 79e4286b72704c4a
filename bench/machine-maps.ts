/**
 * Syscall-side map operations through the Backend interface: the machine against the kernel
 * (bpf(2) via koffi) in the same run. Prints ns/op for each backend and the ratio
 * machine/kernel (below 1: the machine is faster, having no syscall to make).
 *
 * Run: `node --import tsx bench/machine-maps.ts` (`--n N` operations per case, default 200000).
 *
 * @module
 */

import { Machine } from '../src/machine/index.js';
import type { Backend } from '../src/sys/backend.js';
import { kernelBackend } from '../src/sys/kernel/index.js';
import type { MapCreateAttr } from '../src/uapi/attrs.js';
import { MapType } from '../src/uapi/constants.js';

const args = process.argv.slice(2);
const nIdx = args.indexOf('--n');
const N = nIdx >= 0 ? Number(args[nIdx + 1]) : 200_000;

interface Case {
  name: string;
  attr: MapCreateAttr;
  run(b: Backend, fd: number, n: number): void;
}

const key = new Uint8Array(4);
const kv = new DataView(key.buffer);
const value = new Uint8Array(8);

const CASES: Case[] = [
  {
    name: 'array lookup',
    attr: { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1024 },
    run(b, fd, n) {
      for (let i = 0; i < n; i++) {
        kv.setUint32(0, i & 1023, true);
        b.mapLookupElem(fd, key, value);
      }
    },
  },
  {
    name: 'array update',
    attr: { mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1024 },
    run(b, fd, n) {
      for (let i = 0; i < n; i++) {
        kv.setUint32(0, i & 1023, true);
        b.mapUpdateElem(fd, key, value);
      }
    },
  },
  {
    name: 'hash update+lookup',
    attr: { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1024 },
    run(b, fd, n) {
      for (let i = 0; i < n; i++) {
        kv.setUint32(0, i & 1023, true);
        if ((i & 1) === 0) b.mapUpdateElem(fd, key, value);
        else b.mapLookupElem(fd, key, value);
      }
    },
  },
  {
    name: 'hash get_next_key walk',
    attr: { mapType: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1024 },
    run(b, fd, n) {
      for (let i = 0; i < 1024; i++) {
        kv.setUint32(0, i, true);
        b.mapUpdateElem(fd, key, value);
      }
      const next = new Uint8Array(4);
      let prev: Uint8Array | undefined;
      for (let i = 0; i < n; i++) {
        if (!b.mapGetNextKey(fd, prev, next)) prev = undefined;
        else prev = next;
      }
    },
  },
];

function time(b: Backend, c: Case): number {
  const m = b.mapCreate(c.attr);
  try {
    c.run(b, m.fd, Math.min(N, 10_000));
    const t0 = process.hrtime.bigint();
    c.run(b, m.fd, N);
    return Number(process.hrtime.bigint() - t0) / N;
  } finally {
    m.close();
  }
}

let kernel: Backend | undefined;
try {
  kernel = kernelBackend();
  kernel.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
} catch (e) {
  console.log(`kernel backend unavailable (${(e as Error).message}); machine only`);
  kernel = undefined;
}
const machine = new Machine();
console.log(
  `${'case'.padEnd(24)} ${'machine ns/op'.padStart(14)} ${'kernel ns/op'.padStart(13)} ${'ratio'.padStart(7)}`,
);
for (const c of CASES) {
  const m = time(machine, c);
  const k = kernel ? time(kernel, c) : Number.NaN;
  console.log(
    `${c.name.padEnd(24)} ${m.toFixed(0).padStart(14)} ${Number.isNaN(k) ? '-'.padStart(13) : k.toFixed(0).padStart(13)} ${Number.isNaN(k) ? '' : (m / k).toFixed(2).padStart(7)}`,
  );
}
