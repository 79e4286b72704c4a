// The element-operation calls of the FFI (src/sys/kernel/ffi.ts: on x86-64 native stubs made when
// the FFI loads, else libc's syscall) against the general bpf(2) call through libc, on the same
// attrs: the same result (0 or -errno) and the same effect on the map, for successes and failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ffi } from '../../src/sys/kernel/ffi.js';
import { Cmd, ElemFlag, MapType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

test('element calls answer as libc syscall(SYS_bpf) does, on success and failure', { skip }, () => {
  const k = kernel();
  const f = ffi();
  if (process.arch === 'x64') assert.equal(f.elemVia, 'stub', 'x86-64 uses the native element stubs');
  using map = k.mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
  const key = u32(7);
  const value = u32(0x11223344);
  const out = new Uint8Array(4);
  // attr: map_fd, pad, key, value/next_key, flags (the element commands' layout)
  const attr = (fd: number, v: Uint8Array, flags = 0): Uint8Array => {
    const a = new Uint8Array(32);
    const d = new DataView(a.buffer);
    d.setInt32(0, fd, true);
    d.setBigUint64(8, BigInt(f.address(key)), true);
    d.setBigUint64(16, BigInt(f.address(v)), true);
    d.setBigUint64(24, BigInt(flags), true);
    return a;
  };
  // the general call: libc's syscall, -errno from errno
  const viaLibc = (cmd: number, a: Uint8Array): number => (f.bpf(cmd, a, 32) === 0 ? 0 : -f.errno());
  const viaElem = (call: () => number, a: Uint8Array): number => {
    f.elemAttr.set(a);
    return call();
  };
  const ENOENT = -2;
  const EBADF = -9;
  const EEXIST = -17;
  // failures: a missing key, a bad fd, NOEXIST on an existing key
  assert.equal(viaElem(f.elem.lookup, attr(map.fd, out)), ENOENT);
  assert.equal(viaLibc(Cmd.MAP_LOOKUP_ELEM, attr(map.fd, out)), ENOENT);
  assert.equal(viaElem(f.elem.lookup, attr(-1, out)), EBADF);
  assert.equal(viaElem(f.elem.delete, attr(map.fd, out)), viaLibc(Cmd.MAP_DELETE_ELEM, attr(map.fd, out)));
  // success through the element call, seen through libc
  assert.equal(viaElem(f.elem.update, attr(map.fd, value, ElemFlag.NOEXIST)), 0);
  assert.equal(viaElem(f.elem.update, attr(map.fd, value, ElemFlag.NOEXIST)), EEXIST);
  out.fill(0);
  assert.equal(viaLibc(Cmd.MAP_LOOKUP_ELEM, attr(map.fd, out)), 0);
  assert.deepEqual(out, value);
  out.fill(0);
  assert.equal(viaElem(f.elem.lookup, attr(map.fd, out)), 0);
  assert.deepEqual(out, value);
  // get_next_key from a missing key gives the first key
  const next = new Uint8Array(4);
  const missing = attr(map.fd, next);
  new DataView(missing.buffer).setBigUint64(8, 0n, true);
  assert.equal(viaElem(f.elem.getNextKey, missing), 0);
  assert.deepEqual(next, key);
  // lookup-and-delete empties the map; libc sees it gone
  out.fill(0);
  assert.equal(viaElem(f.elem.lookupAndDelete, attr(map.fd, out)), 0);
  assert.deepEqual(out, value);
  assert.equal(viaLibc(Cmd.MAP_LOOKUP_ELEM, attr(map.fd, out)), ENOENT);
});
