/**
 * Byte layouts of `union bpf_attr` (one per command group) and of the `bpf_*_info` structs, for
 * Linux 6.18, as the kernel's BTF (`/sys/kernel/btf/vmlinux`) describes them. Each field is
 * `[byteOffset, byteSize]` under its kernel name; `test/uapi/layout.test.ts` checks every entry
 * against the running kernel's BTF.
 *
 * @module
 */

/** A field of a layout: byte offset and byte size. */
export type FieldSpec = readonly [offset: number, size: number];

/** A byte layout of one attr group or info struct. */
export interface Layout<K extends string = string> {
  /** The C type the layout is part of, e.g. `union bpf_attr`. */
  readonly cType: string;
  /**
   * Which member of `union bpf_attr` holds the group: its name for named members (`test`), its
   * index for anonymous ones; `undefined` for info structs (the fields are the struct's own).
   */
  readonly member: string | number | undefined;
  /** Bytes to pass: the end of the last field for attrs, `sizeof` for info structs. */
  readonly size: number;
  /** Fields by kernel name (dotted for nested named members, e.g. `tcx.relative_fd`). */
  readonly fields: { readonly [P in K]: FieldSpec };
}

function layout<K extends string>(
  cType: string,
  member: string | number | undefined,
  size: number,
  fields: { readonly [P in K]: FieldSpec },
): Layout<K> {
  return Object.freeze({ cType, member, size, fields: Object.freeze(fields) });
}

/** Size of `union bpf_attr` on Linux 6.18. */
export const BPF_ATTR_SIZE = 168;

/** Byte layout of BPF_MAP_CREATE (Linux 6.18). */
export const MapCreateLayout = layout('union bpf_attr', 0, 92, {
  map_type: [0, 4],
  key_size: [4, 4],
  value_size: [8, 4],
  max_entries: [12, 4],
  map_flags: [16, 4],
  inner_map_fd: [20, 4],
  numa_node: [24, 4],
  map_name: [28, 16],
  map_ifindex: [44, 4],
  btf_fd: [48, 4],
  btf_key_type_id: [52, 4],
  btf_value_type_id: [56, 4],
  btf_vmlinux_value_type_id: [60, 4],
  map_extra: [64, 8],
  value_type_btf_obj_fd: [72, 4],
  map_token_fd: [76, 4],
  excl_prog_hash: [80, 8],
  excl_prog_hash_size: [88, 4],
});

/** Byte layout of BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY (Linux 6.18). */
export const MapElemLayout = layout('union bpf_attr', 1, 32, {
  map_fd: [0, 4],
  key: [8, 8],
  value: [16, 8],
  next_key: [16, 8],
  flags: [24, 8],
});

/** Byte layout of BPF_MAP_*_BATCH (Linux 6.18). */
export const MapBatchLayout = layout('union bpf_attr', 'batch', 56, {
  in_batch: [0, 8],
  out_batch: [8, 8],
  keys: [16, 8],
  values: [24, 8],
  count: [32, 4],
  map_fd: [36, 4],
  elem_flags: [40, 8],
  flags: [48, 8],
});

/** Byte layout of BPF_PROG_LOAD (Linux 6.18). */
export const ProgLoadLayout = layout('union bpf_attr', 3, 168, {
  prog_type: [0, 4],
  insn_cnt: [4, 4],
  insns: [8, 8],
  license: [16, 8],
  log_level: [24, 4],
  log_size: [28, 4],
  log_buf: [32, 8],
  kern_version: [40, 4],
  prog_flags: [44, 4],
  prog_name: [48, 16],
  prog_ifindex: [64, 4],
  expected_attach_type: [68, 4],
  prog_btf_fd: [72, 4],
  func_info_rec_size: [76, 4],
  func_info: [80, 8],
  func_info_cnt: [88, 4],
  line_info_rec_size: [92, 4],
  line_info: [96, 8],
  line_info_cnt: [104, 4],
  attach_btf_id: [108, 4],
  attach_prog_fd: [112, 4],
  attach_btf_obj_fd: [112, 4],
  core_relo_cnt: [116, 4],
  fd_array: [120, 8],
  core_relos: [128, 8],
  core_relo_rec_size: [136, 4],
  log_true_size: [140, 4],
  prog_token_fd: [144, 4],
  fd_array_cnt: [148, 4],
  signature: [152, 8],
  signature_size: [160, 4],
  keyring_id: [164, 4],
});

