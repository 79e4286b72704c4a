/**
 * A small demonstration of the machine: load a program that counts its runs in an array map,
 * run it a few times with `BPF_PROG_TEST_RUN`, and read the map after each run.
 *
 * @module
 */

import { encode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { MapType, ProgFlag, ProgType } from '../uapi/constants.js';
import { Machine } from './machine.js';

/** One step of {@link demoMapCounter}. */
export interface DemoStep {
  /** Run number (1-based). */
  run: number;
  /** The program's return value. */
  retval: number;
  /** The counter read back from the map after the run. */
  counter: bigint;
}

/** The counting program for map fd `mapFd`: `counter[0] += 1; return counter[0]`. */
export function counterProgram(mapFd: number): Insn[] {
  return [
    { code: 0x62, dst: 10, src: 0, off: -4, imm: 0 }, // *(u32 *)(r10 - 4) = 0
    { code: 0xbf, dst: 2, src: 10, off: 0, imm: 0 }, // r2 = r10
    { code: 0x07, dst: 2, src: 0, off: 0, imm: -4 }, // r2 += -4
    { code: 0x18, dst: 1, src: 1, off: 0, imm: mapFd, imm2: 0 }, // r1 = map[fd]
    { code: 0x85, dst: 0, src: 0, off: 0, imm: 1 }, // call bpf_map_lookup_elem
    { code: 0x15, dst: 0, src: 0, off: 4, imm: 0 }, // if r0 == 0 goto out
    { code: 0x79, dst: 1, src: 0, off: 0, imm: 0 }, // r1 = *(u64 *)(r0 + 0)
    { code: 0x07, dst: 1, src: 0, off: 0, imm: 1 }, // r1 += 1
    { code: 0x7b, dst: 0, src: 1, off: 0, imm: 0 }, // *(u64 *)(r0 + 0) = r1
    { code: 0xbf, dst: 0, src: 1, off: 0, imm: 0 }, // r0 = r1
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }, // out: exit
  ];
}

/**
 * Creates a one-element array map on a fresh {@link Machine}, loads {@link counterProgram} as a
 * syscall program, runs it `runs` times and returns what the map holds after each run.
 */
export function demoMapCounter(runs = 3, machine: Machine = new Machine()): DemoStep[] {
  const map = machine.mapCreate({
    mapType: MapType.ARRAY,
    keySize: 4,
    valueSize: 8,
    maxEntries: 1,
    mapName: 'counter',
  });
  try {
    const prog = machine.progLoad({
      progType: ProgType.SYSCALL,
      insns: encode(counterProgram(map.fd)),
      license: 'GPL',
      progFlags: ProgFlag.SLEEPABLE,
      progName: 'count',
    });
    try {
      const key = new Uint8Array(4);
      const value = new Uint8Array(8);
      const steps: DemoStep[] = [];
      for (let run = 1; run <= runs; run++) {
        const r = machine.progTestRun({ progFd: prog.fd });
        machine.mapLookupElem(map.fd, key, value);
        steps.push({ run, retval: r.retval, counter: new DataView(value.buffer).getBigUint64(0, true) });
      }
      return steps;
    } finally {
      prog.close();
    }
  } finally {
    map.close();
  }
}
