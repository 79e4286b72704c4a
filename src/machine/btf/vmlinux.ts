/**
 * The machine's own kernel BTF: what `/sys/kernel/btf/vmlinux` is to Linux, built with the
 * project's BTF builder and exposed as BTF object id 1, named `vmlinux`, `kernel_btf` set (see
 * {@link MachineContext.btfGetFdById}). Loaders resolve CO-RE relocations, typed ksyms and kfuncs
 * against it; PROG_LOAD applies `core_relos` against it; `bpf_btf_find_by_name_kind` searches it.
 *
 * It describes only what the machine really implements, with the layouts of Linux 6.18 (taken
 * from this project's host `/sys/kernel/btf/vmlinux`; the test `test/machine/btf-vmlinux.test.ts`
 * checks every member's name, offset, bitfield size and type shape against the real vmlinux), so a
 * CO-RE relocation computed against this BTF gives the same value as against the real vmlinux for
 * every member included here:
 * - the uapi context structs of the program types the machine runs: `__sk_buff` (socket filter,
 *   tc), `xdp_md` (XDP), with the structs they point to (`bpf_sock`, `bpf_flow_keys`), and
 *   `bpf_sock_tuple`; every member, byte-exact;
 * - the kernel structs the machine models, with only the members its process and object model
 *   can back: `task_struct` (pid, tgid, comm, real_parent, parent, group_leader, cred, real_cred,
 *   loginuid, sessionid), `cred` (ids), `file`/`inode`/`linux_binprm` (enough for the LSM
 *   programs of `test/fixtures/core.c` to relocate), `bpf_map` (the kfunc's argument); struct
 *   sizes are the real ones, members not listed are simply absent (a CO-RE relocation to them
 *   finds no field, as against a kernel built without them);
 * - `enum xdp_action` and `enum bpf_map_type` (for enum-value relocations);
 * - the kfuncs the machine offers, as Linux 6.18's vmlinux declares kfuncs: a FUNC with
 *   `static` linkage (what this kernel's BTF has for every kfunc, e.g. `bpf_task_acquire`) and a
 *   `bpf_kfunc` DECL_TAG. Today that is `bpf_loader_verify_metadata`, present only when the
 *   machine's profile has the kfunc metadata scheme (`kfuncMetadata`).
 *
 * Type ids are stable for a given variant (the builder is deterministic); they are not the real
 * vmlinux's ids, which is why loaders must resolve ids against the BTF of the backend they load
 * into.
 *
 * @module
 */

import { Btf } from '../../btf/btf.js';
import { BTF_INT } from '../../btf/kinds.js';

/** A C type, written as in `bpftool btf dump format c`, or an anonymous struct/union. */
export type VmlinuxTypeExpr = string | VmlinuxComposite;

/** A member: name (`''` for anonymous), type, bit offset, bitfield size (bitfields only). */
export type VmlinuxMember = readonly [
  name: string,
  type: VmlinuxTypeExpr,
  bitOffset: number,
  bitfieldSize?: number,
];

/** An anonymous struct or union. */
export interface VmlinuxComposite {
  /** `struct` or `union`. */
  readonly kind: 'struct' | 'union';
  /** Size in bytes. */
  readonly size: number;
  /** Members (a subset of the real ones for kernel-internal structs). */
  readonly members: readonly VmlinuxMember[];
}

/** A named struct or union of the machine's vmlinux. */
export interface VmlinuxStruct extends VmlinuxComposite {
  /** Its name. */
  readonly name: string;
}

/** A named enum. */
export interface VmlinuxEnum {
  /** Its name. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Enumerators, in the kernel's order. */
  readonly values: readonly (readonly [string, number])[];
}

/** A kfunc: name, return type, parameters. */
export interface VmlinuxKfunc {
  /** Its name. */
  readonly name: string;
  /** Return type. */
  readonly ret: VmlinuxTypeExpr;
  /** Parameters (name, type). */
  readonly params: readonly (readonly [string, VmlinuxTypeExpr])[];
}

/** Base integer types, as in Linux 6.18's vmlinux (name, size, signed, bool). */
export const VMLINUX_INTS: readonly (readonly [string, number, boolean, boolean?])[] = [
  ['long unsigned int', 8, false],
  ['char', 1, false],
  ['unsigned int', 4, false],
  ['signed char', 1, true],
  ['unsigned char', 1, false],
  ['short int', 2, true],
  ['short unsigned int', 2, false],
  ['int', 4, true],
  ['long long int', 8, true],
  ['long long unsigned int', 8, false],
  ['long int', 8, true],
  ['_Bool', 1, false, true],
];

