/**
 * A text listing of every type, in the format of `bpftool btf dump file F format raw`.
 *
 * @module
 */

import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

function q(name: string): string {
  return `'${name === '' ? '(anon)' : name}'`;
}

/** One type as bpftool's raw dump prints it (first line `[id] KIND 'name' ...`, members indented). */
export function formatRawType(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] ${t.kind} ${q(t.name)}`;
  switch (t.kind) {
    case 'INT': {
      const enc = t.signed ? 'SIGNED' : t.char ? 'CHAR' : t.bool ? 'BOOL' : '(none)';
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${enc}`;
    }
    case 'PTR':
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return `${head} type_id=${t.type}`;
    case 'ARRAY':
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'STRUCT':
    case 'UNION': {
      const lines = [`${head} size=${t.size} vlen=${t.members.length}`];
      for (const m of t.members) {
        const bf = m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : '';
        lines.push(`\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${bf}`);
      }
      return lines.join('\n');
    }
    case 'ENUM': {
      const lines = [
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
      ];
      for (const v of t.values) lines.push(`\t${q(v.name)} val=${v.value}`);
      return lines.join('\n');
    }
    case 'ENUM64': {
      const lines = [
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
      ];
      for (const v of t.values) lines.push(`\t${q(v.name)} val=${v.value}${t.signed ? 'LL' : 'ULL'}`);
      return lines.join('\n');
    }
    case 'FWD':
      return `${head} fwd_kind=${t.fwdKind}`;
    case 'FUNC':
      return `${head} type_id=${t.type} linkage=${t.linkage}`;
    case 'FUNC_PROTO': {
      const lines = [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`];
      for (const p of t.params) lines.push(`\t${q(p.name)} type_id=${p.type}`);
      return lines.join('\n');
    }
    case 'VAR':
      return `${head} type_id=${t.type}, linkage=${t.linkage}`;
    case 'DATASEC': {
      const lines = [`${head} size=${t.size} vlen=${t.vars.length}`];
      for (const v of t.vars) {
        let what = '';
        if (v.type > 0 && v.type < btf.typeCount) {
          const k = btf.type(v.type);
          what = ` (${k.kind} ${q(k.name)})`;
        }
        lines.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size}${what}`);
      }
      return lines.join('\n');
    }
    case 'FLOAT':
      return `${head} size=${t.size}`;
    case 'DECL_TAG':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/**
 * Every type defined in `btf` (not its base) in bpftool's raw format, one type per line (plus
 * indented member lines), ending with a newline.
 */
export function formatRaw(btf: Btf): string {
  const out: string[] = [];
  for (let id = btf.startId; id < btf.typeCount; id++) out.push(formatRawType(btf, btf.type(id)));
  return out.length ? `${out.join('\n')}\n` : '';
}
