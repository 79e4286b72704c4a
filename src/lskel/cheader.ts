/**
 * The C header of a light skeleton, laid out as `bpftool gen skeleton -L [-S]` lays out its
 * own: `struct NAME` (loader ctx, map and program descriptors, links, pointers to the
 * memory-mapped global data), `NAME__open/load/open_and_load/attach/detach/destroy` over
 * libbpf's `skel_internal.h` (`bpf_load_and_run`), and static size assertions. The loader
 * instructions and data blob are tsbpf's; the context layout is the same as libbpf's, so the
 * header works with `skel_internal.h`. Signed skeletons also carry `opts.signature`,
 * `opts.excl_prog_hash` and `opts.keyring_id = skel->keyring_id`.
 *
 * Difference from libbpf's loader: initial values written through `skel->data` etc. before
 * `NAME__load` are not copied in (the loader uses the values in its blob).
 *
 * @module
 */

import type { Btf } from '../btf/btf.js';
import type { ObjectSpec } from '../elf/object.js';
import { AttachType, ProgType } from '../uapi/constants.js';
import type { LightSkeleton } from './gen.js';

const MMAPABLE = 1024;

/** bpftool's identifier for a map or section: leading dot dropped, other dots to `_`. */
export function cIdent(name: string): string {
  return name.replace(/^\./, '').replace(/[^A-Za-z0-9_]/g, '_');
}

