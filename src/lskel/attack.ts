/**
 * The attack lab: plays a hostile host against a signed light skeleton and reports whether the
 * attack was refused (by the kernel/machine or by the loader), ignored (the signed values won),
 * or — which would be a security bug — succeeded.
 *
 * @module
 */

import { exit, ldMapFd, mov64Imm, R0, R1 } from '../isa/builder.js';
import { encode } from '../isa/codec.js';
import type { Backend } from '../sys/backend.js';
import { BpfError } from '../sys/errors.js';
import { MapType, ProgType } from '../uapi/constants.js';
import type { LightSkeleton } from './gen.js';
import { LoaderError, loadAndRun, type RunOptions } from './run.js';

/** The attacks of the lab. */
export const ATTACKS = [
  'omit-exclusive',
  'unfrozen-metadata',
  'tamper-data',
  'tamper-insns',
  'wrong-key',
  'share-metadata-map',
  'override-max-entries',
] as const;

/** One attack kind. */
export type AttackKind = (typeof ATTACKS)[number];

/** What came of an attack. */
export interface AttackOutcome {
  kind: AttackKind;
  outcome: 'refused' | 'ignored' | 'succeeded' | 'not-enforceable';
  why: string;
}

/** Byte of the loader that `tamper-insns` flips: the imm of its second instruction (`r7 = 0`). */
export const TAMPER_INSN_BYTE = 12;

function explain(e: unknown): string {
  if (e instanceof LoaderError) return e.message;
  if (e instanceof BpfError) return `${e.message}`.split('\n')[0] as string;
  throw e;
}

/**
 * Runs attack `kind` against `lskel` on `backend`. `run` holds the honest host's options (the
 * keyring). `wrongKeySkeleton` is the same skeleton signed by a key the keyring does not hold
 * (for `wrong-key`); or, instead, `untrustedKeyringId` names a keyring that does not hold the
 * signer's certificate.
 */
export function runAttack(
  backend: Backend,
  lskel: LightSkeleton,
  kind: AttackKind,
  run: RunOptions = {},
  wrongKeySkeleton?: LightSkeleton,
  untrustedKeyringId?: number,
): AttackOutcome {
  if (!lskel.signed) throw new TypeError('the attack lab needs a signed skeleton');
  const onKernel = backend.name === 'kernel';
  const attempt = (l: LightSkeleton, o: RunOptions): AttackOutcome | undefined => {
    try {
      loadAndRun(backend, l, { ...o, warn: undefined }).close();
      return undefined;
    } catch (e) {
      return { kind, outcome: 'refused', why: explain(e) };
    }
  };
  const succeeded = (why: string): AttackOutcome => ({ kind, outcome: 'succeeded', why });
  switch (kind) {
    case 'omit-exclusive':
      return (
        attempt(lskel, { ...run, hostile: { omitExclusive: true } }) ??
        succeeded('loader ran on a shared map')
      );
    case 'unfrozen-metadata':
      return (
        attempt(lskel, { ...run, hostile: { skipFreeze: true } }) ??
        succeeded('loader ran on an unfrozen map')
      );
    case 'tamper-data':
      return (
        attempt(lskel, { ...run, hostile: { tamperData: Math.floor(lskel.data.length / 2) } }) ??
        succeeded('loader ran on changed data')
      );
    case 'tamper-insns':
      return (
        attempt(lskel, { ...run, hostile: { tamperInsns: TAMPER_INSN_BYTE } }) ??
        succeeded('changed loader ran')
      );
    case 'wrong-key': {
      if (onKernel) return { kind, outcome: 'not-enforceable', why: 'this kernel cannot verify signatures' };
      if (wrongKeySkeleton !== undefined)
        return attempt(wrongKeySkeleton, run) ?? succeeded('a loader signed by an untrusted key ran');
      if (untrustedKeyringId !== undefined)
        return (
          attempt(lskel, { ...run, keyringId: untrustedKeyringId }) ??
          succeeded('the loader ran with a keyring that does not hold its signer')
        );
      throw new TypeError('wrong-key needs a skeleton signed by another key or a keyring without the signer');
    }
    case 'share-metadata-map': {
      const meta = backend.mapCreate({
        mapType: MapType.ARRAY,
        keySize: 4,
        valueSize: lskel.data.length,
        maxEntries: 1,
        exclProgHash: lskel.exclProgHash,
      });
      try {
        const other = encode([ldMapFd(R1, meta.fd), mov64Imm(R0, 0), exit()]);
        try {
          backend.progLoad({ progType: ProgType.SOCKET_FILTER, insns: other, license: 'GPL' }).close();
        } catch (e) {
          return { kind, outcome: 'refused', why: explain(e) };
        }
        return succeeded('another program loaded with the exclusive metadata map');
      } finally {
        meta.close();
      }
    }
    case 'override-max-entries': {
      // The host asks for twice the signed max_entries of one map and, where the skeleton has
      // global data, another initial value (every byte flipped): the signed values must win.
      const m = lskel.maps.find((x) => x.type !== MapType.RINGBUF) ?? lskel.maps[0];
      if (m === undefined) return { kind, outcome: 'not-enforceable', why: 'the object has no maps' };
      const d = lskel.maps.find((x) => x.initialValue !== undefined && x.valueOffset !== undefined);
      const c = loadAndRun(backend, lskel, {
        ...run,
        maxEntries: { [m.name]: m.maxEntries * 2 },
        initialValues: d !== undefined ? { [d.name]: d.initialValue!.map((b) => b ^ 0xff) } : undefined,
        warn: undefined,
      });
      try {
        const info = backend.objGetInfoByFd(c.maps.get(m.name)!.fd, { kind: 'map' });
        if (info.maxEntries !== m.maxEntries)
          return succeeded(`'${m.name}' was created with max_entries ${info.maxEntries}`);
        if (d !== undefined) {
          const v = new Uint8Array(d.valueSize);
          backend.mapLookupElem(c.maps.get(d.name)!.fd, new Uint8Array(4), v);
          if (v.some((b, i) => b !== d.initialValue![i]))
            return succeeded(`'${d.name}' holds the host's initial value, not the signed one`);
        }
        return {
          kind,
          outcome: 'ignored',
          why: `'${m.name}' has the signed max_entries ${m.maxEntries}${d !== undefined ? `, '${d.name}' the signed initial value` : ''}`,
        };
      } finally {
        c.close();
      }
    }
  }
}
