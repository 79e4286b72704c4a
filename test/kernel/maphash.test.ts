// Map content hash: BPF_OBJ_GET_INFO_BY_FD's bpf_map_info.hash equals mapContentHash for frozen
// arrays; unfrozen maps answer EPERM.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapContentHash } from '../../src/hash/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { MapType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';
import { Rng } from './progs.js';

const hex = (u: Uint8Array | undefined) => Buffer.from(u ?? []).toString('hex');

describe('kernel: map content hash', { skip }, () => {
  test('frozen arrays, value sizes 1..64, max_entries 1, 3, 17: kernel hash = mapContentHash', () => {
    const k = kernel();
    const rng = new Rng(77);
    for (let vs = 1; vs <= 64; vs++) {
      for (const me of [1, 3, 17]) {
        using m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: vs, maxEntries: me });
        const values = new Uint8Array(vs * me);
        for (let i = 0; i < values.length; i++) values[i] = rng.u32() & 0xff;
        // Leave one element at its initial zeroes to cover untouched entries.
        for (let i = 0; i < me; i++) {
          if (me > 1 && i === 1) {
            values.fill(0, i * vs, (i + 1) * vs);
            continue;
          }
          k.mapUpdateElem(
            m.fd,
            new Uint8Array(new Uint32Array([i]).buffer),
            values.subarray(i * vs, (i + 1) * vs),
          );
        }
        assert.throws(
          () => k.objGetInfoByFd(m.fd, { kind: 'map', hash: new Uint8Array(32) }),
          (e: unknown) => BpfError.is(e, 'EPERM') && e.command === 'BPF_OBJ_GET_INFO_BY_FD',
          `unfrozen vs=${vs} me=${me}`,
        );
        k.mapFreeze(m.fd);
        const info = k.objGetInfoByFd(m.fd, { kind: 'map', hash: new Uint8Array(32) });
        assert.equal(hex(info.hash), hex(mapContentHash(values, vs, me)), `vs=${vs} me=${me}`);
      }
    }
  });

  test('hash of a frozen hash map is refused', () => {
    const k = kernel();
    using m = k.mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    k.mapFreeze(m.fd);
    assert.throws(
      () => k.objGetInfoByFd(m.fd, { kind: 'map', hash: new Uint8Array(32) }),
      (e: unknown) => e instanceof BpfError,
    );
  });
});
