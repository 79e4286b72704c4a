/**
 * Sockets, for end-to-end checks of socket filters: a datagram socketpair and `SO_ATTACH_BPF`.
 *
 * @module
 */

import { BpfError } from '../errors.js';
import { Fd } from '../fd.js';
import { ffi } from './ffi.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

/** A connected pair of Unix datagram sockets. */
export function socketPair(): [Fd, Fd] {
  const f = ffi();
  const sv = new Int32Array(2);
  if (f.socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) !== 0) throw new BpfError('socketpair', f.errno());
  const closer = (n: number) => {
    f.close(n);
  };
  return [new Fd(sv[0]!, 'obj', closer), new Fd(sv[1]!, 'obj', closer)];
}

/** `setsockopt(SO_ATTACH_BPF)`: attaches a socket filter program to a socket. */
export function attachSocketFilter(sockFd: number, progFd: number): void {
  const f = ffi();
  const v = new Uint8Array(new Int32Array([progFd]).buffer);
  if (f.setsockopt(sockFd, SOL_SOCKET, SO_ATTACH_BPF, v, 4) !== 0) {
    throw new BpfError('setsockopt(SO_ATTACH_BPF)', f.errno());
  }
}

/** `setsockopt(SO_DETACH_BPF)`. */
export function detachSocketFilter(sockFd: number): void {
  const f = ffi();
  const v = new Uint8Array(4);
  if (f.setsockopt(sockFd, SOL_SOCKET, SO_DETACH_BPF, v, 4) !== 0) {
    throw new BpfError('setsockopt(SO_DETACH_BPF)', f.errno());
  }
}

/** Sends one datagram; returns the bytes sent. */
export function send(sockFd: number, data: Uint8Array): number {
  const f = ffi();
  const r = f.send(sockFd, data, data.length, 0);
  if (r < 0) throw new BpfError('send', f.errno());
  return r;
}

/** Receives one datagram without blocking: its bytes (truncated to `max`), or undefined if none is queued. */
export function recv(sockFd: number, max = 65536): Uint8Array | undefined {
  const f = ffi();
  const buf = new Uint8Array(max);
  const r = f.recv(sockFd, buf, max, MSG_DONTWAIT);
  if (r >= 0) return buf.slice(0, r);
  const e = f.errno();
  if (e === EAGAIN) return undefined;
  throw new BpfError('recv', e);
}
