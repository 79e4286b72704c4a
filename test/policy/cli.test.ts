import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HORNET_EXAMPLE_AS_POSTED, SIGNED_ONLY } from './examples.js';
import { tsbpf } from './run-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbpf-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The CLI entry point for the exit-code tests (TSBPF_CLI overrides it, e.g. a built dist/cli/main.js). */
const CLI = process.env.TSBPF_CLI ?? 'src/cli/main.ts';

/** Spawns the real CLI: for exit codes and stderr. */
function spawnTsbpf(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const signed = file('signed.pol', SIGNED_ONLY);
const UNSIGNED = JSON.stringify({ op: 'BPF_PROG_LOAD', bpf_signature: 'UNSIGNED', bpf_kernel: false });

describe('tsbpf policy check', () => {
  it('a clean policy: exit 0, a summary', () => {
    const r = spawnTsbpf('policy', 'check', signed);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ok: policy signed_only 1\.0\.0, 4 rules, 0 warnings/);
  });
  it('a syntax error: exit 1, "line N: ..." on stderr', () => {
    const r = spawnTsbpf('policy', 'check', file('hornet.pol', HORNET_EXAMPLE_AS_POSTED));
    assert.equal(r.code, 1);
    assert.equal(r.err, "tsbpf: line 4: unknown property 'is_kernel=TRUE'\n");
    assert.equal(r.out, '');
  });
  it('warnings: printed with their line, exit 0; exit 1 with --strict; --json', () => {
    const f = file(
      'warn.pol',
      'policy_name=w policy_version=1.0.0\nDEFAULT action=DENY\nop=BPF_PROG_LOAD action=ALLOW\nop=BPF_PROG_LOAD bpf_signature=OK action=DENY\n',
    );
    const r = tsbpf('policy', 'check', f);
    assert.equal(r.code, 0);
    assert.match(r.out, /^line 4: warning: unreachable: line 3 .*\[unreachable\]$/m);
    assert.equal(tsbpf('policy', 'check', '--strict', f).code, 1);
    assert.equal(spawnTsbpf('policy', 'check', '--strict', f).code, 1);
    const j = JSON.parse(tsbpf('policy', 'check', '--json', f).out);
    assert.equal(j.name, 'w');
    assert.equal(j.warnings[0].line, 4);
  });
  it('--no-bpf parses as mainline IPE; a missing file is exit 1', () => {
    const r = tsbpf('policy', 'check', '--no-bpf', signed);
    assert.equal(r.code, 1);
    assert.match(r.err, /^tsbpf: line 5: unknown operation 'BPF_PROG_LOAD'/);
    assert.equal(tsbpf('policy', 'check', join(dir, 'missing.pol')).code, 1);
  });
});

describe('tsbpf policy explain', () => {
  it('DENY by the operation default, with why and the audit record', () => {
    const r = tsbpf('policy', 'explain', signed, '--event', UNSIGNED);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'DENY');
    assert.equal(
      lines[1],
      "decided by the operation's default: line 5: DEFAULT op=BPF_PROG_LOAD action=DENY",
    );
    assert.match(
      r.out,
      /line 9: op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW: no match: bpf_signature is UNSIGNED/,
    );
    assert.match(r.out, /the operation fails with EACCES/);
    assert.match(
      r.out,
      /^audit: ipe_op=BPF_PROG_LOAD ipe_hook=BPF_PROG_LOAD enforcing=1 .* rule="DEFAULT op=BPF_PROG_LOAD action=DENY"$/m,
    );
  });
  it('ALLOW by a rule, --json, event from @file', () => {
    const ev = file(
      'ev.json',
      JSON.stringify({
        op: 'BPF_PROG_LOAD',
        bpf_signature: 'METADATA_VERIFIED',
        bpf_keyring: 'BUILTIN',
        bpf_kernel: 'FALSE',
      }),
    );
    const r = tsbpf('policy', 'explain', signed, '--event', `@${ev}`, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.decision, 'ALLOW');
    assert.equal(j.source, 'rule');
    assert.equal(j.line, 9);
    assert.equal(j.rule, 'op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW');
    assert.deepEqual(
      j.checked.map((c: { line: number; matched: boolean }) => `${c.line}:${c.matched}`),
      ['7:false', '8:false', '9:true'],
    );
  });
  it('--permissive records the DENY but permits', () => {
    const j = JSON.parse(
      tsbpf('policy', 'explain', signed, '--event', UNSIGNED, '--permissive', '--json').out,
    );
    assert.equal(j.decision, 'DENY');
    assert.equal(j.permitted, true);
    assert.match(j.audit, /enforcing=0/);
  });
  it('bad events are usage errors (exit 2); a bad policy is exit 1; --event is required', () => {
    assert.equal(tsbpf('policy', 'explain', signed, '--event', '{').code, 2);
    const r = spawnTsbpf(
      'policy',
      'explain',
      signed,
      '--event',
      '{"op":"BPF_PROG_LOAD","bpf_signature":"MAYBE"}',
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /event\.bpf_signature: must be one of/);
    assert.equal(tsbpf('policy', 'explain', file('bad.pol', 'x'), '--event', UNSIGNED).code, 1);
    assert.equal(tsbpf('policy', 'explain', signed).code, 2);
  });
});
