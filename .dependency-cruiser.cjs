/**
 * Import layering for tsbpf (see DESIGN.md, "Layers").
 *
 * Each layer lists the layers it may import. Lower layers never import higher ones.
 * Pure layers (all but `cli` and `sys/kernel`) import no `node:*` module and no FFI.
 * Only `sys/kernel` may import koffi.
 */
const layers = {
  util: [],
  isa: ['util'],
  hash: ['util', 'isa'],
  btf: ['util'],
  elf: ['util', 'isa', 'btf', 'uapi'],
  uapi: ['util', 'isa'],
  policy: ['util'],
  crypto: ['util'],
  sys: ['util', 'isa', 'uapi', 'btf', 'hash'],
  'sys/kernel': ['util', 'isa', 'uapi', 'btf', 'hash', 'sys'],
  machine: ['util', 'isa', 'uapi', 'btf', 'hash', 'elf', 'sys', 'policy', 'crypto'],
  loader: ['util', 'isa', 'uapi', 'btf', 'hash', 'elf', 'sys'],
  lskel: ['util', 'isa', 'uapi', 'btf', 'hash', 'elf', 'sys', 'loader', 'crypto'],
};
const impure = ['cli', 'sys/kernel'];
const esc = (s) => s.replace(/[/.]/g, (c) => `\\${c}`);
const all = Object.keys(layers);

const forbidden = [];
for (const [layer, allowed] of Object.entries(layers)) {
  // Layers nested inside this one (sys/kernel inside sys) are not part of it.
  const nested = all.filter((l) => l !== layer && l.startsWith(`${layer}/`));
  const from = { path: `^src/${esc(layer)}/`, pathNot: nested.map((n) => `^src/${esc(n)}/`) };
  const banned = all.filter((l) => l !== layer && !allowed.includes(l));
  forbidden.push({
    name: `layer-${layer.replace('/', '-')}`,
    comment: `src/${layer} may import only: ${[layer, ...allowed].join(', ')}`,
    severity: 'error',
    from,
    to: {
      path: [...banned.map((l) => `^src/${esc(l)}/`), '^src/cli/', '^src/index\\.ts$'],
      pathNot: [`^src/${esc(layer)}/`, ...allowed.map((l) => `^src/${esc(l)}/`)].filter(Boolean),
    },
  });
  if (!impure.includes(layer)) {
    forbidden.push({
      name: `pure-${layer.replace('/', '-')}`,
      comment: `src/${layer} is pure: no node:* modules, no FFI`,
      severity: 'error',
      from,
      to: { dependencyTypes: ['core'] },
    });
    forbidden.push({
      name: `no-ffi-${layer.replace('/', '-')}`,
      comment: `only src/sys/kernel may use koffi`,
      severity: 'error',
      from,
      to: { path: 'node_modules/koffi' },
    });
  }
}
forbidden.push({
  name: 'nothing-imports-cli',
  comment: 'cli is the top: nothing imports it',
  severity: 'error',
  from: { pathNot: '^src/cli/' },
  to: { path: '^src/cli/' },
});
forbidden.push({
  name: 'koffi-only-in-sys-kernel',
  severity: 'error',
  from: { pathNot: '^src/sys/kernel/' },
  to: { path: 'node_modules/koffi' },
});
forbidden.push({ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } });

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    exclude: { path: '\\.test\\.ts$' },
  },
};
