/**
 * What the socket `BPF_PROG_TEST_RUN` gives an skb looks like to a program, on Linux and on the
 * machine in the same run: every `struct bpf_sock` field through `__sk_buff->sk` and through
 * `bpf_sk_fullsock`, narrow reads, and the socket helpers, for each program type of
 * `bpf_prog_test_run_skb` and for IPv4, IPv6, ARP and other frames. Prints one line per case
 * (`kernel` value, and `machine` value when it differs) and the number of differences.
 *
 * Run: `node --import tsx bench/skb-sock-probe.ts` (root; `--all` prints the cases that agree too;
 * `--every-read` adds a read of every size at every offset of `struct bpf_sock`, through the
 * socket and through `bpf_sk_fullsock`, in sched_cls).
 *
 * @module
 */

import { Machine } from '../src/machine/index.js';
import { kernelBackend } from '../src/sys/kernel/index.js';
import { ProgType } from '../src/uapi/constants.js';
import { FRAMES, PROGRAMS, runCase, SKB_TYPES, sockRead } from '../test/machine/skb-sock-cases.js';

const all = process.argv.includes('--all');
const k = kernelBackend();
const m = new Machine();
let diffs = 0;
let cases = 0;
for (const [tag, progType] of SKB_TYPES) {
  for (const [fname, data] of FRAMES) {
    for (const [name, text] of Object.entries(PROGRAMS)) {
      const want = runCase(k, progType, text, data);
      const got = runCase(m, progType, text, data);
      cases++;
      const hex = /^\d+$/.test(want) ? ` (0x${Number(want).toString(16)})` : '';
      if (want !== got) {
        diffs++;
        console.log(`${tag} ${fname} ${name}: kernel ${want}${hex} machine ${got}  <-- differs`);
      } else if (all) console.log(`${tag} ${fname} ${name}: ${want}${hex}`);
    }
  }
}
if (process.argv.includes('--every-read')) {
  for (const [fname, data] of FRAMES) {
    for (const full of [false, true]) {
      for (let off = -1; off <= 80; off++) {
        for (const size of [1, 2, 4, 8]) {
          const name = `${full ? 'fullsock' : 'sk'}->(u${size * 8} *)${off}`;
          const text = sockRead(full, off, size);
          const want = runCase(k, ProgType.SCHED_CLS, text, data);
          const got = runCase(m, ProgType.SCHED_CLS, text, data);
          cases++;
          if (want !== got) {
            diffs++;
            console.log(`sched_cls ${fname} ${name}: kernel ${want} machine ${got}  <-- differs`);
          } else if (all) console.log(`sched_cls ${fname} ${name}: ${want}`);
        }
      }
    }
  }
}
console.log(`${cases} cases, ${diffs} differ`);
