/**
 * The built-in BPF machine: a {@link Backend} in pure TypeScript with processes, fd tables,
 * global ids, reference counts, a bpffs, the kernel's map types and program loading, and
 * `BPF_PROG_TEST_RUN` on the interpreter.
 *
 * ```ts
 * const m = new Machine({ cpus: 2 });
 * using map = m.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
 * ```
 *
 * @module
 */

export * from './bpffs.js';
export * from './btf/vmlinux.js';
export * from './demo.js';
export * from './lsm/demo.js';
export * from './lsm/index.js';
export * from './machine.js';
export * from './maps/array.js';
export * from './maps/bloom.js';
export * from './maps/create.js';
export * from './maps/fdarray.js';
export * from './maps/hash.js';
export * from './maps/map.js';
export * from './maps/queue.js';
export * from './maps/ringbuf.js';
export * from './process.js';
export * from './prog.js';
export * from './signature/index.js';
export * from './sysbpf.js';
export * from './testrun.js';
