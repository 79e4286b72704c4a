import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LintCode, lintPolicy, parsePolicy } from '../../src/policy/index.js';
import { VALID_EXAMPLES } from './examples.js';

const H = 'policy_name=t policy_version=1.0.0\nDEFAULT action=ALLOW\n';
const lint = (body: string) => lintPolicy(parsePolicy(H + body)).map((f) => `${f.line}:${f.code}`);

describe('lintPolicy', () => {
  it('the example policies are clean', () => {
    for (const t of Object.values(VALID_EXAMPLES)) {
      assert.deepEqual(lintPolicy(parsePolicy(t)), [], t);
    }
  });
  it('unreachable: after a rule of the same op with no properties', () => {
    assert.deepEqual(
      lint(
        'op=BPF_PROG_LOAD action=DENY\nop=EXECUTE action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW\n',
      ),
      ['5:unreachable'],
    );
    const f = lintPolicy(parsePolicy(`${H}op=BPF_PROG_LOAD action=DENY\nop=BPF_PROG_LOAD action=ALLOW\n`));
    assert.match(
      f[0]!.message,
      /line 3 \(op=BPF_PROG_LOAD action=DENY\) matches every BPF_PROG_LOAD event first/,
    );
  });
  it('shadowed (other action) and redundant (same action): earlier properties are a subset', () => {
    assert.deepEqual(
      lint(
        'op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW\nop=BPF_PROG_LOAD bpf_keyring=USER bpf_signature=OK action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK bpf_kernel=FALSE action=ALLOW\n',
      ),
      ['4:shadowed', '5:redundant'],
    );
  });
  it('not shadowed when the earlier rule asks for more', () => {
    assert.deepEqual(
      lint(
        'op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=USER action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW\n',
      ),
      [],
    );
  });
  it('contradictory and duplicate properties', () => {
    assert.deepEqual(
      lint(
        'op=BPF_PROG_LOAD bpf_kernel=TRUE bpf_kernel=FALSE action=DENY\nop=EXECUTE boot_verified=TRUE boot_verified=TRUE action=DENY\n',
      ),
      ['3:contradictory', '4:duplicate-property'],
    );
  });
  it('properties the operation never has', () => {
    assert.deepEqual(
      lint(
        'op=EXECUTE bpf_signature=OK action=ALLOW\nop=BPF_PROG_LOAD fsverity_digest=sha256:00 action=ALLOW\nop=BPF_PROG_LOAD boot_verified=TRUE action=ALLOW\n',
      ),
      ['3:never-matches-op', '4:never-matches-op', '5:never-matches-op'],
    );
  });
  it('never-decides: earlier rules together cover it (exhaustive over BPF events)', () => {
    assert.deepEqual(
      lint(
        'op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=FALSE action=DENY\nop=BPF_PROG_LOAD bpf_signature=OK action=ALLOW\n',
      ),
      ['5:never-decides'],
    );
  });
  it('unused-default: the rules decide every event of the operation', () => {
    const p = parsePolicy(
      `${H}DEFAULT op=BPF_PROG_LOAD action=DENY\nDEFAULT op=EXECUTE action=DENY\nop=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW\nop=BPF_PROG_LOAD bpf_kernel=FALSE action=DENY\nop=EXECUTE action=ALLOW\n`,
    );
    const codes = lintPolicy(p).map((f) => `${f.line}:${f.code}`);
    assert.deepEqual(codes, ['3:unused-default', '4:unused-default']);
  });
  it('mixed vocabularies', () => {
    const codes: LintCode[] = lintPolicy(
      parsePolicy(
        `${H}op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW\nop=BPF_PROG_LOAD bpf_signature=PARTIALSIG action=ALLOW\n`,
      ),
    ).map((f) => f.code);
    assert.deepEqual(codes, ['mixed-vocabulary']);
  });
});
