/**
 * Child process of the unprivileged comparison (unpriv-kernel.ts starts it as uid/gid 65534, or as
 * root without any capability): loads every program of the unprivileged corpus and creates every map of
 * unprivMapCases() through the kernel backend, and prints the answers as one JSON object
 * `{ uid, capEff, programs, maps }` on stdout. The maps a program needs are created here, by the loading
 * process itself (fds are per process).
 */
import { readFileSync } from 'node:fs';
import { kernelBackend } from '../../src/sys/kernel/index.js';
import type { Answer } from './harness.js';
import { unprivCorpus, unprivMapCases } from './unpriv-corpus.js';
import { loadAnswer, mapCreateAnswer } from './unpriv-harness.js';

const k = kernelBackend();
const programs: Record<string, Answer> = {};
for (const p of unprivCorpus()) programs[p.name] = loadAnswer(k, p);
const maps: Record<string, Answer> = {};
for (const m of unprivMapCases()) maps[m.name] = mapCreateAnswer(k, m);
const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
process.stdout.write(`${JSON.stringify({ uid: process.getuid?.(), capEff, programs, maps })}\n`);
