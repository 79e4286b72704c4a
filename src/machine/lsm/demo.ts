/**
 * The policy step of the demo: activate a signed-only IPE policy on a machine and show an unsigned
 * load being denied, with its audit record.
 *
 * @module
 */

import { encode } from '../../isa/codec.js';
import type { AuditRecord } from '../../policy/index.js';
import { BpfError } from '../../sys/errors.js';
import { ProgType } from '../../uapi/constants.js';
import { Machine } from '../machine.js';

/**
 * A signed-only policy for BPF program loads: user space loads only signed programs (`OK`: the
 * signature verified, inline and kfunc schemes; `METADATA_VERIFIED`: load-time scheme or after the
 * kfunc), programs loaded by a running (signed) loader through `bpf_sys_bpf` are allowed, and
 * every other operation is left alone. Line 3 is the default that denies.
 */
export const SIGNED_ONLY_POLICY = `policy_name=signed_only policy_version=1.0.0
DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY
op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
`;

/** What {@link demoSignedOnlyPolicy} shows. */
export interface SignedOnlyDemo {
  /** The machine the policy is active on. */
  machine: Machine;
  /** The denial of the unsigned load (`code` `'EACCES'`). */
  error: BpfError;
  /** The IPE access record of the denial (`line`, `rule`, `text`). */
  audit: AuditRecord;
  /** The demo as text lines, for `npm start`. */
  lines: string[];
}

/**
 * Activates {@link SIGNED_ONLY_POLICY} on `machine` (default: a new one), loads an unsigned
 * socket filter (`r0 = 0; exit`) from user space, and returns the denial with its audit record.
 *
 * @throws Error - if the load is not denied (the policy is not enforced)
 */
export function demoSignedOnlyPolicy(machine: Machine = new Machine({ comm: 'tsbpf-demo' })): SignedOnlyDemo {
  const policy = machine.lsm.install(SIGNED_ONLY_POLICY);
  const lines = [
    `policy '${policy.name}' active: ${SIGNED_ONLY_POLICY.trim().split('\n').slice(1).join(' | ')}`,
  ];
  for (const a of machine.auditLog().slice(-2)) lines.push(`  audit type=${a.type} ${a.text}`);
  const insns = encode([
    { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
  let error: BpfError | undefined;
  try {
    machine
      .progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL', progName: 'unsigned_prog' })
      .close();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    error = e;
  }
  if (error === undefined || error.code !== 'EACCES') {
    throw new Error(`the unsigned load was not denied by the policy${error ? `: ${error.message}` : ''}`);
  }
  const entry = machine
    .auditLog()
    .filter((a) => a.type === 1420)
    .at(-1);
  if (entry?.access === undefined) throw new Error('the denial left no audit record');
  lines.push(
    "unsigned load of 'unsigned_prog' from user space:",
    `  ${error.message}`,
    `  audit type=${entry.type} ${entry.text}`,
  );
  return { machine, error, audit: entry.access, lines };
}
