/**
 * `tsbpf policy test POLICY --lskel FILE [--trust CERT]...`: what would happen to a light
 * skeleton's loads on a machine with this policy. A fresh machine trusts the given certificates
 * (session keyring), activates the policy, and runs the skeleton; every decision the LSM hooks
 * take is printed with the rule that took it. Exit 0 when every load was allowed (and the
 * skeleton loaded), 1 when one was denied or the skeleton failed for another reason.
 *
 * @module
 */

import type { Command } from 'commander';
import { type LightSkeleton, loadAndRun, lskelFromJson, pemOrDer } from '../../lskel/index.js';
import type { LsmDecision } from '../../machine/lsm/index.js';
import { type KernelProfile, Machine } from '../../machine/machine.js';
import { MachineKeyrings } from '../../machine/signature/index.js';
import { formatVersion, type Policy } from '../../policy/index.js';
import { KeySpec } from '../../uapi/constants.js';
import { choice, printJson, readInput, readText } from '../common.js';

/** The outcome of {@link policyTest}. */
export interface PolicyTestResult {
  /** The policy that was active. */
  policy: Policy;
  /** Every decision, in order. */
  decisions: LsmDecision[];
  /** Whether the skeleton loaded (every map and program created). */
  loaded: boolean;
  /** Why it did not load, when it did not. */
  error?: string;
  /** Names of the programs created. */
  programs: string[];
}

/**
 * Runs `lskel` on a fresh machine trusting `certs` (DER or PEM) with `policyText` active.
 * The machine's profile follows the skeleton's scheme (the load-time scheme needs a kernel that
 * verifies signatures over exclusive maps, the kfunc scheme one that also signs the prog BTF).
 */
export function policyTest(
  policyText: string,
  lskel: LightSkeleton,
  certs: readonly Uint8Array[],
  vocabulary: 'ipe' | 'hornet' = 'ipe',
): PolicyTestResult {
  const kr = new MachineKeyrings();
  for (const c of certs) kr.addCertificate(c, KeySpec.SESSION_KEYRING);
  const profile: Partial<KernelProfile> = !lskel.signed
    ? {}
    : lskel.scheme === 'load-time'
      ? { loadTimeSignatures: true, strictExclusiveFdArray: true }
      : lskel.scheme === 'kfunc'
        ? { kfuncMetadata: true }
        : {};
  const m = new Machine({ keyrings: kr, profile, comm: 'tsbpf', lsm: { vocabulary } });
  const policy = m.lsm.install(policyText);
  let loaded = false;
  let error: string | undefined;
  const programs: string[] = [];
  try {
    const c = loadAndRun(m, lskel, { keyringId: KeySpec.SESSION_KEYRING });
    programs.push(...c.programs.keys());
    c.close();
    loaded = true;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    error = e.message.split('\n')[0];
  }
  return { policy, decisions: [...m.lsm.decisions()], loaded, programs, ...(error ? { error } : {}) };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Registers `policy test` under the `policy` command. */
export function registerPolicyTest(policy: Command): void {
  policy
    .command('test')
    .description(
      "what would happen to a light skeleton's loads on a machine with this policy: each decision and its rule (exit 1 if any is denied)",
    )
    .argument('<policy>', 'IPE policy text file, or - for stdin')
    .requiredOption('--lskel <file>', 'light skeleton JSON (tsbpf gen skeleton --light --format json)')
    .option('--trust <cert>', 'certificate the machine trusts (session keyring; repeatable)', collect, [])
    .option('--vocabulary <words>', 'verdict words of the events: ipe or hornet', 'ipe')
    .option('--json', 'print JSON')
    .action((file: string, o: { lskel: string; trust: string[]; vocabulary: string; json?: boolean }) => {
      const vocabulary = choice('--vocabulary', o.vocabulary, ['ipe', 'hornet'] as const);
      const text = readText(file);
      const lskel = lskelFromJson(readText(o.lskel), o.lskel);
      const certs = o.trust.map((t) => pemOrDer(readInput(t), 'CERTIFICATE', t));
      const r = policyTest(text, lskel, certs, vocabulary);
      const denied = r.decisions.filter((d) => !d.decision.permitted);
      const ok = denied.length === 0 && r.loaded;
      if (o.json) {
        printJson({
          policy: { name: r.policy.name, version: formatVersion(r.policy.version) },
          skeleton: { signed: lskel.signed, scheme: lskel.signed ? lskel.scheme : null },
          decisions: r.decisions.map((d) => ({
            hook: d.hook,
            trigger: d.trigger,
            prog: d.progName,
            bpf_signature: d.event.bpf_signature ?? null,
            bpf_keyring: d.event.bpf_keyring ?? null,
            bpf_kernel: d.event.bpf_kernel ?? null,
            action: d.decision.action,
            line: d.decision.line,
            rule: d.decision.ruleText,
            audit: d.decision.audit.text,
          })),
          loaded: r.loaded,
          programs: r.programs,
          error: r.error ?? null,
        });
      } else {
        const out = (s: string): boolean => process.stdout.write(`${s}\n`);
        out(
          `policy ${r.policy.name} ${formatVersion(r.policy.version)}; skeleton ${lskel.signed ? `signed (${lskel.scheme} scheme)` : 'unsigned'}, ${lskel.programs.length} program(s)`,
        );
        for (const d of r.decisions) {
          const e = d.event;
          out(
            `${d.decision.action.padEnd(5)} ${d.progName.padEnd(16)} ${e.bpf_kernel ? 'kernel' : 'user  '} ` +
              `bpf_signature=${e.bpf_signature} bpf_keyring=${e.bpf_keyring ?? '?'} at ${d.hook}${d.trigger === 'kfunc' ? ' (kfunc)' : ''}: line ${d.decision.line}: ${d.decision.ruleText}`,
          );
        }
        if (r.loaded) out(`loaded: ${r.programs.length} program(s) (${r.programs.join(', ')})`);
        else out(`not loaded: ${r.error}`);
        if (denied.length > 0) out(`${denied.length} load(s) denied`);
      }
      if (!ok) process.exitCode = 1;
    });
}
