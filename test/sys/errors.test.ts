// BpfError / VerifierError and Fd, without a kernel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BpfError, Errno, errnoName, VerifierError } from '../../src/sys/errors.js';
import { Fd, LoadedFd } from '../../src/sys/fd.js';

describe('sys errors', () => {
  test('BpfError keeps errno name, number and command', () => {
    const e = new BpfError('BPF_MAP_CREATE', 22);
    assert.equal(e.code, 'EINVAL');
    assert.equal(e.errno, 22);
    assert.equal(e.command, 'BPF_MAP_CREATE');
    assert.equal(e.message, 'BPF_MAP_CREATE: EINVAL');
    assert.ok(BpfError.is(e, 'EINVAL'));
    assert.ok(!BpfError.is(e, 'EPERM'));
    assert.equal(errnoName(Errno.EOPNOTSUPP), 'EOPNOTSUPP');
    assert.equal(errnoName(524), 'ENOTSUPP');
    assert.equal(errnoName(4000), 'E4000');
  });

  test('VerifierError: whole log kept, message = last 3 lines + lines omitted', () => {
    const log = ['0: R1=ctx() R10=fp0', '0: (95) exit', 'R0 !read_ok', 'processed 1 insns', 'extra', ''].join(
      '\n',
    );
    const e = new VerifierError('BPF_PROG_LOAD', 13, log);
    assert.ok(e instanceof BpfError);
    assert.equal(e.code, 'EACCES');
    assert.equal(e.log, log);
    assert.equal(e.lines.length, 5);
    assert.equal(e.message, 'BPF_PROG_LOAD: EACCES: R0 !read_ok\nprocessed 1 insns\nextra (2 lines omitted)');
    const one = new VerifierError('BPF_BTF_LOAD', 22, 'bad\n', true);
    assert.equal(one.message, 'BPF_BTF_LOAD: EINVAL: bad (log truncated)');
    assert.equal(new VerifierError('BPF_PROG_LOAD', 1, '').message, 'BPF_PROG_LOAD: EPERM');
  });

  test('Fd: close once, dispose, release, closed fd refuses use', () => {
    const closed: number[] = [];
    const closer = (n: number) => closed.push(n);
    {
      using a = new Fd(5, 'map', closer);
      assert.equal(a.fd, 5);
      assert.equal(String(a), 'map fd 5');
    }
    assert.deepEqual(closed, [5]);
    const b = new Fd(6, 'prog', closer);
    b.close();
    b.close();
    assert.deepEqual(closed, [5, 6]);
    assert.throws(() => b.fd, TypeError);
    const c = new Fd(7, 'btf', closer);
    assert.equal(c.release(), 7);
    c.close();
    assert.deepEqual(closed, [5, 6]);
    const d = new LoadedFd(8, 'prog', closer, 'log text', 9);
    assert.equal(d.log, 'log text');
    assert.equal(d.logTrueSize, 9);
    d.close();
    assert.throws(() => new Fd(-1, 'map', closer), RangeError);
  });
});
