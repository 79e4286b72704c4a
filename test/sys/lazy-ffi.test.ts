// Importing tsbpf, even its kernel backend entry, does not load koffi: FFI is touched on first use.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('importing the package and tsbpf/sys/kernel does not load koffi', () => {
  const root = new URL('../../src/', import.meta.url).pathname;
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(`${root}index.ts`)});
    await import(${JSON.stringify(`${root}uapi/index.ts`)});
    await import(${JSON.stringify(`${root}sys/index.ts`)});
    const kernel = await import(${JSON.stringify(`${root}sys/kernel/index.ts`)});
    const cache = createRequire(import.meta.url).cache;
    const before = Object.keys(cache).some((k) => k.includes('/koffi/'));
    let after = false;
    try { kernel.kernelBackend(); after = Object.keys(cache).some((k) => k.includes('/koffi/')); } catch { after = true; }
    console.log(JSON.stringify({ before, after }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { before: false, after: true });
});