/** Byte layout of BPF_OBJ_PIN and BPF_OBJ_GET (Linux 6.18). */
export const ObjLayout = layout('union bpf_attr', 4, 20, {
  pathname: [0, 8],
  bpf_fd: [8, 4],
  file_flags: [12, 4],
  path_fd: [16, 4],
});

/** Byte layout of BPF_PROG_ATTACH and BPF_PROG_DETACH (Linux 6.18). */
export const ProgAttachLayout = layout('union bpf_attr', 5, 32, {
  target_fd: [0, 4],
  target_ifindex: [0, 4],
  attach_bpf_fd: [4, 4],
  attach_type: [8, 4],
  attach_flags: [12, 4],
  replace_bpf_fd: [16, 4],
  relative_fd: [20, 4],
  relative_id: [20, 4],
  expected_revision: [24, 8],
});

/** Byte layout of BPF_PROG_TEST_RUN (Linux 6.18). */
export const TestRunLayout = layout('union bpf_attr', 'test', 76, {
  prog_fd: [0, 4],
  retval: [4, 4],
  data_size_in: [8, 4],
  data_size_out: [12, 4],
  data_in: [16, 8],
  data_out: [24, 8],
  repeat: [32, 4],
  duration: [36, 4],
  ctx_size_in: [40, 4],
  ctx_size_out: [44, 4],
  ctx_in: [48, 8],
  ctx_out: [56, 8],
  flags: [64, 4],
  cpu: [68, 4],
  batch_size: [72, 4],
});

/** Byte layout of BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (Linux 6.18). */
export const GetIdLayout = layout('union bpf_attr', 7, 16, {
  start_id: [0, 4],
  prog_id: [0, 4],
  map_id: [0, 4],
  btf_id: [0, 4],
  link_id: [0, 4],
  next_id: [4, 4],
  open_flags: [8, 4],
  fd_by_id_token_fd: [12, 4],
});

/** Byte layout of BPF_OBJ_GET_INFO_BY_FD (Linux 6.18). */
export const InfoLayout = layout('union bpf_attr', 'info', 16, {
  bpf_fd: [0, 4],
  info_len: [4, 4],
  info: [8, 8],
});

/** Byte layout of BPF_BTF_LOAD (Linux 6.18). */
export const BtfLoadLayout = layout('union bpf_attr', 11, 40, {
  btf: [0, 8],
  btf_log_buf: [8, 8],
  btf_size: [16, 4],
  btf_log_size: [20, 4],
  btf_log_level: [24, 4],
  btf_log_true_size: [28, 4],
  btf_flags: [32, 4],
  btf_token_fd: [36, 4],
});

/** Byte layout of BPF_LINK_CREATE (Linux 6.18). */
export const LinkCreateLayout = layout('union bpf_attr', 'link_create', 32, {
  prog_fd: [0, 4],
  map_fd: [0, 4],
  target_fd: [4, 4],
  target_ifindex: [4, 4],
  attach_type: [8, 4],
  flags: [12, 4],
  target_btf_id: [16, 4],
  iter_info: [16, 8],
  iter_info_len: [24, 4],
  'perf_event.bpf_cookie': [16, 8],
  'tracing.target_btf_id': [16, 4],
  'tracing.cookie': [24, 8],
  'netfilter.pf': [16, 4],
  'netfilter.hooknum': [20, 4],
  'netfilter.priority': [24, 4],
  'netfilter.flags': [28, 4],
  'tcx.relative_fd': [16, 4],
  'tcx.relative_id': [16, 4],
  'tcx.expected_revision': [24, 8],
  'netkit.relative_fd': [16, 4],
  'netkit.expected_revision': [24, 8],
  'cgroup.relative_fd': [16, 4],
  'cgroup.expected_revision': [24, 8],
});

/** Byte layout of BPF_LINK_UPDATE (Linux 6.18). */
export const LinkUpdateLayout = layout('union bpf_attr', 'link_update', 16, {
  link_fd: [0, 4],
  new_prog_fd: [4, 4],
  new_map_fd: [4, 4],
  flags: [8, 4],
  old_prog_fd: [12, 4],
  old_map_fd: [12, 4],
});

