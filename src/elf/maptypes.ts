/**
 * Map constants an object file refers to: `enum bpf_map_type` (Linux 6.18), the map flags that
 * global-data maps get, and the pinning values of BTF-defined maps.
 *
 * @module
 */

import { MapFlag, MapType } from '../uapi/constants.js';

/** `enum bpf_map_type` and the map flags of Linux 6.18, from the uapi layer. */
export { MapFlag, MapType };

/** Number -> name; the first name wins where the kernel has aliases (CGROUP_STORAGE). */
const MAP_TYPE_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(MapType))
  if (!MAP_TYPE_NAMES.has(value)) MAP_TYPE_NAMES.set(value, name);

/** The name of a map type number (`'HASH'`), or `'UNKNOWN(n)'`. */
export function mapTypeName(type: number): string {
  return MAP_TYPE_NAMES.get(type) ?? `UNKNOWN(${type})`;
}

/** True for the map types whose values are other maps. */
export function isMapInMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** `pinning` values of BTF-defined maps (`LIBBPF_PIN_*`). */
export const Pinning = { NONE: 0, BY_NAME: 1 } as const;