/** Typedefs, as in Linux 6.18's vmlinux. */
export const VMLINUX_TYPEDEFS: readonly (readonly [string, VmlinuxTypeExpr])[] = [
  ['__u8', 'unsigned char'],
  ['__u16', 'short unsigned int'],
  ['__u32', 'unsigned int'],
  ['__u64', 'long long unsigned int'],
  ['__s32', 'int'],
  ['__be16', '__u16'],
  ['__be32', '__u32'],
  ['u8', '__u8'],
  ['u32', '__u32'],
  ['u64', '__u64'],
  ['__kernel_pid_t', 'int'],
  ['pid_t', '__kernel_pid_t'],
  ['__kernel_uid32_t', 'unsigned int'],
  ['uid_t', '__kernel_uid32_t'],
  ['__kernel_gid32_t', 'unsigned int'],
  ['gid_t', '__kernel_gid32_t'],
  ['kuid_t', { kind: 'struct', size: 4, members: [['val', 'uid_t', 0]] }],
  ['kgid_t', { kind: 'struct', size: 4, members: [['val', 'gid_t', 0]] }],
  ['fmode_t', 'unsigned int'],
  ['__kernel_loff_t', 'long long int'],
  ['loff_t', '__kernel_loff_t'],
  ['umode_t', 'short unsigned int'],
];

