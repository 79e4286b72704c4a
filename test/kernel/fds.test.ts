// Fds are objects: close()/using, and a FinalizationRegistry for the leaked ones. 10,000 maps and
// 10,000 programs leave /proc/self/fd where it started.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BpfError } from '../../src/sys/errors.js';
import { type FdKind, leakedFdCount, setFdLeakHandler } from '../../src/sys/fd.js';
import { MapType, ProgType } from '../../src/uapi/constants.js';
import { kernel, openFds, skip } from './kernel.js';

const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

describe('kernel: fd ownership', { skip }, () => {
  test('10,000 maps and 10,000 programs, closed by close() and using: /proc/self/fd unchanged', () => {
    const k = kernel();
    const before = openFds();
    for (let i = 0; i < 10_000; i++) {
      const m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      if (i % 2 === 0) m.close();
      else m[Symbol.dispose]();
      assert.equal(m.closed, true);
    }
    for (let i = 0; i < 10_000; i++) {
      using p = k.progLoad({ progType: ProgType.SOCKET_FILTER, insns: RET0, license: 'GPL' });
      assert.ok(p.fd > 0);
    }
    assert.equal(openFds(), before);
  });

  test('close twice is a no-op; a closed fd refuses use; release hands the number over', () => {
    const k = kernel();
    const m = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const n = m.fd;
    m.close();
    m.close();
    assert.throws(() => m.fd, TypeError);
    assert.match(String(m), /closed map fd/);
    const m2 = k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const raw = m2.release();
    assert.equal(m2.closed, true);
    assert.ok(Number.isInteger(raw) && raw >= 0);
    void n;
    k.close(raw);
    assert.throws(
      () => k.close(raw),
      (e: unknown) => BpfError.is(e, 'EBADF'),
    );
  });

  test('leaked fds are closed by the finalizer, with one warning', async () => {
    const k = kernel();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const seen: [number, FdKind][] = [];
    const prev = setFdLeakHandler((n, kind) => seen.push([n, kind]));
    try {
      const before = openFds();
      const leakedBefore = leakedFdCount();
      (() => {
        for (let i = 0; i < 50; i++)
          k.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      })();
      assert.equal(openFds(), before + 50);
      for (let i = 0; i < 50 && openFds() !== before; i++) {
        gc();
        await tick();
      }
      assert.equal(openFds(), before);
      assert.equal(leakedFdCount() - leakedBefore, 50);
      assert.equal(seen.length, 50);
      assert.ok(seen.every(([, kind]) => kind === 'map'));
    } finally {
      setFdLeakHandler(prev);
    }
  });
});