/** Byte layout of BPF_LINK_DETACH (Linux 6.18). */
export const LinkDetachLayout = layout('union bpf_attr', 'link_detach', 4, {
  link_fd: [0, 4],
});

/** Byte layout of BPF_PROG_BIND_MAP (Linux 6.18). */
export const ProgBindMapLayout = layout('union bpf_attr', 'prog_bind_map', 12, {
  prog_fd: [0, 4],
  map_fd: [4, 4],
  flags: [8, 4],
});

/** Byte layout of struct bpf_prog_info (Linux 6.18). */
export const ProgInfoLayout = layout('struct bpf_prog_info', undefined, 232, {
  type: [0, 4],
  id: [4, 4],
  tag: [8, 8],
  jited_prog_len: [16, 4],
  xlated_prog_len: [20, 4],
  jited_prog_insns: [24, 8],
  xlated_prog_insns: [32, 8],
  load_time: [40, 8],
  created_by_uid: [48, 4],
  nr_map_ids: [52, 4],
  map_ids: [56, 8],
  name: [64, 16],
  ifindex: [80, 4],
  netns_dev: [88, 8],
  netns_ino: [96, 8],
  nr_jited_ksyms: [104, 4],
  nr_jited_func_lens: [108, 4],
  jited_ksyms: [112, 8],
  jited_func_lens: [120, 8],
  btf_id: [128, 4],
  func_info_rec_size: [132, 4],
  func_info: [136, 8],
  nr_func_info: [144, 4],
  nr_line_info: [148, 4],
  line_info: [152, 8],
  jited_line_info: [160, 8],
  nr_jited_line_info: [168, 4],
  line_info_rec_size: [172, 4],
  jited_line_info_rec_size: [176, 4],
  nr_prog_tags: [180, 4],
  prog_tags: [184, 8],
  run_time_ns: [192, 8],
  run_cnt: [200, 8],
  recursion_misses: [208, 8],
  verified_insns: [216, 4],
  attach_btf_obj_id: [220, 4],
  attach_btf_id: [224, 4],
});

/** Byte layout of struct bpf_map_info (Linux 6.18). */
export const MapInfoLayout = layout('struct bpf_map_info', undefined, 104, {
  type: [0, 4],
  id: [4, 4],
  key_size: [8, 4],
  value_size: [12, 4],
  max_entries: [16, 4],
  map_flags: [20, 4],
  name: [24, 16],
  ifindex: [40, 4],
  btf_vmlinux_value_type_id: [44, 4],
  netns_dev: [48, 8],
  netns_ino: [56, 8],
  btf_id: [64, 4],
  btf_key_type_id: [68, 4],
  btf_value_type_id: [72, 4],
  btf_vmlinux_id: [76, 4],
  map_extra: [80, 8],
  hash: [88, 8],
  hash_size: [96, 4],
});

/** Byte layout of struct bpf_btf_info (Linux 6.18). */
export const BtfInfoLayout = layout('struct bpf_btf_info', undefined, 32, {
  btf: [0, 8],
  btf_size: [8, 4],
  id: [12, 4],
  name: [16, 8],
  name_len: [24, 4],
  kernel_btf: [28, 4],
});

/** Byte layout of struct bpf_link_info (common part and the variants tsbpf decodes) (Linux 6.18). */
export const LinkInfoLayout = layout('struct bpf_link_info', undefined, 64, {
  type: [0, 4],
  id: [4, 4],
  prog_id: [8, 4],
  'raw_tracepoint.tp_name': [16, 8],
  'raw_tracepoint.tp_name_len': [24, 4],
  'tracing.attach_type': [16, 4],
  'tracing.target_obj_id': [20, 4],
  'tracing.target_btf_id': [24, 4],
  'cgroup.cgroup_id': [16, 8],
  'cgroup.attach_type': [24, 4],
  'netns.netns_ino': [16, 4],
  'netns.attach_type': [20, 4],
  'xdp.ifindex': [16, 4],
  'tcx.ifindex': [16, 4],
  'tcx.attach_type': [20, 4],
  'netfilter.pf': [16, 4],
  'netfilter.hooknum': [20, 4],
  'netfilter.priority': [24, 4],
  'netfilter.flags': [28, 4],
});
