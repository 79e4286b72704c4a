/**
 * Profiling helper: verify one corpus program (or a few) many times in a loop, for
 * `node --cpu-prof --import tsx bench/verifier/profile-one.ts <name> [iterations]`.
 *
 * @module
 */
import { type VerifierMap, verify } from '../../src/machine/verifier/index.js';
import { corpus } from '../../test/verifier/corpus.js';

const [name = 'fix/subprogs/tc_first', itersArg = '2000'] = process.argv.slice(2);
const iters = Number(itersArg);
const p = corpus().find((q) => q.name === name);
if (!p) throw new Error(`no corpus program ${name}`);
const maps: VerifierMap[] = p.maps.map((m) => ({
  type: m.type,
  keySize: m.keySize,
  valueSize: m.valueSize,
  maxEntries: m.maxEntries,
  flags: m.flags ?? 0,
}));
const opts = {
  progType: p.progType,
  ...(p.attachType !== undefined ? { expectedAttachType: p.attachType } : {}),
  gpl: true,
  maps: (_: 'fd' | 'idx', i: number) => maps[i],
};
let r = verify(p.insns, opts);
const t = process.hrtime.bigint();
const c0 = process.cpuUsage();
for (let i = 0; i < iters; i++) r = verify(p.insns, opts);
const us = Number(process.hrtime.bigint() - t) / 1000 / iters;
const cpu = process.cpuUsage(c0);
const cpuUs = (cpu.user + cpu.system) / iters;
console.log(
  `${name}: ${us.toFixed(1)} us/verify (cpu ${cpuUs.toFixed(1)} us), processed ${r.processed}, ok ${r.ok}`,
);
