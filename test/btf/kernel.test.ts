// The kernel as the oracle for BTF: what the builder makes, BPF_BTF_LOAD accepts; what parse()
// or validate() reject as malformed, BPF_BTF_LOAD rejects too (loops: EEXIST, the rest: EINVAL).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Btf } from '../../src/btf/index.js';
import { FormatError } from '../../src/util/errors.js';
import { kernel, skip } from '../kernel/kernel.js';
import { builtSample } from './fuzz-lib.js';

/** 'ok' when BPF_BTF_LOAD accepts the bytes, else the errno name it failed with. */
function kernelVerdict(bytes: Uint8Array): string {
  try {
    kernel().btfLoad({ btf: bytes }).close();
    return 'ok';
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string') return code;
    throw e;
  }
}

/** Small BTFs that are well-formed record by record but wrong as a graph. */
const graphCases: Array<[string, string, (b: Btf) => void]> = [
  [
    'typedef loop',
    'EEXIST',
    (b) => {
      const id = b.nextId;
      b.addTypedef('a', id + 1);
      b.addTypedef('b', id);
    },
  ],
  [
    'pointer loop',
    'EEXIST',
    (b) => {
      const id = b.nextId;
      b.addPtr(id + 1);
      b.addPtr(id);
    },
  ],
  [
    'struct containing itself',
    'EEXIST',
    (b) => {
      const int = b.addInt('int', 4, { encoding: 1 });
      const id = b.nextId;
      b.addStruct('s', 8, [
        { name: 'x', type: int, bitOffset: 0 },
        { name: 'me', type: id, bitOffset: 32 },
      ]);
    },
  ],
  [
    'member past the end',
    'EINVAL',
    (b) => {
      const int = b.addInt('int', 4, { encoding: 1 });
      b.addStruct('s', 4, [{ name: 'x', type: int, bitOffset: 32 }]);
    },
  ],
  [
    'FUNC of an INT',
    'EINVAL',
    (b) => {
      const int = b.addInt('int', 4, { encoding: 1 });
      b.addFunc('f', int, 'global');
    },
  ],
  [
    'DECL_TAG component out of range',
    'EINVAL',
    (b) => {
      const int = b.addInt('int', 4, { encoding: 1 });
      const s = b.addStruct('s', 4, [{ name: 'x', type: int, bitOffset: 0 }]);
      b.addDeclTag('tag', s, 3);
    },
  ],
  [
    'DATASEC of an INT',
    'EINVAL',
    (b) => {
      const int = b.addInt('int', 4, { encoding: 1 });
      b.addDatasec('.data', 4, [{ type: int, offset: 0, size: 4 }]);
    },
  ],
];

describe('btf against the kernel (BPF_BTF_LOAD)', { skip }, () => {
  it('accepts the builder output with every kind (ENUM64, signed enums, tags with kind_flag...)', () => {
    const bytes = builtSample('little');
    Btf.parse(bytes).validate();
    assert.equal(kernelVerdict(bytes), 'ok');
  });
  for (const [name, errno, make] of graphCases) {
    it(`${name}: validate() reports a FormatError, the kernel says ${errno}`, () => {
      const b = new Btf();
      make(b);
      const bytes = b.serialize();
      const parsed = Btf.parse(bytes);
      assert.throws(() => parsed.validate(), FormatError);
      assert.equal(kernelVerdict(bytes), errno);
    });
  }
  it('malformed records: parse() reports a FormatError, the kernel says EINVAL', () => {
    const good = builtSample('little');
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const edits: Array<[string, (b: Uint8Array) => void]> = [
      ['INT bits past its size', (b) => dv(b).setUint32(24 + 12, 0x01000021, true)],
      ['unknown kind', (b) => dv(b).setUint32(24 + 4, 0x15000000, true)],
      ['name offset past the strings', (b) => dv(b).setUint32(24, 0xfffff, true)],
      ['type section cut short', (b) => dv(b).setUint32(12, dv(b).getUint32(12, true) - 4, true)],
      [
        'string table not NUL-terminated',
        (b) => {
          b[b.length - 1] = 0x41;
        },
      ],
      [
        'bad magic',
        (b) => {
          b[0] = 0;
        },
      ],
    ];
    for (const [what, edit] of edits) {
      const bytes = good.slice();
      edit(bytes);
      assert.throws(() => Btf.parse(bytes), FormatError, what);
      assert.equal(kernelVerdict(bytes), 'EINVAL', what);
    }
  });
});
