import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

it('npm start (tsbpf demo) runs the whole chain on the machine', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'demo', '--json'],
    {
      encoding: 'utf8',
      cwd: ROOT,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // 2. the demo program returns 1 (the constant is odd); the counter program counts its runs.
  assert.equal(j.machine.r0, 1);
  assert.deepEqual(
    j.machine.counter.map((s: { counter: string }) => s.counter),
    ['1', '2', '3'],
  );
  // 3. the signed skeleton loads with its signature verified, and attacks 1-4 are refused.
  const lskel: string[] = j.lskel;
  assert.ok(
    lskel.some((l) => /signature verified/.test(l)),
    lskel.join('\n'),
  );
  for (const kind of ['omit-exclusive', 'tamper-data', 'tamper-insns', 'wrong-key']) {
    assert.ok(
      lskel.some((l) => l.includes(kind) && /refused:/.test(l)),
      `${kind} not refused:\n${lskel.join('\n')}`,
    );
  }
  // 4. the signed-only policy denies the unsigned load, naming the rule.
  assert.match(j.policy.denied, /EACCES/);
  assert.match(j.policy.denied, /line 3: DEFAULT op=BPF_PROG_LOAD action=DENY/);
});
