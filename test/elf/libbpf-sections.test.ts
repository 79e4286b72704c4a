/**
 * The section-name table agrees with the system libbpf's own (`libbpf_prog_type_by_name`, from
 * libbpf-dev): for every pattern libbpf knows, the same program type and expected attach type.
 * Skips when no C compiler or libbpf is installed. The installed libbpf may be older than the
 * table (it lacks e.g. tcx/, netkit/, kprobe.session): names it does not know are not compared,
 * but at least the classic ones must be known.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AttachType, ProgType, sectionKind, sectionPatterns } from '../../src/elf/sections.js';

const C = `
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
static int quiet(enum libbpf_print_level l, const char *f, va_list a) { return 0; }
int main(void) {
  char line[512];
  libbpf_set_print(quiet);
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\\n")] = 0;
    enum bpf_prog_type pt; enum bpf_attach_type at;
    int err = libbpf_prog_type_by_name(line, &pt, &at);
    if (err) printf("%s -\\n", line); else printf("%s %d %d\\n", line, (int)pt, (int)at);
  }
  return 0;
}
`;

test('section table agrees with libbpf_prog_type_by_name', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-secdefs-'));
  writeFileSync(join(dir, 'p.c'), C);
  const cc = spawnSync('cc', ['-O1', '-o', join(dir, 'p'), join(dir, 'p.c'), '-lbpf'], { encoding: 'utf8' });
  if (cc.error !== undefined) return t.skip('no C compiler');
  if (cc.status !== 0) return t.skip(`cannot build against libbpf: ${cc.stderr.split('\n')[0]}`);
  const names = sectionPatterns().map((p) =>
    p.endsWith('+') || p.endsWith('/') ? `${p.replace(/\+$/, '')}/x` : p,
  );
  const r = spawnSync(join(dir, 'p'), [], { input: `${names.join('\n')}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const byProg = Object.fromEntries(Object.entries(ProgType).map(([k, v]) => [v, k]));
  let compared = 0;
  const known = new Set<string>();
  for (const line of r.stdout.trim().split('\n')) {
    const [name, pt, at] = line.split(' ');
    if (pt === '-') continue;
    known.add(name!);
    const k = sectionKind(name!)!;
    assert.ok(k, name);
    assert.equal(k.progType, byProg[Number(pt)], `${name}: program type`);
    // libbpf reports attach type 0 for "none", which is also CGROUP_INET_INGRESS.
    assert.equal(
      k.attachType === undefined ? 0 : AttachType[k.attachType],
      Number(at),
      `${name}: attach type`,
    );
    compared++;
  }
  for (const classic of [
    'socket',
    'xdp',
    'tc',
    'kprobe/x',
    'tracepoint/x',
    'raw_tp/x',
    'fentry/x',
    'lsm/x',
    'cgroup/connect4',
    'syscall',
  ]) {
    assert.ok(known.has(classic), `libbpf knows ${classic}`);
  }
  assert.ok(compared >= 80, `compared ${compared}`);
});
