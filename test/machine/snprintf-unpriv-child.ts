/**
 * Child of test/machine/snprintf.test.ts, run without capabilities: loads the unprivileged
 * bpf_snprintf cases into the kernel and prints the answers as JSON.
 */
import { kernelBackend } from '../../src/sys/kernel/index.js';
import { UNPRIV_CASES, unprivAnswer } from './snprintf-unpriv.js';

const k = kernelBackend();
process.stdout.write(JSON.stringify(UNPRIV_CASES.map((c) => unprivAnswer(k, c))));
