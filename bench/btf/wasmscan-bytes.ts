/**
 * Checks (default) or rewrites (`--write`) the WebAssembly scan's bytes in src/btf/wasmscan.ts
 * (`SCAN_MODULE_HEX`) against what the assembler in src/btf/wasmscan-asm.ts builds.
 * Usage: node --import tsx bench/btf/wasmscan-bytes.ts [--write]   Exits 1 when they differ (check).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN_MODULE_HEX } from '../../src/btf/wasmscan.js';
import { buildScanModule } from '../../src/btf/wasmscan-asm.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../src/btf/wasmscan.ts');
const hex = Buffer.from(buildScanModule()).toString('hex');
if (process.argv[2] !== '--write') {
  if (hex !== SCAN_MODULE_HEX) {
    console.error(`${file}: SCAN_MODULE_HEX is stale; run with --write`);
    process.exit(1);
  }
  console.log(`SCAN_MODULE_HEX matches the assembler (${hex.length / 2} bytes)`);
} else {
  const chunks = hex.match(/.{1,96}/g) ?? [''];
  const literal = chunks.map((c, i) => `  '${c}'${i < chunks.length - 1 ? ' +' : ';'}`).join('\n');
  const text = readFileSync(file, 'utf8');
  const re = /(\/\/ BEGIN GENERATED\n)[\s\S]*?(\n\/\/ END GENERATED)/;
  if (!re.test(text)) throw new Error(`${file}: no BEGIN/END GENERATED markers`);
  writeFileSync(
    file,
    text.replace(re, (_, a: string, b: string) => `${a}${literal}${b}`),
  );
  console.log(`wrote ${hex.length / 2} bytes to ${file}`);
}
