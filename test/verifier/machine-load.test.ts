// The machine's BPF_PROG_LOAD runs the verifier: the kernel's refusals (errno, log line) and
// the log of a successful load, on the same programs as test/verifier's corpus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/index.js';
import { VerifierError } from '../../src/sys/errors.js';
import { MapType, ProgFlag, ProgType } from '../../src/uapi/constants.js';
import { corpus } from './corpus.js';
import { encodeFuncInfo } from './globals.js';
import { readRecord } from './harness.js';

test('machine PROG_LOAD refuses what the verifier refuses, with the same line', () => {
  const m = new Machine();
  using map = m.mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
  const text = `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[fd:${map.fd}] ll\ncall 1\nr0 = *(u64 *)(r0 + 8)\nexit`;
  assert.throws(
    () => m.progLoad({ progType: ProgType.XDP, insns: encode(assembleLlvm(text)), license: 'GPL' }),
    (e: unknown) =>
      e instanceof VerifierError &&
      e.code === 'EACCES' &&
      e.lines.includes('invalid access to map value, value_size=8 off=8 size=8') &&
      e.lines.includes('R0 min value is outside of the allowed memory range'),
  );
});

test('a successful load with a log level keeps the verifier log', () => {
  const m = new Machine();
  using p = m.progLoad({
    progType: ProgType.XDP,
    insns: encode(assembleLlvm('r0 = 1\nexit')),
    license: 'GPL',
    logLevel: 2,
    logBuf: new Uint8Array(4096),
  });
  assert.match(p.log, /0: \(b7\) r0 = 1 +; R0=1\n/);
  assert.match(p.log, /processed 2 insns \(limit 1000000\)/);
});

test('corpus programs without maps: the machine loads exactly what the kernel loads', () => {
  const record = readRecord();
  const m = new Machine();
  const diffs: string[] = [];
  for (const p of corpus()) {
    if (p.maps.length > 0 || record[p.name]?.line?.startsWith('BPF program is too large')) continue;
    let verdict = 'accepted';
    const btf = p.btf !== undefined ? m.btfLoad({ btf: p.btf }) : undefined;
    try {
      m.progLoad({
        progType: p.progType,
        insns: encode(p.insns),
        license: p.license,
        ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
        ...(p.sleepable ? { progFlags: ProgFlag.SLEEPABLE } : {}),
        ...(btf !== undefined
          ? { progBtfFd: btf.fd, funcInfo: encodeFuncInfo(p.funcInfo ?? []), funcInfoRecSize: 8 }
          : {}),
      }).close();
    } catch {
      verdict = 'rejected';
    }
    btf?.close();
    const k = record[p.name];
    if (k !== undefined && k.verdict === 'rejected' && verdict === 'accepted') diffs.push(p.name);
  }
  assert.deepEqual(diffs, [], 'the machine loaded programs the kernel refuses');
});
