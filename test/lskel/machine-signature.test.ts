import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signerFromFiles } from '../../src/cli/signer.js';
import { exit, mov64Imm, R0 } from '../../src/isa/builder.js';
import { encode } from '../../src/isa/codec.js';
import { pemOrDer, signCms } from '../../src/lskel/cms.js';
import { Machine } from '../../src/machine/machine.js';
import { MachineKeyrings, parseCertificate, verifySignature } from '../../src/machine/signature/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { KeySpec, ProgType } from '../../src/uapi/constants.js';
import { testKey } from './keys.js';

const insns = encode([mov64Imm(R0, 7), exit()]);

function errnoOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('machine: signed BPF_PROG_LOAD', () => {
  const a = testKey('p256');
  const b = testKey('rsa2048');
  const certA = pemOrDer(a.cert, 'CERTIFICATE');
  const certB = pemOrDer(b.cert, 'CERTIFICATE');
  const sigA = signCms(insns, signerFromFiles(a.key, a.cert));
  const sigB = signCms(insns, signerFromFiles(b.key, b.cert));

  it('certificates parse with key id and public key', () => {
    const c = parseCertificate(certB);
    assert.equal(c.publicKey.kind, 'rsa');
    assert.equal(c.keyId.length, 20);
    assert.match(c.description, /tsbpf test/);
    assert.equal(verifySignature(insns, sigB, [c]).ok, true);
  });

  it('session keyring: OK verdict; unknown key ENOKEY; changed insns EKEYREJECTED; unsigned UNSIGNED', () => {
    const kr = new MachineKeyrings();
    const m = new Machine({ keyrings: kr });
    kr.addCertificate(certA, KeySpec.SESSION_KEYRING);
    const base = { progType: ProgType.SOCKET_FILTER, insns, license: 'GPL' };
    const fd = m.progLoad({ ...base, signature: sigA, keyringId: KeySpec.SESSION_KEYRING });
    const v = m.progOf(fd.fd)!.signature as { state: string; keyring: string; signer: string };
    assert.equal(v.state, 'OK');
    assert.ok(v.keyring === 'session' && v.signer.startsWith('tsbpf test'));
    assert.equal(
      errnoOf(() => m.progLoad({ ...base, signature: sigB, keyringId: KeySpec.SESSION_KEYRING })),
      'ENOKEY',
    );
    const other = insns.slice();
    other[4] = 8;
    assert.equal(
      errnoOf(() =>
        m.progLoad({ ...base, insns: other, signature: sigA, keyringId: KeySpec.SESSION_KEYRING }),
      ),
      'EKEYREJECTED',
    );
    assert.equal(
      errnoOf(() =>
        m.progLoad({ ...base, signature: new Uint8Array([0x30, 0x00]), keyringId: KeySpec.SESSION_KEYRING }),
      ),
      'EBADMSG',
    );
    const u = m.progLoad(base);
    assert.deepEqual(m.progOf(u.fd)!.signature, { state: 'UNSIGNED' });
  });

  it('system keyrings: builtin (0), secondary (1) trusts builtin, platform (2); unknown keyring EINVAL', () => {
    const kr = new MachineKeyrings();
    const m = new Machine({ keyrings: kr });
    const base = { progType: ProgType.SOCKET_FILTER, insns, license: 'GPL' };
    assert.equal(
      errnoOf(() => m.progLoad({ ...base, signature: sigA, keyringId: 0 })),
      'ENOKEY',
    );
    kr.addSystemCertificate('builtin', certA);
    kr.addSystemCertificate('platform', certB);
    const f0 = m.progLoad({ ...base, signature: sigA, keyringId: 0 });
    assert.equal((m.progOf(f0.fd)!.signature as { keyring: string }).keyring, 'builtin');
    const f1 = m.progLoad({ ...base, signature: sigA, keyringId: 1 });
    assert.equal((m.progOf(f1.fd)!.signature as { keyring: string }).keyring, 'secondary');
    assert.equal(
      errnoOf(() => m.progLoad({ ...base, signature: sigA, keyringId: 2 })),
      'ENOKEY',
    );
    const f2 = m.progLoad({ ...base, signature: sigB, keyringId: 2 });
    assert.equal((m.progOf(f2.fd)!.signature as { keyring: string }).keyring, 'platform');
    assert.equal(
      errnoOf(() => m.progLoad({ ...base, signature: sigA, keyringId: 12345 })),
      'EINVAL',
    );
  });

  it('keyring calls: search, describe, unlink, malformed certificate EBADMSG', () => {
    const kr = new MachineKeyrings();
    const s = kr.addCertificate(certA, KeySpec.USER_KEYRING);
    const desc = kr.describe(s).split(';').slice(4).join(';');
    assert.equal(kr.search(KeySpec.USER_KEYRING, 'asymmetric', desc), s);
    kr.unlink(s, KeySpec.USER_KEYRING);
    assert.equal(kr.search(KeySpec.USER_KEYRING, 'asymmetric', desc), undefined);
    assert.equal(
      errnoOf(() => kr.addCertificate(new Uint8Array([1, 2, 3]), KeySpec.USER_KEYRING)),
      'EBADMSG',
    );
  });
});
