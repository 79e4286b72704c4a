/**
 * Child process of the unprivileged comparison (unpriv-kernel.ts starts it as uid/gid 65534, no
 * capabilities): loads every program of the unprivileged corpus and creates every map of
 * unprivMapCases() through the kernel backend, and prints the answers as one JSON object
 * `{ uid, programs, maps }` on stdout. The maps a program needs are created here, by the loading
 * process itself (fds are per process).
 */
import { kernelBackend } from '../../src/sys/kernel/index.js';
import type { Answer } from './harness.js';
import { unprivCorpus, unprivMapCases } from './unpriv-corpus.js';
import { loadAnswer, mapCreateAnswer } from './unpriv-harness.js';

const k = kernelBackend();
const programs: Record<string, Answer> = {};
for (const p of unprivCorpus()) programs[p.name] = loadAnswer(k, p);
const maps: Record<string, Answer> = {};
for (const m of unprivMapCases()) maps[m.name] = mapCreateAnswer(k, m);
process.stdout.write(`${JSON.stringify({ uid: process.getuid?.(), programs, maps })}\n`);
