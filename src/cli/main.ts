#!/usr/bin/env node
/**
 * The `tsbpf` command, in the style of bpftool. Each subcommand lives in `commands/` and is
 * registered here.
 *
 * @module
 */

import { Command, CommanderError } from 'commander';
import { registerAsm } from './commands/asm.js';
import { registerBench } from './commands/bench.js';
import { registerBtf } from './commands/btf.js';
import { registerConformance } from './commands/conformance.js';
import { registerDemo } from './commands/demo.js';
import { registerDisasm } from './commands/disasm.js';
import { registerGen } from './commands/gen.js';
import { registerHash } from './commands/hash.js';
import { registerLskel } from './commands/lskel.js';
import { registerMap } from './commands/map.js';
import { registerObj } from './commands/obj.js';
import { registerPolicy } from './commands/policy.js';
import { registerProgLoad } from './commands/prog-load.js';
import { registerProgRun } from './commands/prog-run.js';
import { registerVerify } from './commands/verify.js';
import { UsageError } from './common.js';

/** Builds the command tree. */
export function buildProgram(): Command {
  const program = new Command('tsbpf')
    .description('eBPF toolkit: assemble, inspect, hash, load and sign BPF programs')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program);
  registerAsm(program);
  registerBtf(program);
  registerDisasm(program);
  registerHash(program);
  registerObj(program);
  registerPolicy(program);
  registerBench(program);
  registerConformance(program);
  registerProgRun(program);
  registerProgLoad(program);
  registerMap(program);
  registerGen(program);
  registerLskel(program);
  registerVerify(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI on `argv` (without the node and script entries) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.help' ||
        e.code === 'commander.version'
      )
        return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`tsbpf: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(
      `tsbpf: ${debug && err.stack ? err.stack : (err.message ?? String(e)).split('\n')[0]}\n`,
    );
    return 1;
  }
}

// A closed pipe (`tsbpf btf dump ... | head`) ends the command quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tsbpf: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
