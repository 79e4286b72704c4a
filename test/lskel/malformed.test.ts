import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseObject } from '../../src/elf/object.js';
import {
  generateLightSkeleton,
  lskelFromJson,
  lskelToJson,
  signLightSkeleton,
  throwawayIdentity,
} from '../../src/lskel/index.js';
import { parseCertificate, verifySignature } from '../../src/machine/signature/index.js';
import { FormatError } from '../../src/util/errors.js';

const spec = parseObject(new Uint8Array(readFileSync('test/fixtures/legacy.bpfel.o')));
const id = throwawayIdentity('fuzz', new Uint8Array([1]), new Date('2026-01-01T00:00:00Z'));
const l = signLightSkeleton(generateLightSkeleton(spec, { signed: true }), id.signer);
const json = lskelToJson(l);
const cert = parseCertificate(id.certificate);

describe('malformed skeletons, signatures and certificates', () => {
  it('skeleton JSON round-trips', () => {
    const back = lskelFromJson(json);
    assert.deepEqual(back.insns, l.insns);
    assert.deepEqual(back.signature, l.signature);
    assert.deepEqual(back.maps, l.maps);
  });

  it('mutated skeleton JSON: a skeleton or a FormatError, nothing else', () => {
    fc.assert(
      fc.property(fc.nat(json.length - 1), fc.string({ maxLength: 4 }), (at, ins) => {
        const text = json.slice(0, at) + ins + json.slice(at + 1);
        try {
          lskelFromJson(text);
        } catch (e) {
          assert.ok(e instanceof FormatError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated signatures: a verdict, never an exception; only the original verifies', () => {
    const sig = l.signature!;
    assert.equal(verifySignature(l.insns, sig, [cert]).ok, true);
    fc.assert(
      fc.property(fc.nat(sig.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = sig.slice();
        bad[at] ^= x;
        const v = verifySignature(l.insns, bad, [cert]);
        // The signature value is the last field: a flip there never verifies (a flip elsewhere,
        // e.g. in an algorithm parameter the verifier ignores, may).
        if (at >= sig.length - 64) assert.equal(v.ok, false, `flip at ${at}`);
        if (!v.ok) assert.ok(['malformed', 'unknown-key', 'bad-signature', 'unsupported'].includes(v.reason));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.equal(verifySignature(l.insns, b, [cert]).ok, false);
      }),
      { numRuns: 200 },
    );
  });

  it('mutated certificates: parsed or FormatError', () => {
    fc.assert(
      fc.property(fc.nat(id.certificate.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = id.certificate.slice();
        bad[at] ^= x;
        try {
          parseCertificate(bad);
        } catch (e) {
          assert.ok(e instanceof FormatError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