/** Structs, with Linux 6.18's sizes and member offsets (bits). */
export const VMLINUX_STRUCTS: readonly VmlinuxStruct[] = [
  {
    name: '__sk_buff',
    kind: 'struct',
    size: 192,
    members: [
      ['len', '__u32', 0],
      ['pkt_type', '__u32', 32],
      ['mark', '__u32', 64],
      ['queue_mapping', '__u32', 96],
      ['protocol', '__u32', 128],
      ['vlan_present', '__u32', 160],
      ['vlan_tci', '__u32', 192],
      ['vlan_proto', '__u32', 224],
      ['priority', '__u32', 256],
      ['ingress_ifindex', '__u32', 288],
      ['ifindex', '__u32', 320],
      ['tc_index', '__u32', 352],
      ['cb', '__u32[5]', 384],
      ['hash', '__u32', 544],
      ['tc_classid', '__u32', 576],
      ['data', '__u32', 608],
      ['data_end', '__u32', 640],
      ['napi_id', '__u32', 672],
      ['family', '__u32', 704],
      ['remote_ip4', '__u32', 736],
      ['local_ip4', '__u32', 768],
      ['remote_ip6', '__u32[4]', 800],
      ['local_ip6', '__u32[4]', 928],
      ['remote_port', '__u32', 1056],
      ['local_port', '__u32', 1088],
      ['data_meta', '__u32', 1120],
      ['', { kind: 'union', size: 8, members: [['flow_keys', 'struct bpf_flow_keys *', 0]] }, 1152],
      ['tstamp', '__u64', 1216],
      ['wire_len', '__u32', 1280],
      ['gso_segs', '__u32', 1312],
      ['', { kind: 'union', size: 8, members: [['sk', 'struct bpf_sock *', 0]] }, 1344],
      ['gso_size', '__u32', 1408],
      ['tstamp_type', '__u8', 1440],
      ['hwtstamp', '__u64', 1472],
    ],
  },
  {
    name: 'xdp_md',
    kind: 'struct',
    size: 24,
    members: [
      ['data', '__u32', 0],
      ['data_end', '__u32', 32],
      ['data_meta', '__u32', 64],
      ['ingress_ifindex', '__u32', 96],
      ['rx_queue_index', '__u32', 128],
      ['egress_ifindex', '__u32', 160],
    ],
  },
  {
    name: 'bpf_sock',
    kind: 'struct',
    size: 80,
    members: [
      ['bound_dev_if', '__u32', 0],
      ['family', '__u32', 32],
      ['type', '__u32', 64],
      ['protocol', '__u32', 96],
      ['mark', '__u32', 128],
      ['priority', '__u32', 160],
      ['src_ip4', '__u32', 192],
      ['src_ip6', '__u32[4]', 224],
      ['src_port', '__u32', 352],
      ['dst_port', '__be16', 384],
      ['dst_ip4', '__u32', 416],
      ['dst_ip6', '__u32[4]', 448],
      ['state', '__u32', 576],
      ['rx_queue_mapping', '__s32', 608],
    ],
  },
  {
    name: 'bpf_sock_tuple',
    kind: 'struct',
    size: 36,
    members: [
      [
        '',
        {
          kind: 'union',
          size: 36,
          members: [
            [
              'ipv4',
              {
                kind: 'struct',
                size: 12,
                members: [
                  ['saddr', '__be32', 0],
                  ['daddr', '__be32', 32],
                  ['sport', '__be16', 64],
                  ['dport', '__be16', 80],
                ],
              },
              0,
            ],
            [
              'ipv6',
              {
                kind: 'struct',
                size: 36,
                members: [
                  ['saddr', '__be32[4]', 0],
                  ['daddr', '__be32[4]', 128],
                  ['sport', '__be16', 256],
                  ['dport', '__be16', 272],
                ],
              },
              0,
            ],
          ],
        },
        0,
      ],
    ],
  },
  {
    name: 'bpf_flow_keys',
    kind: 'struct',
    size: 56,
    members: [
      ['nhoff', '__u16', 0],
      ['thoff', '__u16', 16],
      ['addr_proto', '__u16', 32],
      ['is_frag', '__u8', 48],
      ['is_first_frag', '__u8', 56],
      ['is_encap', '__u8', 64],
      ['ip_proto', '__u8', 72],
      ['n_proto', '__be16', 80],
      ['sport', '__be16', 96],
      ['dport', '__be16', 112],
      [
        '',
        {
          kind: 'union',
          size: 32,
          members: [
            [
              '',
              {
                kind: 'struct',
                size: 8,
                members: [
                  ['ipv4_src', '__be32', 0],
                  ['ipv4_dst', '__be32', 32],
                ],
              },
              0,
            ],
            [
              '',
              {
                kind: 'struct',
                size: 32,
                members: [
                  ['ipv6_src', '__u32[4]', 0],
                  ['ipv6_dst', '__u32[4]', 128],
                ],
              },
              0,
            ],
          ],
        },
        128,
      ],
      ['flags', '__u32', 384],
      ['flow_label', '__be32', 416],
    ],
  },
  {
    name: 'task_struct',
    kind: 'struct',
    size: 3264,
    members: [
      ['pid', 'pid_t', 10112],
      ['tgid', 'pid_t', 10144],
      ['real_parent', 'struct task_struct *', 10240],
      ['parent', 'struct task_struct *', 10304],
      ['group_leader', 'struct task_struct *', 10624],
      ['real_cred', 'const struct cred *', 13824],
      ['cred', 'const struct cred *', 13888],
      ['comm', 'char[16]', 14016],
      ['loginuid', 'kuid_t', 15616],
      ['sessionid', 'unsigned int', 15648],
    ],
  },
  {
    name: 'cred',
    kind: 'struct',
    size: 184,
    members: [
      ['uid', 'kuid_t', 64],
      ['gid', 'kgid_t', 96],
      ['suid', 'kuid_t', 128],
      ['sgid', 'kgid_t', 160],
      ['euid', 'kuid_t', 192],
      ['egid', 'kgid_t', 224],
      ['fsuid', 'kuid_t', 256],
      ['fsgid', 'kgid_t', 288],
    ],
  },
  {
    name: 'inode',
    kind: 'struct',
    size: 616,
    members: [
      ['i_mode', 'umode_t', 0],
      ['i_uid', 'kuid_t', 32],
      ['i_gid', 'kgid_t', 64],
      ['i_ino', 'long unsigned int', 512],
      ['i_size', 'loff_t', 640],
    ],
  },
  {
    name: 'file',
    kind: 'struct',
    size: 184,
    members: [
      ['f_mode', 'fmode_t', 32],
      ['f_inode', 'struct inode *', 256],
      ['f_flags', 'unsigned int', 320],
      ['f_cred', 'const struct cred *', 384],
      ['f_pos', 'loff_t', 896],
    ],
  },
  {
    name: 'linux_binprm',
    kind: 'struct',
    size: 408,
    members: [
      ['secureexec', 'unsigned int', 322, 1],
      ['file', 'struct file *', 512],
      ['cred', 'struct cred *', 576],
      ['argc', 'int', 704],
      ['envc', 'int', 736],
      ['filename', 'const char *', 768],
      ['interp', 'const char *', 832],
      ['buf', 'char[256]', 1216],
    ],
  },
  {
    name: 'bpf_map',
    kind: 'struct',
    size: 296,
    members: [
      ['map_type', 'enum bpf_map_type', 512],
      ['key_size', 'u32', 544],
      ['value_size', 'u32', 576],
      ['max_entries', 'u32', 608],
      ['map_flags', 'u32', 704],
      ['id', 'u32', 736],
    ],
  },
];

