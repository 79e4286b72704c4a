// Feature probes of the running kernel: answers, reasons, caching.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BTF_KIND } from '../../src/btf/index.js';
import {
  clearProbeCache,
  NO_SIGNATURE_VERIFICATION,
  probeBtfKind,
  probeExclusiveMaps,
  probeHelper,
  probeMapType,
  probeProgType,
  probeSignedLoads,
} from '../../src/sys/kernel/index.js';
import { Helper, MapType, ProgType } from '../../src/uapi/constants.js';
import { kernel, skip } from './kernel.js';

describe('kernel: feature probes', { skip }, () => {
  test('map types, program types, BTF kinds of Linux 6.18', () => {
    kernel();
    for (const [name, t] of Object.entries(MapType)) {
      if (name === 'UNSPEC') continue;
      assert.equal(probeMapType(t).supported, true, `map type ${name}: ${probeMapType(t).reason}`);
    }
    assert.equal(probeMapType(0x7fff).supported, false);
    for (const name of [
      'SOCKET_FILTER',
      'XDP',
      'SCHED_CLS',
      'CGROUP_SKB',
      'SYSCALL',
      'SK_LOOKUP',
      'NETFILTER',
    ] as const) {
      assert.equal(
        probeProgType(ProgType[name]).supported,
        true,
        `prog type ${name}: ${probeProgType(ProgType[name]).reason}`,
      );
    }
    // Built without CONFIG_BPF_LIRC_MODE2.
    assert.equal(probeProgType(ProgType.LIRC_MODE2).supported, false);
    for (const [name, kind] of Object.entries(BTF_KIND)) {
      if (kind === 0) continue;
      assert.equal(probeBtfKind(kind).supported, true, `BTF kind ${name}: ${probeBtfKind(kind).reason}`);
    }
  });

  test('helpers per program type', () => {
    kernel();
    assert.equal(probeHelper(ProgType.XDP, Helper.map_lookup_elem).supported, true);
    assert.equal(probeHelper(ProgType.SYSCALL, Helper.sys_bpf).supported, true);
    const no = probeHelper(ProgType.XDP, Helper.sys_bpf);
    assert.equal(no.supported, false);
    assert.match(no.reason ?? '', /helper 166/);
    assert.equal(probeHelper(ProgType.SOCKET_FILTER, Helper.xdp_adjust_head).supported, false);
    assert.equal(probeHelper(ProgType.XDP, 100000).supported, false);
  });

  test('exclusive maps yes; signed loads: a capability with the reason, not a crash; answers are cached', () => {
    kernel();
    assert.deepEqual(probeExclusiveMaps(), { supported: true });
    const s = probeSignedLoads();
    assert.equal(s.supported, false);
    assert.equal(s.reason, NO_SIGNATURE_VERIFICATION);
    assert.equal(probeSignedLoads(), s);
    clearProbeCache();
    assert.notEqual(probeSignedLoads(), s);
    assert.deepEqual(probeSignedLoads(), s);
  });
});
