/**
 * Runs `tsbpf btf ...` with only the btf command registered (so the test does not depend on the
 * other commands), with main.ts's error convention: one line on stderr, exit 1 (2 for usage).
 *
 * @module
 */

import { Command, CommanderError } from 'commander';
import { registerBtf } from '../../src/cli/commands/btf.js';
import { UsageError } from '../../src/cli/common.js';

const program = new Command('tsbpf').exitOverride();
registerBtf(program);
for (const c of program.commands) c.exitOverride();
program.parseAsync(process.argv.slice(2), { from: 'user' }).then(
  () => {},
  (e: unknown) => {
    if (e instanceof CommanderError) {
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`tsbpf: ${((e as Error).message ?? String(e)).split('\n')[0]}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
