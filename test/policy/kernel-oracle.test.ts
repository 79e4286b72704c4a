// The parser against the kernel's: kernel-parser-results.json holds 600 generated policies (300
// accepted, 300 rejected) with the verdict of the kernel's own IPE parser on each. The verdicts
// were produced by security/ipe/policy_parser.c and security/ipe/digest.c (mainline, no BPF
// operation), compiled in user space with clang against stand-ins for the kernel helpers they call
// (match_token, kstrtou16, hex2bin, lists); 300,000 generated policies agreed with parsePolicy
// (bpf: false) on accept/reject, errno and parsed content. That harness contains kernel code and is
// not in this repository; these recorded verdicts are its output.
//
// Kernel verdict format: `ERR -errno`, or `OK name=<utf-8 hex> v=X.Y.Z G=<global default|->`
// followed by, per operation in the kernel's order, ` D:OP=ACTION` and ` R:OP,prop...,ACTION`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OPERATIONS, PolicySyntaxError, parsePolicy } from '../../src/policy/index.js';

const ERRNO: Record<string, number> = { EBADMSG: -74, EINVAL: -22, ERANGE: -34 };

/** parsePolicy's result in the kernel harness's output format. */
function verdict(text: string): string {
  let p: ReturnType<typeof parsePolicy>;
  try {
    p = parsePolicy(text, { bpf: false });
  } catch (e) {
    if (e instanceof PolicySyntaxError) return `ERR ${ERRNO[e.errno]}`;
    throw e;
  }
  const name = Buffer.from(p.name, 'utf8').toString('hex');
  let out = `OK name=${name} v=${p.version.major}.${p.version.minor}.${p.version.rev} G=${p.globalDefault?.action ?? '-'}`;
  for (const op of OPERATIONS) {
    if (op === 'BPF_PROG_LOAD') continue;
    const d = p.opDefaults[op];
    if (d) out += ` D:${op}=${d.action}`;
    for (const r of p.rules.filter((x) => x.op === op)) {
      out += ` R:${op}`;
      for (const pr of r.properties) out += `,${pr.key}=${pr.value}`;
      out += `,${r.action}`;
    }
  }
  return out;
}

const cases = JSON.parse(readFileSync(new URL('./kernel-parser-results.json', import.meta.url), 'utf8')) as {
  text: string;
  kernel: string;
}[];

describe('parsePolicy agrees with the kernel parser', () => {
  it('has the recorded cases, accepted and rejected with every errno', () => {
    assert.equal(cases.length, 600);
    const kinds = new Set(cases.map((c) => (c.kernel.split(' ')[0] === 'OK' ? 'OK' : c.kernel)));
    assert.deepEqual([...kinds].sort(), ['ERR -22', 'ERR -34', 'ERR -74', 'OK']);
  });
  it('same verdict, errno and parsed content on every case', () => {
    const bad = cases.filter((c) => verdict(c.text) !== c.kernel);
    assert.deepEqual(
      bad.slice(0, 5).map((c) => ({ text: c.text, kernel: c.kernel, ours: verdict(c.text) })),
      [],
    );
  });
});
