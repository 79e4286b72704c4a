/**
 * The socket an skb test run gives a program (`__sk_buff->sk`), on Linux and on the machine:
 * every `struct bpf_sock` field through the sock_common pointer and through `bpf_sk_fullsock`,
 * narrow reads, `bpf_tcp_sock`, `bpf_get_listener_sock`, `bpf_get_socket_cookie` and
 * `bpf_get_socket_uid`, for socket_filter, sched_cls/act, cgroup_skb and lwt_in/out/xmit on IPv4,
 * IPv6, ARP and other frames (same load verdicts, same answers). The one planned difference is
 * the 2- and 4-byte reads of `rx_queue_mapping`, where Linux gives the 64-bit -1 beyond the
 * bounds its verifier assumes and the machine keeps to those bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/index.js';
import { ProgType as T } from '../../src/uapi/constants.js';
import { kernel, skip } from '../kernel/kernel.js';
import { FRAMES, NO_SOCK, PROGRAMS, runCase, SKB_TYPES, sockRead } from './skb-sock-cases.js';

/** Where the machine answers otherwise, by design: program name -> [Linux, machine]. */
const RX_QUEUE_DIFFS: Readonly<Record<string, readonly [string, string]>> = {
  'sk->(u16 *)76': ['4294967295', '65535'],
  'sk->(u16 *)76 >> 32': ['4294967295', '0'],
  'sk->(u32 *)76 >> 32': ['4294967295', '0'],
};

test('__sk_buff->sk under BPF_PROG_TEST_RUN: the same answers on Linux and the machine', { skip }, () => {
  const k = kernel();
  const m = new Machine();
  const diffs: string[] = [];
  let compared = 0;
  let ran = 0;
  for (const [tag, progType] of SKB_TYPES) {
    for (const [fname, data] of FRAMES) {
      for (const [name, text] of Object.entries(PROGRAMS)) {
        const want = runCase(k, progType, text, data);
        const got = runCase(m, progType, text, data);
        compared++;
        if (/^\d+$/.test(want)) ran++;
        const planned = RX_QUEUE_DIFFS[name];
        if (planned !== undefined && /^\d+$/.test(want)) {
          if (want !== planned[0] || got !== planned[1])
            diffs.push(
              `${tag} ${fname} ${name}: kernel ${want} machine ${got}, planned ${planned.join('/')}`,
            );
          continue;
        }
        if (want !== got) diffs.push(`${tag} ${fname} ${name}: kernel ${want} machine ${got}`);
      }
    }
  }
  assert.deepEqual(diffs, []);
  assert.ok(compared >= 1900, `${compared} cases compared`);
  // Every type reads the socket: sk itself in all seven, the helpers where they are allowed.
  assert.ok(ran >= 1100, `${ran} cases ran on both`);
});

test(
  '__sk_buff->sk: every read of struct bpf_sock, the same verdict and value on Linux and the machine',
  { skip },
  () => {
    const k = kernel();
    const m = new Machine();
    const diffs: string[] = [];
    let ran = 0;
    for (const [fname, data] of FRAMES.filter(([n]) => n === 'ipv4' || n === 'ipv6')) {
      for (const full of [false, true]) {
        for (let off = -1; off <= 80; off++) {
          for (const size of [1, 2, 4, 8]) {
            const text = sockRead(full, off, size);
            const want = runCase(k, T.SCHED_CLS, text, data);
            const got = runCase(m, T.SCHED_CLS, text, data);
            if (/^\d+$/.test(want)) ran++;
            // rx_queue_mapping read with 2 bytes: Linux's 64-bit -1 against the verifier's u16.
            if (off === 76 && size === 2 && want === '4294967295' && got === '65535') continue;
            if (want !== got)
              diffs.push(
                `${fname} ${full ? 'fullsock' : 'sk'}->(u${size * 8} *)${off}: kernel ${want} machine ${got}`,
              );
          }
        }
      }
    }
    assert.deepEqual(diffs, []);
    assert.ok(ran >= 100, `${ran} reads ran on both`);
  },
);

test('__sk_buff->sk on Linux: a socket in every skb test run, the fields as documented', { skip }, () => {
  const k = kernel();
  const v4 = FRAMES.find(([n]) => n === 'ipv4')![1];
  const v6 = FRAMES.find(([n]) => n === 'ipv6')![1];
  const other = FRAMES.find(([n]) => n === 'other')![1];
  const le32 = (b: Uint8Array, o: number): string =>
    String(new DataView(b.buffer, b.byteOffset).getUint32(o, true));
  for (const [tag, progType] of SKB_TYPES) {
    const at = (name: string, data: Uint8Array): string =>
      `${tag} ${name} ${runCase(k, progType, PROGRAMS[name]!, data)}`;
    assert.equal(at('sk != NULL', v4), `${tag} sk != NULL 1`);
    assert.equal(at('sk->family', v4), `${tag} sk->family 2`);
    assert.equal(at('sk->family', v6), `${tag} sk->family 10`);
    assert.equal(at('sk->family', other), `${tag} sk->family 0`);
    assert.equal(at('sk->src_ip4', v4), `${tag} sk->src_ip4 ${le32(v4, 26)}`);
    assert.equal(at('sk->dst_ip4', v4), `${tag} sk->dst_ip4 ${le32(v4, 30)}`);
    assert.equal(at('sk->src_ip6[3]', v6), `${tag} sk->src_ip6[3] ${le32(v6, 34)}`);
    assert.equal(at('sk->dst_ip6[0]', v6), `${tag} sk->dst_ip6[0] ${le32(v6, 38)}`);
    assert.equal(at('sk->state', other), `${tag} sk->state 7`);
    assert.equal(at('sk->rx_queue_mapping', v4), `${tag} sk->rx_queue_mapping 4294967295`);
  }
});

