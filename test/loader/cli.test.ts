/**
 * `tsbpf prog load` and `tsbpf map ...` end to end (spawned CLI) on the kernel, plus one load on
 * the machine: JSON output, exclusive maps from the command line, pins, element access with BTF
 * formatting, exit codes (2 for usage errors, 1 for refused loads).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { backends } from '../backend/backends.js';
import { objectPath } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = join(HERE, '..', '..', 'src', 'cli', 'main.ts');
const EXCL = join(HERE, 'fixtures', 'excl.bpfel.o');
const tsbpf = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
const kernel = backends().find((b) => b.name === 'kernel')!;

test('prog load --json on the kernel and on the machine', { skip: kernel.skip }, () => {
  for (const backend of ['kernel', 'machine']) {
    const r = tsbpf('prog', 'load', objectPath('globals'), '--backend', backend, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.backend, backend);
    assert.deepEqual(
      out.programs.map((p: { name: string; type: string }) => [p.name, p.type]),
      [['account', 'sched_cls']],
    );
    assert.deepEqual(
      out.maps.map((m: { name: string }) => m.name),
      ['.bss', '.data', '.rodata', '.data.counters', '.rodata.config'],
    );
  }
});

test(
  'prog load --exclusive: another program using the map is refused (exit 1, the kernel log line)',
  { skip: kernel.skip },
  () => {
    const r = tsbpf('prog', 'load', EXCL, '--skip', 'overreach', '--exclusive', 'secret=reader');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /program 'intruder'.*EACCES: program's hash doesn't match map's excl_prog_hash/);
    const bad = tsbpf('prog', 'load', EXCL, '--exclusive', 'secret');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--exclusive expects MAP=PROG/);
  },
);

test('prog load --pin, then map update/lookup/dump on the pins', { skip: kernel.skip }, () => {
  const dir = `/sys/fs/bpf/tsbpf-cli-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  try {
    const r = tsbpf(
      'prog',
      'load',
      EXCL,
      '--skip',
      'overreach',
      '--skip',
      'intruder',
      '--exclusive',
      'secret=reader',
      '--pin',
      dir,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.maps.find((m: { name: string }) => m.name === 'secret').exclusiveTo, 'reader');
    assert.equal(tsbpf('map', 'update', `${dir}/maps/secret`, '--key', '1', '--value', '0x29').status, 0);
    const l = tsbpf('map', 'lookup', `${dir}/maps/secret`, '--key', 'hex:01000000', '--json');
    assert.deepEqual(JSON.parse(l.stdout), { key: 1, value: 41 });
    const d = tsbpf('map', 'dump', `${dir}/maps/_bss`, '--json');
    assert.deepEqual(JSON.parse(d.stdout), [{ key: 0, value: { seen: 0 } }]);
    const miss = tsbpf('map', 'update', `${dir}/maps/secret`, '--key', '9', '--value', '1');
    assert.equal(miss.status, 1);
    assert.match(miss.stderr, /E2BIG/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
