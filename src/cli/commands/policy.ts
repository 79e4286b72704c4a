/**
 * `tsbpf policy check POLICY` and `tsbpf policy explain POLICY --event JSON`: IPE policies for
 * BPF program loads.
 *
 * `check` parses (exit 1 with `line N: reason` on the first error) and prints lint warnings
 * (exit 0, or 1 with `--strict`). `explain` prints ALLOW or DENY, what decided and why.
 *
 * @module
 */

import type { Command } from 'commander';
import {
  evaluate,
  explainDecision,
  formatVersion,
  lintPolicy,
  type PolicyEvent,
  parseEvent,
  parsePolicy,
} from '../../policy/index.js';
import { FormatError } from '../../util/errors.js';
import { printJson, readText, UsageError } from '../common.js';
import { registerPolicyTest } from './policy-test.js';

/** Reads the `--event` value: JSON text, or `@FILE`. */
function readEvent(text: string): PolicyEvent {
  const raw = text.startsWith('@') ? readText(text.slice(1)) : text;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`--event: not JSON: ${(e as Error).message}`);
  }
  try {
    return parseEvent(value);
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`--event: ${e.message}`);
    throw e;
  }
}

/** Registers `policy`. */
export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('IPE policies for BPF program loads: check, explain and test');

  policy
    .command('check')
    .description('parse a policy (errors: exit 1 with "line N: ...") and warn about rules that never decide')
    .argument('<policy>', 'IPE policy text file, or - for stdin')
    .option('--json', 'print JSON')
    .option('--strict', 'exit 1 when there are warnings')
    .option('--no-bpf', "parse as today's mainline IPE (no BPF_PROG_LOAD, no bpf_* properties)")
    .action((file: string, opts: { json?: boolean; strict?: boolean; bpf: boolean }) => {
      const p = parsePolicy(readText(file), { bpf: opts.bpf });
      const findings = lintPolicy(p);
      if (opts.json) {
        printJson({
          file,
          name: p.name,
          version: formatVersion(p.version),
          rules: p.rules.length,
          warnings: findings,
        });
      } else {
        for (const f of findings) process.stdout.write(`line ${f.line}: warning: ${f.message} [${f.code}]\n`);
        process.stdout.write(
          `${file}: ok: policy ${p.name} ${formatVersion(p.version)}, ${p.rules.length} rule${p.rules.length === 1 ? '' : 's'}, ${findings.length} warning${findings.length === 1 ? '' : 's'}\n`,
        );
      }
      if (opts.strict && findings.length > 0) process.exitCode = 1;
    });

  policy
    .command('explain')
    .description('decide one event under a policy: ALLOW or DENY, which rule or default decides, and why')
    .argument('<policy>', 'IPE policy text file, or - for stdin')
    .requiredOption(
      '--event <json>',
      'the event as JSON (or @FILE), e.g. \'{"op":"BPF_PROG_LOAD","bpf_signature":"OK","bpf_keyring":"BUILTIN","bpf_kernel":false}\'',
    )
    .option('--permissive', 'evaluate as IPE does with enforce=0 (a DENY is recorded, not enforced)')
    .option('--json', 'print JSON')
    .action((file: string, opts: { event: string; permissive?: boolean; json?: boolean }) => {
      const event = readEvent(opts.event);
      const p = parsePolicy(readText(file));
      const d = evaluate(p, event, { enforcing: !opts.permissive, comm: 'tsbpf' });
      if (opts.json) {
        printJson({
          decision: d.action,
          permitted: d.permitted,
          errno: d.errno ?? null,
          source: d.source,
          line: d.line,
          rule: d.ruleText,
          why: explainDecision(d),
          checked: d.checked.map((c) => ({
            line: c.rule.line,
            matched: c.matched,
            ...(c.failed
              ? { property: c.failed.property.key, wants: c.failed.property.value, got: c.failed.got }
              : {}),
          })),
          audit: d.audit.text,
        });
        return;
      }
      const by =
        d.source === 'rule'
          ? 'rule'
          : d.source === 'op-default'
            ? "the operation's default"
            : d.source === 'global-default'
              ? 'the global default'
              : 'no policy';
      process.stdout.write(`${d.action}\n`);
      process.stdout.write(`decided by ${by}: line ${d.line}: ${d.ruleText}\n`);
      process.stdout.write('why:\n');
      for (const l of explainDecision(d)) process.stdout.write(`  ${l}\n`);
      process.stdout.write(`audit: ${d.audit.text}\n`);
    });

  registerPolicyTest(policy);
}
