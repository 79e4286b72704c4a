import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashableBytes, mapContentHash, progHash, progTag } from '../../src/hash/index.js';
import { encode, type Insn } from '../../src/isa/index.js';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('program hash', () => {
  it('zeroes both imms of MAP_FD and MAP_VALUE loads only', () => {
    const prog: Insn[] = [
      { code: 0x18, dst: 1, src: 1, off: 0, imm: 7, imm2: 3 },
      { code: 0x18, dst: 1, src: 2, off: 0, imm: 7, imm2: 3 },
      { code: 0x18, dst: 1, src: 5, off: 0, imm: 7, imm2: 3 },
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const masked = hashableBytes(encode(prog));
    const expect = encode([
      { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm2: 0 },
      { code: 0x18, dst: 1, src: 2, off: 0, imm: 0, imm2: 0 },
      ...prog.slice(2),
    ]);
    assert.deepEqual(masked, expect);
    assert.deepEqual(progHash(prog), sha(expect));
    assert.deepEqual(progTag(prog), sha(expect).slice(0, 8));
  });
  it('hashes frozen array contents with 8-byte padding', () => {
    const values = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 2 entries of 3 bytes
    const padded = Uint8Array.from([1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0]);
    assert.deepEqual(mapContentHash(values, 3, 2), sha(padded));
    assert.deepEqual(mapContentHash(padded, 3, 2), sha(padded));
    assert.throws(() => mapContentHash(values, 4, 2), RangeError);
  });
});
