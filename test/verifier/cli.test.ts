// `tsbpf verify`: exit codes, the error line on stderr, objects, assembly, raw instructions, --map.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMapSpec } from '../../src/cli/commands/verify.js';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import { MapFlag, MapType } from '../../src/uapi/constants.js';

const CLI = process.env.TSBPF_CLI ?? 'src/cli/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'tsbpf-verify-'));

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'verify', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const LOOKUP = `r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0] ll
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 8)
out:
r0 = 0
exit
`;

test('--map specs', () => {
  assert.deepEqual(parseMapSpec('type=hash,key=8,value=16,entries=4'), {
    type: MapType.HASH,
    keySize: 8,
    valueSize: 16,
    maxEntries: 4,
    flags: 0,
  });
  assert.equal(parseMapSpec('type=array,value=8,rdonly_prog').flags, MapFlag.RDONLY_PROG);
  assert.throws(() => parseMapSpec('type=nope'), /unknown map type/);
});

test('assembly with a map: accepted (exit 0) and rejected with the kernel line on stderr (exit 1)', () => {
  const f = join(dir, 'lookup.s');
  writeFileSync(f, LOOKUP);
  const ok = run(f, '--type', 'xdp', '--map', 'type=hash,key=4,value=16,entries=4');
  assert.equal(ok.code, 0, ok.err);
  const bad = run(f, '--type', 'xdp', '--map', 'type=hash,key=4,value=8,entries=4');
  assert.equal(bad.code, 1);
  assert.equal(bad.err, 'R0 min value is outside of the allowed memory range\n');
  const log = run(f, '--type', 'xdp', '--map', 'type=hash,key=4,value=8,entries=4', '--log-level', '2');
  assert.equal(log.code, 1);
  assert.match(log.err, /invalid access to map value, value_size=8 off=8 size=8\n/);
  assert.match(log.err, /processed \d+ insns \(limit 1000000\)/);
});

test('raw instructions and objects', () => {
  const raw = join(dir, 'prog.bin');
  writeFileSync(raw, encode(assembleLlvm('r0 = *(u64 *)(r10 - 8)\nexit')));
  assert.equal(run(raw).code, 0); // privileged loaders may read uninitialized stack
  const un = run(raw, '--unprivileged');
  assert.equal(un.code, 1);
  assert.equal(un.err, 'invalid read from stack R10 off=-8 size=8\n');
  const obj = run('test/fixtures/subprogs.bpfel.o', '--prog', 'tc_third', '--json');
  assert.equal(obj.code, 0, obj.err);
  assert.equal(JSON.parse(obj.out).accepted, true);
  assert.equal(run(raw, '--type', 'nope').code, 2);
});

test('--type takes every program type and --attach-type the attach type (return ranges differ by it)', () => {
  const src = join(dir, 'ret2.s');
  writeFileSync(src, 'r0 = 2\nexit\n');
  const ingress = run(src, '--type', 'cgroup_skb', '--attach-type', 'cgroup_inet_ingress');
  assert.equal(ingress.code, 1);
  assert.equal(ingress.err, 'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]\n');
  assert.equal(run(src, '--type', 'cgroup_skb', '--attach-type', 'cgroup_inet_egress').code, 0);
  assert.equal(run(src, '--type', 'kprobe').code, 0);
  assert.equal(run(src, '--attach-type', 'nope').code, 2);
});
