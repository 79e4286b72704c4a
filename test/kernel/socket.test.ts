// End to end: a socket filter attached with SO_ATTACH_BPF decides what a socket receives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as B from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import { BpfError } from '../../src/sys/errors.js';
import {
  attachSocketFilter,
  detachSocketFilter,
  recv,
  send,
  socketPair,
} from '../../src/sys/kernel/index.js';
import { ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';

const { R0, R1, R6 } = B;

describe('kernel: socket filters', { skip }, () => {
  test('SO_ATTACH_BPF on a datagram socketpair: drop, truncate, pass by content', () => {
    const k = kernel();
    // Keep the first 4 bytes of datagrams whose first byte is 'k'; drop the others.
    // r6 = skb; r0 = load_byte(0) (legacy LD_ABS); if r0 != 'k' return 0; return 4
    const insns = encode([
      B.mov64Reg(R6, R1),
      B.ldAbsB(0),
      B.jneImm(R0, 0x6b, 2),
      B.mov64Imm(R0, 4),
      B.exit(),
      B.mov64Imm(R0, 0),
      B.exit(),
    ]);
    using prog = k.progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL' });
    const [a, b] = socketPair();
    using sa = a;
    using sb = b;
    const text = (s: string) => new TextEncoder().encode(s);
    send(sa.fd, text('before'));
    assert.deepEqual(recv(sb.fd), text('before'));
    attachSocketFilter(sb.fd, prog.fd);
    send(sa.fd, text('dropped'));
    send(sa.fd, text('kept-and-truncated'));
    assert.deepEqual(recv(sb.fd), text('kept'));
    assert.equal(recv(sb.fd), undefined);
    detachSocketFilter(sb.fd);
    send(sa.fd, text('after'));
    assert.deepEqual(recv(sb.fd), text('after'));
    // A map fd is not a program.
    using m = k.mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    assert.throws(
      () => attachSocketFilter(sb.fd, m.fd),
      (e: unknown) => BpfError.is(e, 'EINVAL'),
    );
  });
});
