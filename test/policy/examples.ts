// Example policies shared by the policy tests.
//
// Sources (policies written from the text of these documents, not copied from code):
// - IPE admin guide (Documentation/admin-guide/LSM/ipe.rst) and security/ipe/policy_parser.c:
//   header, DEFAULT lines, EXECUTE/KMODULE/... rules with boot_verified, dm-verity, fs-verity.
// - KP Singh, "[PATCH bpf-next 11/13] ipe: add BPF program signature properties", 22 May 2026
//   (lore: 20260522023234.3778588-12-kpsingh@kernel.org): example policy
//     op=BPF_PROG_LOAD bpf_signature=UNSIGNED action=DENY
//     op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
//   (the patch text shows no header/DEFAULT lines; a policy needs both, so they are added here).
// - Blaise Boscaccy, "[PATCH v4 10/10] ipe: Add BPF program load policy enforcement via Hornet
//   integration", 16 April 2026 (kernsec.org linux-security-module-archive 2026-April/056871):
//     DEFAULT op=BPF_PROG_LOAD action=DENY
//     op=BPF_PROG_LOAD is_kernel=TRUE action=ALLOW
//     op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
//   Its second line uses `is_kernel`, which is not a property of that same patch (the property
//   is `bpf_kernel`): IPE's parser rejects it, and so does ours (see parser.test.ts).

/** KP Singh's example, with a header and a global default. */
export const KP_EXAMPLE = `policy_name=bpf_signed policy_version=0.0.1
DEFAULT action=ALLOW
op=BPF_PROG_LOAD bpf_signature=UNSIGNED action=DENY
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
`;

/** Hornet's example as posted (line 3 uses `is_kernel`: rejected). */
export const HORNET_EXAMPLE_AS_POSTED = `policy_name=hornet policy_version=0.0.1
DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY
op=BPF_PROG_LOAD is_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
`;

/** Hornet's example with the property it means, `bpf_kernel`. */
export const HORNET_EXAMPLE = HORNET_EXAMPLE_AS_POSTED.replace('is_kernel=TRUE', 'bpf_kernel=TRUE');

/** A "signed only" policy in the IPE/BPF signing vocabulary: metadata-verified loads only. */
export const SIGNED_ONLY = `# Signed-only: BPF programs load only when the loader's signature and its metadata verified.
policy_name=signed_only policy_version=1.0.0

DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY

op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW                     # in-kernel loads
op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED bpf_keyring=USER action=DENY
op=BPF_PROG_LOAD bpf_signature=METADATA_VERIFIED action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=BUILTIN action=ALLOW
`;

/** A policy in the IPE admin guide's style: file operations only, every property. */
export const IPE_FILES = `policy_name=files policy_version=2.3.4
DEFAULT action=DENY
DEFAULT op=KMODULE action=ALLOW
op=EXECUTE boot_verified=TRUE action=ALLOW
op=EXECUTE dmverity_roothash=sha256:AB01cd23 action=ALLOW
op=EXECUTE dmverity_signature=TRUE action=ALLOW
op=EXECUTE fsverity_digest=sha256:00ff action=ALLOW
op=EXECUTE fsverity_signature=TRUE action=ALLOW
op=FIRMWARE boot_verified=TRUE action=ALLOW
op=KEXEC_IMAGE boot_verified=TRUE action=ALLOW
op=KEXEC_INITRAMFS boot_verified=TRUE action=ALLOW
op=POLICY boot_verified=TRUE action=ALLOW
op=X509_CERT boot_verified=TRUE action=ALLOW
op=KMODULE dmverity_signature=FALSE action=DENY
op=KMODULE fsverity_signature=FALSE boot_verified=FALSE action=DENY
`;

/** A policy using Hornet's verdicts. */
export const HORNET_VERDICTS = `policy_name=hornet_verdicts policy_version=1.2.3
DEFAULT action=DENY
op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=BUILTIN action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK bpf_keyring=SECONDARY action=ALLOW
op=BPF_PROG_LOAD bpf_signature=PARTIALSIG bpf_keyring=PLATFORM action=ALLOW
op=BPF_PROG_LOAD bpf_signature=UNSIGNED bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=NONE bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=UNKNOWNKEY action=DENY
op=BPF_PROG_LOAD bpf_signature=BADSIG action=DENY
op=BPF_PROG_LOAD bpf_signature=UNEXPECTED action=DENY
op=BPF_PROG_LOAD bpf_signature=FAULT action=DENY
`;

/**
 * The policy examples of the IPE admin guide (Documentation/admin-guide/LSM/ipe.rst, "Policy
 * Examples"), by their policy names.
 */
export const IPE_DOC_EXAMPLES: Record<string, string> = {
  Allow_All: 'policy_name=Allow_All policy_version=0.0.0\nDEFAULT action=ALLOW\n',
  Allow_Initramfs:
    'policy_name=Allow_Initramfs policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE boot_verified=TRUE action=ALLOW\n',
  Allow_Signed_DMV_And_Initramfs:
    'policy_name=Allow_Signed_DMV_And_Initramfs policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE boot_verified=TRUE action=ALLOW\nop=EXECUTE dmverity_signature=TRUE action=ALLOW\n',
  Deny_DMV_By_Roothash:
    'policy_name=Deny_DMV_By_Roothash policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE dmverity_roothash=sha256:cd2c5bae7c6c579edaae4353049d58eb5f2e8be0244bf05345bc8e5ed257baff action=DENY\n\nop=EXECUTE boot_verified=TRUE action=ALLOW\nop=EXECUTE dmverity_signature=TRUE action=ALLOW\n',
  Allow_DMV_By_Roothash:
    'policy_name=Allow_DMV_By_Roothash policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE dmverity_roothash=sha256:401fcec5944823ae12f62726e8184407a5fa9599783f030dec146938 action=ALLOW\n',
  Allow_Signed_And_Validated_FSVerity:
    'policy_name=Allow_Signed_And_Validated_FSVerity policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE fsverity_signature=TRUE action=ALLOW\n',
  ALLOW_FSV_By_Digest:
    'policy_name=ALLOW_FSV_By_Digest policy_version=0.0.0\nDEFAULT action=DENY\n\nop=EXECUTE fsverity_digest=sha256:fd88f2b8824e197f850bf4c5109bea5cf0ee38104f710843bb72da796ba5af9e action=ALLOW\n',
};

/** Every example that parses. */
export const VALID_EXAMPLES: Record<string, string> = {
  KP_EXAMPLE,
  HORNET_EXAMPLE,
  SIGNED_ONLY,
  IPE_FILES,
  HORNET_VERDICTS,
  ...IPE_DOC_EXAMPLES,
};
