/**
 * bpf_perf_event_output (25), bpf_skb_load_bytes (26), bpf_get_numa_node_id (42),
 * bpf_get_socket_cookie (46) and bpf_get_socket_uid (47) on Linux and on the machine:
 *
 * - which program types may call them, and the GPL rule: the same load verdict, errno and error
 *   line for every program type both load (sk_reuseport's socket cookie takes a socket pointer
 *   the machine does not model: the machine refuses the helper there);
 * - BPF_PROG_TEST_RUN of the same programs on the same packets: the same r0 (offsets in and out of
 *   the packet, negative and huge offsets, the destination zeroed on failure; perf output flags,
 *   index, ctx length and the empty slot); socket cookies follow the same rules (non-zero, one per
 *   run, shared by the calls of a run).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleLlvm } from '../../src/isa/asm/llvm.js';
import { encode } from '../../src/isa/codec.js';
import { Machine } from '../../src/machine/index.js';
import type { Backend } from '../../src/sys/backend.js';
import { BpfError, VerifierError } from '../../src/sys/errors.js';
import { MapType, ProgFlag, ProgType as T } from '../../src/uapi/constants.js';
import { backends } from '../backend/backends.js';
import { errorLine } from '../verifier/harness.js';
import { CONFIGS } from '../verifier/progtypes.js';

const kernel = backends().find((b) => b.name === 'kernel')!;

const PERF = 'r2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 = map[idx:0] ll\nr4 = r10\nr4 += -8\nr5 = 8\n';
const perf = (flags: string): string => `${PERF}r3 = ${flags} ll\ncall 25\n`;
const load = (off: string, len = 8): string =>
  `r2 = ${off}\nr3 = 0x1122334455667788 ll\n*(u64 *)(r10 - 16) = r3\nr3 = r10\nr3 += -16\nr4 = ${len}\ncall 26\n`;

/** Bodies that call each helper with valid arguments (r1 = ctx on entry). */
const CALLS: Record<string, string> = {
  h25: perf('0xffffffff'),
  h26: load('0'),
  h42: 'call 42\n',
  h46: 'call 46\n',
  h47: 'call 47\n',
};

