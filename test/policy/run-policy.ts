/**
 * Test helper: runs `tsbpf policy ...` inside the test process.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { registerPolicy } from '../../src/cli/commands/policy.js';
import { UsageError } from '../../src/cli/common.js';

/**
 * Runs `tsbpf policy ...` in this process, mapping outcomes as main() does: 0 (or the exitCode the
 * command set), 2 for usage errors (ours or commander's), 1 for any other error.
 */
export function tsbpf(...args: string[]): { code: number; out: string; err: string } {
  const program = new Command('tsbpf').exitOverride();
  registerPolicy(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const d of c.commands) d.exitOverride().configureOutput({ writeErr: () => {} });
  }
  let out = '';
  const write = process.stdout.write;
  const saved = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    program.parse(args, { from: 'user' });
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, out, err: '' };
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof CommanderError;
    return { code: usage ? 2 : 1, out, err: `tsbpf: ${(e as Error).message}\n` };
  } finally {
    process.stdout.write = write;
    process.exitCode = saved;
  }
}
