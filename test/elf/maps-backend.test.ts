/**
 * The map definitions the object model reads are ones the kernel accepts: every map of every
 * fixture (BTF-defined, legacy, inner map templates, global data) is created on both backends
 * from its MapSpec alone, and BPF_OBJ_GET_INFO_BY_FD gives the same attributes back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MapSpec } from '../../src/elf/object.js';
import { parseObject } from '../../src/elf/object.js';
import type { Backend } from '../../src/sys/backend.js';
import { backends } from '../backend/backends.js';
import { fixture, fixtureNames } from './fixtures.js';

function create(b: Backend, m: MapSpec): { fd: number; close(): void } {
  let inner: { fd: number; close(): void } | undefined;
  if (m.inner !== undefined) inner = create(b, m.inner);
  try {
    return b.mapCreate({
      mapType: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      mapFlags: m.flags,
      numaNode: m.numaNode,
      mapExtra: m.mapExtra,
      innerMapFd: inner?.fd,
      mapName: m.name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15),
    });
  } finally {
    inner?.close();
  }
}

describe('every fixture map is created from its MapSpec and reads back the same', () => {
  for (const bc of backends()) {
    it(`on ${bc.name}`, { skip: bc.skip }, () => {
      const b = bc.backend();
      let n = 0;
      for (const name of fixtureNames()) {
        for (const m of parseObject(fixture(name, 'bpfel')).maps) {
          const fd = create(b, m);
          try {
            const info = b.objGetInfoByFd(fd.fd, { kind: 'map' });
            assert.deepEqual(
              [info.type, info.keySize, info.valueSize, info.maxEntries, info.mapFlags, info.mapExtra],
              [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.mapExtra],
              `${name}: ${m.name}`,
            );
            n++;
          } finally {
            fd.close();
          }
        }
      }
      assert.ok(n >= 19, `${n} maps`);
    });
  }
});
