#!/usr/bin/env node
// Runs every *.test.ts under test/ and src/ with node's built-in test runner (TypeScript via tsx).
// Extra arguments are passed to the runner, e.g. `npm run test:unit -- --test-name-pattern=isa`.
// A path argument (ending in .ts) narrows the run to those files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const paths = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const files = paths.length > 0 ? paths : [...walk('test', []), ...walk('src', [])].sort();
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
