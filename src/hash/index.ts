/**
 * The hashes the kernel computes over programs and maps.
 *
 * - {@link progHash}: the SHA-256 the kernel compares with a map's `excl_prog_hash`.
 * - {@link progTag}: `bpf_prog_info.tag`.
 * - {@link mapContentHash}: the SHA-256 `BPF_OBJ_GET_INFO_BY_FD` reports for a frozen array map.
 *
 * Pure and synchronous (SHA-256 from `@noble/hashes`).
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { encode } from '../isa/codec.js';
import type { Insn } from '../isa/insn.js';
import { LD_IMM64, Pseudo, SLOT_SIZE } from '../isa/opcodes.js';

/**
 * Instruction bytes as the kernel hashes them, from little-endian program bytes: a copy in which
 * both `imm` fields of every `ld_imm64` whose `src_reg` is `BPF_PSEUDO_MAP_FD` (1) or
 * `BPF_PSEUDO_MAP_VALUE` (2) are zero. The map fd and the value offset are thus left out of the
 * hash, so a program's hash does not depend on which fd numbers its maps got.
 *
 * Masking rules, established against Linux 6.18 (`test/kernel/hash.test.ts`):
 * - MAP_FD: first `imm` (the fd) zeroed; the second `imm` is zeroed too.
 * - MAP_VALUE: both halves zeroed, including the value offset in the second `imm`.
 * - MAP_IDX, MAP_IDX_VALUE: hashed as given (fd_array index and value offset count).
 * - BTF_ID, FUNC, plain 64-bit constants, every other instruction: hashed as given.
 * - The hash is over the instructions as passed to `BPF_PROG_LOAD`, before the verifier rewrites
 *   anything; `bpf_prog_info.tag` is its first 8 bytes ({@link progTag}).
 * - Caveat (6.18): with `fd_array_cnt`, exclusive maps listed in `fd_array` are checked before the
 *   digest is computed, i.e. against 32 zero bytes: such a load fails with EACCES whatever the
 *   program, and a map created with an all-zero `excl_prog_hash` accepts any program that way.
 */
export function hashableBytes(program: Uint8Array): Uint8Array {
  if (program.length % SLOT_SIZE !== 0) {
    throw new RangeError(`program length ${program.length} is not a multiple of ${SLOT_SIZE}`);
  }
  const out = program.slice();
  for (let p = 0; p < out.length; p += SLOT_SIZE) {
    if (out[p] !== LD_IMM64) continue;
    const src = out[p + 1]! >> 4;
    if ((src === Pseudo.MAP_FD || src === Pseudo.MAP_VALUE) && p + 2 * SLOT_SIZE <= out.length) {
      out.fill(0, p + 4, p + 8);
      out.fill(0, p + SLOT_SIZE + 4, p + 2 * SLOT_SIZE);
    }
    p += SLOT_SIZE;
  }
  return out;
}

function programBytes(program: Uint8Array | readonly Insn[]): Uint8Array {
  return program instanceof Uint8Array ? program : encode(program);
}

/**
 * The program hash: SHA-256 over {@link hashableBytes} of the little-endian instructions, exactly
 * as passed to `BPF_PROG_LOAD` (before any relocation the kernel does). A map created with this
 * value as `excl_prog_hash` accepts the program.
 */
export function progHash(program: Uint8Array | readonly Insn[]): Uint8Array {
  return sha256(hashableBytes(programBytes(program)));
}

/**
 * The program tag of `bpf_prog_info.tag`: the first 8 bytes of {@link progHash}. (Linux 6.18
 * computes the tag with SHA-256 over the same masked instructions; earlier kernels used SHA-1.)
 */
export function progTag(program: Uint8Array | readonly Insn[]): Uint8Array {
  return progHash(program).slice(0, 8);
}

/**
 * The content hash of a frozen array map, as `BPF_OBJ_GET_INFO_BY_FD` reports it in
 * `bpf_map_info.hash`: SHA-256 over the values in index order, each zero-padded to
 * `round_up(valueSize, 8)` bytes.
 *
 * @param values - the map's values, concatenated; either `maxEntries * valueSize` bytes (packed)
 *   or `maxEntries * round_up(valueSize, 8)` bytes (already padded, as the kernel stores them)
 * @param valueSize - the map's value_size
 * @param maxEntries - the map's max_entries
 */
export function mapContentHash(values: Uint8Array, valueSize: number, maxEntries: number): Uint8Array {
  if (!Number.isInteger(valueSize) || valueSize <= 0)
    throw new RangeError(`valueSize ${valueSize} must be positive`);
  if (!Number.isInteger(maxEntries) || maxEntries < 0)
    throw new RangeError(`maxEntries ${maxEntries} is invalid`);
  const stride = (valueSize + 7) & ~7;
  if (values.length === maxEntries * stride) return sha256(values);
  if (values.length !== maxEntries * valueSize) {
    throw new RangeError(
      `values are ${values.length} bytes; expected ${maxEntries * valueSize} (packed) or ${maxEntries * stride} (padded)`,
    );
  }
  const padded = new Uint8Array(maxEntries * stride);
  for (let i = 0; i < maxEntries; i++)
    padded.set(values.subarray(i * valueSize, (i + 1) * valueSize), i * stride);
  return sha256(padded);
}
