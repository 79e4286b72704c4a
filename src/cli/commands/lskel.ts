/**
 * `tsbpf lskel run|verify|attack FILE`: load a light skeleton, check one offline, or play a
 * hostile host against a signed one.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseObject } from '../../elf/object.js';
import { mapContentHash, progHash } from '../../hash/index.js';
import { decode } from '../../isa/codec.js';
import { LD_IMM64 } from '../../isa/opcodes.js';
import {
  ATTACKS,
  type AttackKind,
  generateLightSkeleton,
  type LightSkeleton,
  loadAndRun,
  lskelFromJson,
  pemOrDer,
  runAttack,
  signedContent,
  signLightSkeleton,
  throwawayIdentity,
} from '../../lskel/index.js';
import { Machine } from '../../machine/machine.js';
import { MachineKeyrings, parseCertificate, verifySignature } from '../../machine/signature/index.js';
import type { Backend } from '../../sys/backend.js';
import { kernelBackend } from '../../sys/kernel/backend.js';
import { KeySpec } from '../../uapi/constants.js';
import { toHex } from '../../util/hex.js';
import { choice, intOption, printJson, readInput, readText, UsageError } from '../common.js';

const BACKENDS = ['machine', 'kernel'] as const;

function readSkeleton(file: string): LightSkeleton {
  return lskelFromJson(readText(file), file);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** A backend, and on the machine a keyring holding exactly the trusted certificates. */
const PROFILES = ['6.18', 'kfunc', 'load-time'] as const;

/** Machine profile: Linux 6.18, or with the kfunc (May 2026) / load-time (July 2026) proposals. */
function machineProfile(name: string | undefined): Record<string, boolean> {
  const p = choice('--machine-profile', name ?? '6.18', PROFILES);
  if (p === 'kfunc') return { kfuncMetadata: true };
  if (p === 'load-time') return { loadTimeSignatures: true, strictExclusiveFdArray: true };
  return {};
}

function backendFor(
  name: string,
  trust: string[],
  profile?: string,
): { backend: Backend; keyringId: number; empty: () => number } {
  const which = choice('--backend', name, BACKENDS);
  if (which === 'kernel') {
    return {
      backend: kernelBackend(),
      keyringId: KeySpec.SESSION_KEYRING,
      empty: () => KeySpec.SESSION_KEYRING,
    };
  }
  const kr = new MachineKeyrings();
  for (const t of trust) kr.addCertificate(pemOrDer(readInput(t), 'CERTIFICATE', t), KeySpec.SESSION_KEYRING);
  return {
    backend: new Machine({ keyrings: kr, profile: machineProfile(profile) }),
    keyringId: KeySpec.SESSION_KEYRING,
    empty: () => kr.createKeyring('tsbpf-untrusted', KeySpec.USER_KEYRING),
  };
}

/** Slots where the loader embeds `hash` in four consecutive ld_imm64 immediates, or undefined. */
function embeddedHash(insns: Uint8Array, hash: Uint8Array): number | undefined {
  const want: bigint[] = [];
  const dv = new DataView(hash.buffer, hash.byteOffset, 32);
  for (let i = 0; i < 4; i++) want.push(dv.getBigUint64(8 * i, true));
  const list = decode(insns);
  let slot = 0;
  let k = 0;
  let first = -1;
  for (const x of list) {
    if (x.code === LD_IMM64 && x.src === 0) {
      const v = (BigInt(x.imm2 ?? 0) << 32n) | BigInt(x.imm >>> 0);
      if (BigInt.asUintN(64, v) === want[k]) {
        if (k === 0) first = slot;
        k++;
        if (k === 4) return first;
      }
    }
    slot += x.code === LD_IMM64 ? 2 : 1;
  }
  return undefined;
}

/** The committed fixture the demo uses (relative to this module in src/ and in dist/). */
export const DEMO_OBJECT = new URL('../../../test/fixtures/globals.bpfel.o', import.meta.url);

/**
 * The signed light-skeleton chain end to end on the built-in machine, as text lines: take a
 * committed fixture, generate a signed light skeleton with a throwaway key, load it with the
 * key's certificate in the session keyring, run one of its programs, then replay attacks 1-4
 * and show each refusal. (`tsbpf lskel demo`; meant for `npm start`.)
 */