/** The machine's answer for `name` in a sched_cls test run on `frame`. */
function onMachine(m: Machine, name: string, frame: string, progType: number = T.SCHED_CLS): string {
  return runCase(m, progType, PROGRAMS[name]!, FRAMES.find(([n]) => n === frame)![1]);
}

test('__sk_buff->sk on the machine: the dummy socket of each run (no kernel needed)', () => {
  const m = new Machine();
  // IPv4: family and addresses from the header (192.0.2.1 -> 198.51.100.7), in network order.
  assert.equal(onMachine(m, 'sk != NULL', 'ipv4'), '1');
  assert.equal(onMachine(m, 'sk->family', 'ipv4'), '2');
  assert.equal(onMachine(m, 'sk->src_ip4', 'ipv4'), String(0x010200c0));
  assert.equal(onMachine(m, 'fullsock->dst_ip4', 'ipv4'), String(0x076433c6));
  assert.equal(onMachine(m, 'sk->(u16 *)52', 'ipv4'), String(0x33c6));
  assert.equal(onMachine(m, 'sk->src_ip6[0]', 'ipv4'), '0');
  // IPv6: 2021..2f as source, a0a1..af as destination.
  assert.equal(onMachine(m, 'sk->family', 'ipv6'), '10');
  assert.equal(onMachine(m, 'sk->src_ip6[0]', 'ipv6'), String(0x23222120));
  assert.equal(onMachine(m, 'fullsock->dst_ip6[3]', 'ipv6'), String(0xafaeadac));
  assert.equal(onMachine(m, 'sk->dst_ip4', 'ipv6'), '0');
  // Other frames: AF_UNSPEC, no addresses; still a socket.
  assert.equal(onMachine(m, 'sk != NULL', 'arp'), '1');
  assert.equal(onMachine(m, 'sk->family', 'arp'), '0');
  assert.equal(onMachine(m, 'sk->src_ip4', 'other'), '0');
  // Every frame: no type, protocol, mark (the skb's mark is 0x11), priority, ports or device;
  // TCP_CLOSE, no receive queue.
  for (const f of ['ipv4', 'ipv6', 'other']) {
    for (const field of ['type', 'protocol', 'mark', 'priority', 'src_port', 'dst_port', 'bound_dev_if'])
      assert.equal(onMachine(m, `fullsock->${field}`, f), '0', `${f} ${field}`);
    assert.equal(onMachine(m, 'sk->state', f), '7');
    assert.equal(onMachine(m, 'fullsock->rx_queue_mapping', f), '4294967295');
    assert.equal(onMachine(m, 'sk->(u32 *)76 >> 32', f), '0');
    assert.equal(onMachine(m, 'sk->(u8 *)76', f), '255');
  }
  // A full socket, neither TCP nor listening; uid 0; a non-zero cookie, stable within a run.
  assert.equal(onMachine(m, 'fullsock == sk', 'ipv4'), '1');
  assert.equal(onMachine(m, 'tcp_sock(sk) != NULL', 'ipv4'), '0');
  assert.equal(onMachine(m, 'tcp_sock(fullsock) != NULL', 'ipv6'), '0');
  assert.equal(onMachine(m, 'get_listener_sock(sk) != NULL', 'ipv4'), '0');
  assert.equal(onMachine(m, 'uid', 'ipv4'), '0');
  assert.equal(onMachine(m, 'cookie != 0, stable in a run', 'ipv4'), '1');
  // The other skb runners give the same socket.
  for (const [, progType] of SKB_TYPES) {
    assert.equal(onMachine(m, 'sk->family', 'ipv6', progType), '10');
    assert.equal(onMachine(m, 'sk->(u16 *)26', 'ipv4', progType), String(0x0102));
  }
  assert.notEqual(onMachine(m, 'sk != NULL', 'ipv4'), String(NO_SOCK));
});

test('__sk_buff->sk on the machine: the verifier bounds hold at run time (no fault)', () => {
  const m = new Machine();
  // The verifier takes a 4-byte read as a u32: the upper half is 0, so the dead load never runs.
  const text =
    'r6 = r1\nr0 = 3\nr7 = *(u64 *)(r6 + 168)\nif r7 == 0 goto out\nr0 = *(u32 *)(r7 + 76)\n' +
    'r0 >>= 32\nif r0 == 0 goto out\nr1 = *(u64 *)(r0 + 0)\nout:\nexit';
  for (const [, data] of FRAMES) {
    for (const progType of [T.SCHED_CLS, T.SOCKET_FILTER, T.LWT_IN]) {
      const fd = m.progLoad({ progType, insns: encode(assembleLlvm(text)), license: 'GPL' });
      assert.equal(m.progTestRun({ progFd: fd.fd, dataIn: data.slice(), repeat: 2 }).retval, 0);
      fd.close();
    }
  }
});

test('__sk_buff->sk on the machine: one socket per run, shared by its repetitions', () => {
  const m = new Machine();
  // r0 = the cookie's low half; repetitions see the same socket, runs a new one.
  const fd = m.progLoad({
    progType: T.SCHED_CLS,
    insns: encode(assembleLlvm('call 46\nexit')),
    license: 'GPL',
  });
  const data = FRAMES[0]![1];
  const a = m.progTestRun({ progFd: fd.fd, dataIn: data.slice(), repeat: 5 }).retval;
  const b = m.progTestRun({ progFd: fd.fd, dataIn: data.slice(), repeat: 5 }).retval;
  fd.close();
  assert.notEqual(a, 0);
  assert.notEqual(b, 0);
  assert.notEqual(a, b);
});