/** Enums, with Linux 6.18's values. */
export const VMLINUX_ENUMS: readonly VmlinuxEnum[] = [
  {
    name: 'xdp_action',
    size: 4,
    values: [
      ['XDP_ABORTED', 0],
      ['XDP_DROP', 1],
      ['XDP_PASS', 2],
      ['XDP_TX', 3],
      ['XDP_REDIRECT', 4],
    ],
  },
  {
    name: 'bpf_map_type',
    size: 4,
    values: [
      ['BPF_MAP_TYPE_UNSPEC', 0],
      ['BPF_MAP_TYPE_HASH', 1],
      ['BPF_MAP_TYPE_ARRAY', 2],
      ['BPF_MAP_TYPE_PROG_ARRAY', 3],
      ['BPF_MAP_TYPE_PERF_EVENT_ARRAY', 4],
      ['BPF_MAP_TYPE_PERCPU_HASH', 5],
      ['BPF_MAP_TYPE_PERCPU_ARRAY', 6],
      ['BPF_MAP_TYPE_STACK_TRACE', 7],
      ['BPF_MAP_TYPE_CGROUP_ARRAY', 8],
      ['BPF_MAP_TYPE_LRU_HASH', 9],
      ['BPF_MAP_TYPE_LRU_PERCPU_HASH', 10],
      ['BPF_MAP_TYPE_LPM_TRIE', 11],
      ['BPF_MAP_TYPE_ARRAY_OF_MAPS', 12],
      ['BPF_MAP_TYPE_HASH_OF_MAPS', 13],
      ['BPF_MAP_TYPE_DEVMAP', 14],
      ['BPF_MAP_TYPE_SOCKMAP', 15],
      ['BPF_MAP_TYPE_CPUMAP', 16],
      ['BPF_MAP_TYPE_XSKMAP', 17],
      ['BPF_MAP_TYPE_SOCKHASH', 18],
      ['BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED', 19],
      ['BPF_MAP_TYPE_CGROUP_STORAGE', 19],
      ['BPF_MAP_TYPE_REUSEPORT_SOCKARRAY', 20],
      ['BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED', 21],
      ['BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE', 21],
      ['BPF_MAP_TYPE_QUEUE', 22],
      ['BPF_MAP_TYPE_STACK', 23],
      ['BPF_MAP_TYPE_SK_STORAGE', 24],
      ['BPF_MAP_TYPE_DEVMAP_HASH', 25],
      ['BPF_MAP_TYPE_STRUCT_OPS', 26],
      ['BPF_MAP_TYPE_RINGBUF', 27],
      ['BPF_MAP_TYPE_INODE_STORAGE', 28],
      ['BPF_MAP_TYPE_TASK_STORAGE', 29],
      ['BPF_MAP_TYPE_BLOOM_FILTER', 30],
      ['BPF_MAP_TYPE_USER_RINGBUF', 31],
      ['BPF_MAP_TYPE_CGRP_STORAGE', 32],
      ['BPF_MAP_TYPE_ARENA', 33],
      ['__MAX_BPF_MAP_TYPE', 34],
    ],
  },
];

/** The kfunc metadata scheme's kfunc (see src/machine/signature/kfunc.ts). */
export const VMLINUX_KFUNC_VERIFY_METADATA: VmlinuxKfunc = {
  name: 'bpf_loader_verify_metadata',
  ret: 'int',
  params: [
    ['map', 'struct bpf_map *'],
    ['hash', 'void *'],
    ['hash__sz', 'u32'],
  ],
};

