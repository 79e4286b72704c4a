/**
 * What a backend's `BPF_BTF_LOAD` accepts, probed once per backend by loading tiny BTF blobs
 * (cached, like libbpf's feature probes). The loader sanitizes the object's BTF accordingly.
 *
 * @module
 */

import { Btf } from '../btf/index.js';
import type { Backend } from '../sys/backend.js';
import type { BtfFeatures } from './btfraw.js';

const cache = new WeakMap<Backend, BtfFeatures>();

function accepts(backend: Backend, build: (b: Btf, int: number) => void): boolean {
  const b = new Btf({ endian: 'little' });
  const int = b.addInt('int', 4, { encoding: 1 });
  build(b, int);
  try {
    backend.btfLoad({ btf: b.serialize() }).close();
    return true;
  } catch {
    return false;
  }
}

/** Probes (once per backend) which BTF kinds the backend accepts. */
export function probeBtfFeatures(backend: Backend): BtfFeatures {
  const known = cache.get(backend);
  if (known !== undefined) return known;
  const btf = accepts(backend, () => {});
  const f: BtfFeatures = btf
    ? {
        btf,
        func: accepts(backend, (b, int) => b.addFunc('f', b.addFuncProto(int, []), 'static')),
        funcGlobal: accepts(backend, (b, int) => b.addFunc('f', b.addFuncProto(int, []), 'global')),
        datasec: accepts(backend, (b, int) => {
          const v = b.addVar('v', int, 'static');
          b.addDatasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
        }),
        float: accepts(backend, (b) => b.addFloat('float', 4)),
        declTag: accepts(backend, (b, int) => {
          const v = b.addVar('v', int, 'static');
          b.addDeclTag('tag', v);
        }),
        typeTag: accepts(backend, (b, int) => b.addPtr(b.addTypeTag('tag', int))),
        enum64: accepts(backend, (b) => b.addEnum64('e', 8, [{ name: 'A', value: 1n }])),
      }
    : {
        btf,
        func: false,
        funcGlobal: false,
        datasec: false,
        float: false,
        declTag: false,
        typeTag: false,
        enum64: false,
      };
  cache.set(backend, f);
  return f;
}
