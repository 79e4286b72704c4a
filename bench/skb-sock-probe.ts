/**
 * What the socket `BPF_PROG_TEST_RUN` gives an skb looks like to a program, on Linux and on the
 * machine in the same run: every `struct bpf_sock` field through `__sk_buff->sk` and through
 * `bpf_sk_fullsock`, narrow reads, and the socket helpers, for each program type of
 * `bpf_prog_test_run_skb` and for IPv4, IPv6, ARP and other frames. Prints one line per case
 * (`kernel` value, and `machine` value when it differs) and the number of differences.
 *
 * Run: `node --import tsx bench/skb-sock-probe.ts` (root; `--all` prints the cases that agree too).
 *
 * @module
 */

import { Machine } from '../src/machine/index.js';
import { kernelBackend } from '../src/sys/kernel/index.js';
import { FRAMES, PROGRAMS, runCase, SKB_TYPES } from '../test/machine/skb-sock-cases.js';

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
console.log(`${cases} cases, ${diffs} differ`);