/** Which parts of the machine's vmlinux exist: they follow the machine's kernel profile. */
export interface MachineVmlinuxOptions {
  /** Declare the kfunc metadata scheme's kfunc (profile `kfuncMetadata`). */
  kfuncMetadata: boolean;
}

/** Builds the BTF: ints, typedefs, structs, enums, kfuncs; ids are assigned in that order. */
function build(opts: MachineVmlinuxOptions, named: Map<string, number>): Btf {
  const b = new Btf();
  const found = new Map<string, number>();
  const memo = new Map<string, number>();
  const declared = new Map<string, VmlinuxTypeExpr>();
  for (const [n, t] of VMLINUX_TYPEDEFS) declared.set(n, t);
  for (const [name, size, signed, bool] of VMLINUX_INTS)
    found.set(name, b.addInt(name, size, { encoding: bool ? BTF_INT.BOOL : signed ? BTF_INT.SIGNED : 0 }));
  const type = (e: VmlinuxTypeExpr): number => {
    if (typeof e !== 'string') return composite('', e);
    const hit = memo.get(e) ?? found.get(e);
    if (hit !== undefined) return hit;
    let id: number;
    const arr = /^(.*)\[(\d+)\]$/.exec(e);
    if (e === 'void') return 0;
    if (arr) id = b.addArray(type(arr[1]!), type('int'), Number(arr[2]));
    else if (e.endsWith(' *')) id = b.addPtr(type(e.slice(0, -2)));
    else if (e.startsWith('const ')) id = b.addConst(type(e.slice(6)));
    else if (/^(struct|union|enum) /.test(e)) {
      // Forward reference: the id the first pass found (the passes push the same records).
      return named.get(e) ?? 0;
    } else {
      const def = declared.get(e);
      if (def === undefined) throw new RangeError(`machine vmlinux: unknown type '${e}'`);
      id = b.addTypedef(e, type(def));
      found.set(e, id);
      return id;
    }
    memo.set(e, id);
    return id;
  };
  const composite = (name: string, c: VmlinuxComposite): number => {
    const members = c.members.map(([n, t, bitOffset, bitfieldSize]) => ({
      name: n,
      type: type(t),
      bitOffset,
      ...(bitfieldSize === undefined ? {} : { bitfieldSize }),
    }));
    return c.kind === 'struct' ? b.addStruct(name, c.size, members) : b.addUnion(name, c.size, members);
  };
  for (const [n] of VMLINUX_TYPEDEFS) type(n);
  for (const s of VMLINUX_STRUCTS) named.set(`${s.kind} ${s.name}`, composite(s.name, s));
  for (const e of VMLINUX_ENUMS)
    named.set(
      `enum ${e.name}`,
      b.addEnum(
        e.name,
        e.size,
        e.values.map(([name, value]) => ({ name, value })),
      ),
    );
  const kfuncs = opts.kfuncMetadata ? [VMLINUX_KFUNC_VERIFY_METADATA] : [];
  for (const k of kfuncs) {
    const proto = b.addFuncProto(
      type(k.ret),
      k.params.map(([name, t]) => ({ name, type: type(t) })),
    );
    const fn = b.addFunc(k.name, proto, 'static');
    b.addDeclTag('bpf_kfunc', fn);
  }
  return b;
}

const cache = new Map<boolean, { btf: Btf; bytes: Uint8Array }>();

function variant(opts: MachineVmlinuxOptions): { btf: Btf; bytes: Uint8Array } {
  let v = cache.get(opts.kfuncMetadata);
  if (v === undefined) {
    const named = new Map<string, number>();
    build(opts, named);
    const btf = build(opts, named);
    v = { btf, bytes: btf.serialize() };
    cache.set(opts.kfuncMetadata, v);
  }
  return v;
}

/**
 * The machine's vmlinux BTF for a profile (built once per variant; treat it as read-only: it is
 * shared by every machine with the same variant).
 */
export function machineVmlinuxBtf(opts: MachineVmlinuxOptions): Btf {
  return variant(opts).btf;
}

/** The serialized machine vmlinux BTF (what BTF object id 1 returns; shared, do not modify). */
export function machineVmlinuxBytes(opts: MachineVmlinuxOptions): Uint8Array {
  return variant(opts).bytes;
}

/** The name the kernel gives its own BTF object (`bpf_btf_info.name`). */
export const VMLINUX_BTF_NAME = 'vmlinux';