function answer(
  b: Backend,
  progType: number,
  attachType: number,
  text: string,
  license: string,
  perfFd: number,
): string {
  try {
    const fd = b.progLoad({
      progType,
      expectedAttachType: attachType,
      insns: encode(assembleLlvm(text)),
      license,
      logLevel: 1,
      fdArray: Int32Array.from([perfFd]),
      ...(progType === T.SYSCALL ? { progFlags: ProgFlag.SLEEPABLE } : {}),
    });
    fd.close();
    return 'accepted';
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}|${e instanceof VerifierError ? errorLine(e.lines) : ''}`;
  }
}

const perfMap = (b: Backend) =>
  b.mapCreate({ mapType: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });

test(
  'helpers 25, 26, 42, 46, 47: the same load answers per program type and license',
  { skip: kernel.skip },
  () => {
    const k = kernel.backend();
    const m = new Machine();
    const kp = perfMap(k);
    const mp = perfMap(m);
    const configs = [
      ...CONFIGS.map((c) => ({ tag: c.tag, progType: c.progType, attachType: c.attachType, ret: c.ret })),
      { tag: 'socket', progType: T.SOCKET_FILTER, attachType: 0, ret: 0 },
      { tag: 'sched_cls', progType: T.SCHED_CLS, attachType: 0, ret: 0 },
      { tag: 'sched_act', progType: T.SCHED_ACT, attachType: 0, ret: 0 },
      { tag: 'xdp', progType: T.XDP, attachType: 0, ret: 0 },
      { tag: 'syscall', progType: T.SYSCALL, attachType: 0, ret: 0 },
    ];
    const diffs: string[] = [];
    let compared = 0;
    for (const c of configs) {
      for (const [h, body] of Object.entries(CALLS)) {
        for (const license of ['GPL', 'MIT']) {
          const text = `${body}r0 = ${c.ret}\nexit`;
          const want = answer(k, c.progType, c.attachType, text, license, kp.fd);
          const got = answer(m, c.progType, c.attachType, text, license, mp.fd);
          compared++;
          if (want === got) continue;
          // sk_reuseport's and syscall programs' bpf_get_socket_cookie takes a socket, not the
          // ctx: not modelled, the machine refuses the helper there.
          if (
            (c.progType === T.SK_REUSEPORT || c.progType === T.SYSCALL) &&
            h === 'h46' &&
            got === 'EINVAL|program of this type cannot use helper bpf_get_socket_cookie#46' &&
            want.startsWith('EACCES|R1 type=ctx expected=sock_common')
          )
            continue;
          diffs.push(`${c.tag} ${h} ${license}: kernel ${want} machine ${got}`);
        }
      }
    }
    kp.close();
    mp.close();
    assert.ok(compared >= 400, `${compared} loads compared`);
    assert.deepEqual(diffs, []);
  },
);

/** Programs for test runs; each returns r0 from the helper or the bytes it loaded. */
const RUNS: Record<string, string> = {
  numa: 'call 42\nexit',
  uid: 'call 47\nexit',
  'load-0': `${load('0')}r0 = *(u64 *)(r10 - 16)\nexit`,
  'load-0-ret': `${load('0')}exit`,
  'load-6-4': `${load('6', 4)}r0 = *(u32 *)(r10 - 16)\nexit`,
  'load-end': `${load('42')}r0 = *(u64 *)(r10 - 16)\nexit`,
  'load-end-ret': `${load('42')}exit`,
  'load-56': `${load('56')}r0 = *(u64 *)(r10 - 16)\nexit`,
  'load-past': `${load('57')}r0 = *(u64 *)(r10 - 16)\nexit`,
  'load-past-ret': `${load('57')}exit`,
  'load-neg': `${load('-1')}exit`,
  'load-neg-bytes': `${load('-1')}r0 = *(u64 *)(r10 - 16)\nexit`,
  'load-int-max': `${load('0x7fffffff')}exit`,
  'load-huge': `${load('0x80000000')}exit`,
  'perf-current-cpu': `${perf('0xffffffff')}exit`,
  'perf-index-0': `${perf('0')}exit`,
  'perf-index-3': `${perf('3')}exit`,
  'perf-index-4': `${perf('4')}exit`,
  'perf-ctxlen-10': `${perf('0xa00000000')}exit`,
  'perf-ctxlen-64': `${perf('0x4000000000')}exit`,
  'perf-ctxlen-65': `${perf('0x4100000000')}exit`,
  'perf-ctxlen-max': `${perf('0xfffff00000000')}exit`,
  'perf-bad-flag': `${perf('0x10000000000000')}exit`,
  'perf-bad-flag-idx9': `${perf('0x10000000000009')}exit`,
};

function run(b: Backend, progType: number, text: string, perfFd: number, data: Uint8Array): string {
  let fd: ReturnType<Backend['progLoad']>;
  try {
    fd = b.progLoad({
      progType,
      insns: encode(assembleLlvm(text)),
      license: 'GPL',
      fdArray: Int32Array.from([perfFd]),
    });
  } catch (e) {
    if (e instanceof BpfError) return `load ${e.code}`;
    throw e;
  }
  try {
    return String(b.progTestRun({ progFd: fd.fd, dataIn: data.slice() }).retval | 0);
  } catch (e) {
    if (e instanceof BpfError) return `run ${e.code}`;
    throw e;
  } finally {
    fd.close();
  }
}

test(
  'helpers 25, 26, 42, 47 under BPF_PROG_TEST_RUN: the same r0 on Linux and the machine',
  { skip: kernel.skip },
  () => {
    const k = kernel.backend();
    const m = new Machine();
    const kp = perfMap(k);
    const mp = perfMap(m);
    const diffs: string[] = [];
    for (const len of [14, 50, 64, 200]) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = (i * 7 + 1) & 0xff;
      data[12] = 0x88; // an ethertype the runners do not parse
      data[13] = 0xb5;
      for (const [tag, progType] of [
        ['socket', T.SOCKET_FILTER],
        ['sched_cls', T.SCHED_CLS],
        ['sched_act', T.SCHED_ACT],
        ['xdp', T.XDP],
        ['lwt_in', T.LWT_IN],
        ['lwt_xmit', T.LWT_XMIT],
      ] as const) {
        for (const [name, text] of Object.entries(RUNS)) {
          const want = run(k, progType, text, kp.fd, data);
          const got = run(m, progType, text, mp.fd, data);
          if (want !== got) diffs.push(`${tag} ${name} len ${len}: kernel ${want} machine ${got}`);
        }
      }
    }
    kp.close();
    mp.close();
    assert.deepEqual(diffs, []);
  },
);

test(
  'bpf_get_socket_cookie under BPF_PROG_TEST_RUN: non-zero, one per run, shared within a run',
  { skip: kernel.skip },
  () => {
    // r0 = (cookie of the first call == cookie of the second) ? low 32 bits of the cookie : 0
    const text =
      'r6 = r1\ncall 46\nr7 = r0\nr1 = r6\ncall 46\nif r0 != r7 goto bad\nexit\nbad:\nr0 = 0\nexit';
    for (const b of [kernel.backend(), new Machine()]) {
      for (const progType of [T.SOCKET_FILTER, T.SCHED_CLS]) {
        const fd = b.progLoad({ progType, insns: encode(assembleLlvm(text)), license: 'GPL' });
        const cookies = [0, 1, 2].map(
          () => b.progTestRun({ progFd: fd.fd, dataIn: new Uint8Array(64), repeat: 3 }).retval,
        );
        fd.close();
        for (const c of cookies) assert.notEqual(c, 0, 'a cookie, the same for both calls');
        assert.equal(new Set(cookies).size, 3, `one cookie per run: ${cookies.join(', ')}`);
      }
    }
  },
);