export function lskelDemo(objectBytes: Uint8Array = new Uint8Array(readFileSync(DEMO_OBJECT))): string[] {
  const out: string[] = [];
  const spec = parseObject(objectBytes);
  const id = throwawayIdentity('tsbpf demo signer');
  const cert = parseCertificate(id.certificate);
  const l = signLightSkeleton(generateLightSkeleton(spec, { name: 'globals', signed: true }), id.signer);
  out.push(
    `1. object: ${spec.programs.length} program(s) (${spec.programs.map((p) => p.name).join(', ')}), ${spec.maps.length} map(s)`,
    `2. signed light skeleton: loader ${l.insns.length / 8} insns (hash ${toHex(l.exclProgHash).slice(0, 16)}…), blob ${l.data.length} bytes, ` +
      `CMS ${l.signature!.length} bytes by '${cert.subject}' (key id ${toHex(cert.keyId).slice(0, 16)}…), inline scheme`,
  );
  const kr = new MachineKeyrings();
  kr.addCertificate(id.certificate, KeySpec.SESSION_KEYRING);
  const m = new Machine({ keyrings: kr });
  const c = loadAndRun(m, l);
  try {
    const prog = c.programs.get(spec.programs[0]!.name)!;
    const r = m.progTestRun({ progFd: prog.fd, dataIn: new Uint8Array(64), repeat: 3 });
    const maps = [...c.maps.keys()].join(', ');
    out.push(
      `3. loaded on the machine: signature ${c.signature}; maps ${maps}; ran '${spec.programs[0]!.name}' 3 times: r0 = ${r.retval}`,
    );
  } finally {
    c.close();
  }
  const other = signLightSkeleton(l, throwawayIdentity('someone else').signer);
  out.push('4. a hostile host tries:');
  for (const kind of ['omit-exclusive', 'tamper-data', 'tamper-insns', 'wrong-key'] as const) {
    const r = runAttack(m, l, kind, {}, other);
    out.push(`   ${kind.padEnd(15)} ${r.outcome}: ${r.why}`);
  }
  return out;
}