/** A C string literal body (bpftool's style: `\0` for zero, `\xNN` otherwise, lines of at most 78). */
export function cBytes(b: Uint8Array): string {
  let out = '';
  let col = 0;
  for (const x of b) {
    const w = x === 0 ? 2 : 4;
    col += w;
    if (col > 78) {
      out += '\\\n';
      col = w;
    }
    out += x === 0 ? '\\0' : `\\x${x.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `type name` of a variable, without qualifiers, for the data-section structs. */
function declare(btf: Btf, id: number, name: string, depth = 0): string {
  if (depth > 32) return `void *${name}`;
  if (id === 0) return `void ${name}`;
  const t = btf.type(id);
  switch (t.kind) {
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return declare(btf, (t as { type: number }).type, name, depth + 1);
    case 'ARRAY': {
      const a = t as { type: number; nelems: number };
      return declare(btf, a.type, `${name}[${a.nelems}]`, depth + 1);
    }
    case 'PTR':
      return declare(btf, (t as { type: number }).type, `*${name}`, depth + 1);
    case 'STRUCT':
    case 'UNION':
      return `${t.kind === 'STRUCT' ? 'struct' : 'union'} ${t.name} ${name}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${t.name} ${name}`;
    default:
      return `${t.name} ${name}`;
  }
}

interface DataSection {
  ident: string;
  mapName: string;
  mmapSize: number;
  valueSize: number;
  readonly: boolean;
  initial: Uint8Array;
  vars: { decl: string; name: string; size: number }[];
}

function dataSections(spec: ObjectSpec, name: string): { lines: string[]; secs: DataSection[] } {
  const lines: string[] = [];
  const secs: DataSection[] = [];
  const btf = spec.btf?.btf;
  for (const m of spec.maps) {
    if (m.origin !== 'data' || !(m.flags & MMAPABLE) || m.btfId === undefined || btf === undefined) continue;
    const ident = cIdent(m.name);
    const ds = btf.type(m.btfId) as {
      kind: string;
      vars?: readonly { type: number; offset: number; size: number }[];
    };
    const vars: DataSection['vars'] = [];
    lines.push(`\tstruct ${name}__${ident} {`);
    let at = 0;
    let pad = 0;
    const sorted = [...(ds.vars ?? [])].sort((a, b) => a.offset - b.offset);
    for (const v of sorted) {
      const vt = btf.type(v.type) as { kind: string; name: string; type: number; linkage?: string };
      if (vt.kind !== 'VAR' || vt.linkage === 'static') continue; // static variables are not exposed
      const off = m.variables.find((x) => x.name === vt.name)?.offset ?? v.offset;
      if (off > at) lines.push(`\t\tchar __pad${pad++}[${off - at}];`);
      const decl = declare(btf, vt.type, vt.name);
      lines.push(`\t\t${decl};`);
      vars.push({ decl, name: vt.name, size: v.size });
      at = off + v.size;
    }
    lines.push(`\t} *${ident};`);
    secs.push({
      ident,
      mapName: m.name,
      mmapSize: Math.ceil(Math.max(1, ((m.valueSize + 7) & ~7) * m.maxEntries) / 4096) * 4096,
      valueSize: m.valueSize,
      readonly: m.readonly,
      initial: m.data ?? new Uint8Array(m.valueSize),
      vars,
    });
  }
  return { lines, secs };
}

/**
 * The auto-attach call bpftool's light skeleton header makes for a program (checked against
 * this machine's bpftool): raw_tp by name, BTF-attached tracing and LSM programs through
 * raw_tracepoint_open(NULL), iterators through a link; nothing for the other types.
 */
function autoAttach(spec: ObjectSpec, type: number, name: string): string {
  const ps = spec.programs.find((x) => x.name === name);
  const none = '((void)prog_fd, 0); /* auto-attach not supported */';
  if (ps === undefined) return none;
  if (type === ProgType.RAW_TRACEPOINT) {
    const slash = ps.section.indexOf('/');
    return slash < 0
      ? none
      : `skel_raw_tracepoint_open(${JSON.stringify(ps.section.slice(slash + 1))}, prog_fd);`;
  }
  if (type === ProgType.TRACING || type === ProgType.LSM)
    return ps.attachType === AttachType.TRACE_ITER
      ? 'skel_link_create(prog_fd, 0, BPF_TRACE_ITER);'
      : 'skel_raw_tracepoint_open(NULL, prog_fd);';
  return none;
}

/** The C header text for `l`, generated from `spec` (the same object). */
export function lskelToC(l: LightSkeleton, spec: ObjectSpec): string {
  const n = cIdent(l.name);
  const guard = `__${n.toUpperCase()}_SKEL_H__`;
  const maps = l.maps.map((m) => cIdent(m.name));
  const progs = l.programs.map((p) => p.name);
  const { lines: dataLines, secs } = dataSections(spec, n);
  const o: string[] = [];
  const w = (...x: string[]): void => {
    o.push(...x);
  };
  w(
    '/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */',
    '/* THIS FILE IS AUTOGENERATED BY TSBPF! */',
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    '#include <bpf/skel_internal.h>',
    '',
    `struct ${n} {`,
    '\tstruct bpf_loader_ctx ctx;',
  );
  if (maps.length > 0) w('\tstruct {', ...maps.map((m) => `\t\tstruct bpf_map_desc ${m};`), '\t} maps;');
  if (progs.length > 0) w('\tstruct {', ...progs.map((p) => `\t\tstruct bpf_prog_desc ${p};`), '\t} progs;');
  w('\tstruct {', ...progs.map((p) => `\t\tint ${p}_fd;`), '\t} links;');
  w(...dataLines);
  if (l.signed) w('\t__s32 keyring_id;');
  w('};', '');
  for (const p of progs) {
    w(
      'static inline int',
      `${n}__${p}__attach(struct ${n} *skel)`,
      '{',
      `\tint prog_fd = skel->progs.${p}.prog_fd;`,
      `\tint fd = ${autoAttach(spec, l.programs.find((x) => x.name === p)?.type ?? 0, p)}`,
      '',
      '\tif (fd > 0)',
      `\t\tskel->links.${p}_fd = fd;`,
      '\treturn fd;',
      '}',
      '',
    );
  }
  w('static inline int', `${n}__attach(struct ${n} *skel)`, '{', '\tint ret = 0;', '');
  for (const p of progs) w(`\tret = ret < 0 ? ret : ${n}__${p}__attach(skel);`);
  w('\treturn ret < 0 ? ret : 0;', '}', '');
  w('static inline void', `${n}__detach(struct ${n} *skel)`, '{');
  for (const p of progs) w(`\tskel_closenz(skel->links.${p}_fd);`);
  w('}');
  w(
    'static void',
    `${n}__destroy(struct ${n} *skel)`,
    '{',
    '\tif (!skel)',
    '\t\treturn;',
    `\t${n}__detach(skel);`,
  );
  for (const p of progs) w(`\tskel_closenz(skel->progs.${p}.prog_fd);`);
  for (const m of maps) {
    const s = secs.find((x) => x.ident === m);
    if (s) w(`\tskel_free_map_data(skel->${m}, skel->maps.${m}.initial_value, ${s.mmapSize});`);
    w(`\tskel_closenz(skel->maps.${m}.map_fd);`);
  }
  w('\tskel_free(skel);', '}');
  w(
    `static inline struct ${n} *`,
    `${n}__open(void)`,
    '{',
    `\tstruct ${n} *skel;`,
    '',
    '\tskel = skel_alloc(sizeof(*skel));',
    '\tif (!skel)',
    '\t\tgoto cleanup;',
    '\tskel->ctx.sz = (void *)&skel->links - (void *)skel;',
  );
  for (const s of secs) {
    w(
      `\tskel->${s.ident} = skel_prep_map_data((void *)"\\`,
      `${cBytes(s.initial)}", ${s.mmapSize}, ${s.valueSize});`,
      `\tif (!skel->${s.ident})`,
      '\t\tgoto cleanup;',
      `\tskel->maps.${s.ident}.initial_value = (__u64) (long) skel->${s.ident};`,
    );
  }
  w('\treturn skel;', 'cleanup:', `\t${n}__destroy(skel);`, '\treturn NULL;', '}', '');
  w(
    'static inline int',
    `${n}__load(struct ${n} *skel)`,
    '{',
    '\tstruct bpf_load_and_run_opts opts = {};',
    '\tint err;',
    '',
    `\topts.ctx = (struct bpf_loader_ctx *)skel;`,
    `\topts.data_sz = ${l.data.length};`,
    '\topts.data = (void *)"\\',
    `${cBytes(l.data)}";`,
    `\topts.insns_sz = ${l.insns.length};`,
    '\topts.insns = (void *)"\\',
    `${cBytes(l.insns)}";`,
  );
  if (l.signed && l.signature !== undefined) {
    w(
      '\tstatic const char opts_sig[] __attribute__((__aligned__(8))) = "\\',
      `${cBytes(l.signature)}";`,
      '\tstatic const char opts_excl_hash[] __attribute__((__aligned__(8))) = "\\',
      `${cBytes(l.exclProgHash)}";`,
      '\topts.signature = (void *)opts_sig;',
      '\topts.signature_sz = sizeof(opts_sig) - 1;',
      '\topts.excl_prog_hash = (void *)opts_excl_hash;',
      '\topts.excl_prog_hash_sz = sizeof(opts_excl_hash) - 1;',
      '\topts.keyring_id = skel->keyring_id;',
    );
  }
  w('\terr = bpf_load_and_run(&opts);', '\tif (err < 0)', '\t\treturn err;');
  for (const s of secs) {
    w(
      `\tskel->${s.ident} = skel_finalize_map_data(&skel->maps.${s.ident}.initial_value,`,
      `\t\t\t\t\t${s.mmapSize}, ${s.readonly ? 'PROT_READ' : 'PROT_READ | PROT_WRITE'}, skel->maps.${s.ident}.map_fd);`,
      `\tif (!skel->${s.ident})`,
      '\t\treturn -ENOMEM;',
    );
  }
  w('\treturn 0;', '}', '');
  w(
    `static inline struct ${n} *`,
    `${n}__open_and_load(void)`,
    '{',
    `\tstruct ${n} *skel;`,
    '',
    `\tskel = ${n}__open();`,
    '\tif (!skel)',
    '\t\treturn NULL;',
    `\tif (${n}__load(skel)) {`,
    `\t\t${n}__destroy(skel);`,
    '\t\treturn NULL;',
    '\t}',
    '\treturn skel;',
    '}',
    '',
    '__attribute__((unused)) static void',
    `${n}__assert(struct ${n} *s __attribute__((unused)))`,
    '{',
    '#ifdef __cplusplus',
    '#define _Static_assert static_assert',
    '#endif',
  );
  for (const s of secs)
    for (const v of s.vars)
      w(`\t_Static_assert(sizeof(s->${s.ident}->${v.name}) == ${v.size}, "unexpected size of '${v.name}'");`);
  w('#ifdef __cplusplus', '#undef _Static_assert', '#endif', '}', '', `#endif /* ${guard} */`, '');
  return o.join('\n');
}