/** Registers `lskel run|verify|attack|demo`. */
export function registerLskel(program: Command): void {
  const lskel = program.command('lskel').description('load, verify and attack light skeletons');

  lskel
    .command('run')
    .description('load a light skeleton and list what it created')
    .argument('<file>', 'skeleton (JSON from `tsbpf gen skeleton --format json`)')
    .option('--backend <name>', 'machine or kernel', 'machine')
    .option('--trust <cert>', 'certificate to put in the keyring used (repeatable; machine)', collect, [])
    .option('--max-entries <name=n>', 'host override of a map size (repeatable)', collect, [])
    .option('--machine-profile <p>', 'machine: 6.18 (default), kfunc or load-time (the proposed schemes)')
    .option('--json', 'print JSON')
    .action(
      (
        file: string,
        o: {
          backend: string;
          trust: string[];
          maxEntries: string[];
          json?: boolean;
          machineProfile?: string;
        },
      ) => {
        const l = readSkeleton(file);
        const { backend, keyringId } = backendFor(o.backend, o.trust, o.machineProfile);
        const maxEntries: Record<string, number> = {};
        for (const kv of o.maxEntries) {
          const i = kv.lastIndexOf('=');
          if (i <= 0) throw new UsageError(`--max-entries wants name=n, not '${kv}'`);
          maxEntries[kv.slice(0, i)] = intOption('--max-entries', kv.slice(i + 1));
        }
        const c = loadAndRun(backend, l, {
          keyringId,
          maxEntries,
          warn: (m) => process.stderr.write(`warning: ${m}\n`),
        });
        try {
          const maps = [...c.maps].map(([name, fd]) => {
            const i = backend.objGetInfoByFd(fd.fd, { kind: 'map' });
            return { name, id: i.id, type: i.type, maxEntries: i.maxEntries };
          });
          const progs = [...c.programs].map(([name, fd]) => {
            const i = backend.objGetInfoByFd(fd.fd, { kind: 'prog' });
            return { name, id: i.id, type: i.type, tag: toHex(i.tag) };
          });
          if (o.json) printJson({ signature: c.signature, warnings: c.warnings, maps, programs: progs });
          else {
            process.stdout.write(`signature: ${c.signature}\n`);
            for (const m of maps)
              process.stdout.write(`map  ${m.name} id ${m.id} max_entries ${m.maxEntries}\n`);
            for (const p of progs) process.stdout.write(`prog ${p.name} id ${p.id} tag ${p.tag}\n`);
          }
        } finally {
          c.close();
        }
      },
    );

  lskel
    .command('verify')
    .description('check a skeleton offline: signature, bound metadata, exclusivity hash')
    .argument('<file>', 'skeleton (JSON)')
    .requiredOption('--cert <cert>', 'certificate of the expected signer (PEM or DER)')
    .action((file: string, o: { cert: string }) => {
      const l = readSkeleton(file);
      const cert = parseCertificate(pemOrDer(readInput(o.cert), 'CERTIFICATE', o.cert), o.cert);
      const out: string[] = [];
      let ok = true;
      const check = (good: boolean, text: string): void => {
        out.push(`${good ? 'ok  ' : 'FAIL'} ${text}`);
        if (!good) ok = false;
      };
      const loaderHash = progHash(l.insns);
      check(
        toHex(loaderHash) === toHex(l.exclProgHash),
        `loader: ${l.insns.length / 8} instructions, program hash ${toHex(loaderHash)} = excl_prog_hash of the metadata map`,
      );
      if (!l.signed || l.signature === undefined) {
        check(false, 'the skeleton is not signed');
      } else {
        const content = signedContent(l);
        const v = verifySignature(content, l.signature, [cert]);
        check(
          v.ok,
          v.ok
            ? `signed: the CMS signature covers the loader's ${l.insns.length} instruction bytes${l.scheme === 'load-time' ? ` and the ${l.data.length}-byte metadata blob (load-time scheme)` : ''}; signer '${cert.subject}' (key id ${toHex(cert.keyId)})`
            : `signature: ${v.reason}: ${v.message}`,
        );
      }
      const mh = mapContentHash(l.data, l.data.length, 1);
      check(
        toHex(mh) === toHex(l.metadataHash),
        `metadata: ${l.data.length} bytes, map content hash ${toHex(mh)}`,
      );
      if (l.scheme === 'inline' || l.scheme === 'kfunc') {
        const at = embeddedHash(l.insns, mh);
        check(
          at !== undefined,
          at !== undefined
            ? `bound (${l.scheme} scheme): the metadata hash is embedded in the signed loader at slots ${at}..${at + 7}` +
                (l.scheme === 'kfunc'
                  ? ' and checked by bpf_loader_verify_metadata (declared in the signed prog BTF)'
                  : '')
            : `${l.scheme} scheme: the metadata hash is not embedded in the loader`,
        );
      } else if (l.scheme === 'load-time') {
        out.push('bound (load-time scheme): the signature itself covers the metadata blob');
      }
      out.push(
        `creates maps: ${l.maps.map((m) => `${m.name} (max_entries ${m.maxEntries})`).join(', ') || 'none'}`,
      );
      out.push(
        `loads programs: ${l.programs.map((p) => `${p.name} (${p.hash !== undefined ? `hash ${toHex(p.hash).slice(0, 16)}…` : 'hash depends on the running kernel'})`).join(', ') || 'none'}`,
      );
      // Names the loader resolves against the running kernel: the names are in the bound blob, the
      // kernel supplies the ids and addresses. The list comes from the skeleton's step list, which
      // the signature does not cover (it is for messages).
      const resolved = (l.steps ?? []).filter((x) =>
        /^(btf_find_by_name_kind|kallsyms_lookup_name)\(/.test(x),
      );
      if (resolved.length > 0)
        out.push(
          `resolved at run time by the running kernel (names in the bound blob, ids/addresses from the kernel; list from the unsigned step list): ${resolved.join(', ')}`,
        );
      process.stdout.write(`${out.join('\n')}\n`);
      if (!ok) process.exitCode = 1;
    });

  lskel
    .command('demo')
    .description('sign, load and attack a light skeleton on the built-in machine')
    .option('--object <file>', 'BPF object (default: the committed globals fixture)')
    .action((o: { object?: string }) => {
      const lines = lskelDemo(o.object ? readInput(o.object) : undefined);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  lskel
    .command('attack')
    .description(`play a hostile host against a signed skeleton (${ATTACKS.join(', ')})`)
    .argument('<file>', 'signed skeleton (JSON)')
    .requiredOption('--kind <kind>', ATTACKS.join(', '))
    .option('--backend <name>', 'machine or kernel', 'machine')
    .option('--trust <cert>', 'certificate the honest host trusts (repeatable; machine)', collect, [])
    .option('--machine-profile <p>', 'machine: 6.18 (default), kfunc or load-time (the proposed schemes)')
    .action(
      (file: string, o: { kind: string; backend: string; trust: string[]; machineProfile?: string }) => {
        const kind = choice('--kind', o.kind, ATTACKS) as AttackKind;
        const l = readSkeleton(file);
        if (!l.signed) throw new UsageError('the attack lab needs a signed skeleton');
        const { backend, keyringId, empty } = backendFor(o.backend, o.trust, o.machineProfile);
        const r = runAttack(
          backend,
          l,
          kind,
          { keyringId },
          undefined,
          kind === 'wrong-key' ? empty() : undefined,
        );
        process.stdout.write(
          `${r.outcome === 'not-enforceable' ? 'not enforceable' : r.outcome}: ${r.why}\n`,
        );
        if (r.outcome === 'succeeded') process.exitCode = 1;
      },
    );
}
