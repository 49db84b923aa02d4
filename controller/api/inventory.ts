// The inventory overlay (docs/spec/deviceinventories.md): what the config repo's DeviceInventory objects say
// about devices the back end reports without it. Microsoft Graph gives no time zone, site or labels for a
// teamworkDevice, so without this every window would run in UTC and no group could select by site.
//
// A pure function of the observed devices and the declared inventories: the reconciler applies it right after
// it observes the back end, so the planner, statuses and the console all see the same devices.
import type { DeviceInventory, DeviceInventoryEntry, FleetDevice } from './types.ts';
import { normalizeMac } from './mac.ts';
import { inventoryKey } from './rules.ts';

export interface InventoryResult {
  devices: FleetDevice[];
  /** Per DeviceInventory name: entries that matched a device, and those that matched none. */
  counts: Map<string, { matched: number; unmatched: number }>;
}

interface Indexed { entry: DeviceInventoryEntry; defaults: DeviceInventory['spec']['defaults']; object: string; used: boolean }

/**
 * Each device takes the fields of the entry naming it — by id first, else by serial number, else by MAC address
 * — over its object's defaults, over what the back end reported. `site` becomes the label `site`. Devices no
 * entry names are returned as they were (the same objects).
 */
export function applyInventory(devices: readonly FleetDevice[], inventories: readonly DeviceInventory[]): InventoryResult {
  const counts = new Map<string, { matched: number; unmatched: number }>();
  if (inventories.length === 0) return { devices: [...devices], counts };
  const byKey = new Map<string, Indexed>();
  const all: Indexed[] = [];
  for (const inv of inventories) {
    for (const entry of inv.spec.devices) {
      const k = inventoryKey(entry);
      // Validation refuses a revision with a malformed or repeated key; the first one wins if one slips through.
      if (!k || byKey.has(k.key)) continue;
      const x: Indexed = { entry, defaults: inv.spec.defaults, object: inv.metadata.name, used: false };
      byKey.set(k.key, x);
      all.push(x);
    }
  }
  const out = devices.map((d) => {
    const mac = d.macAddress ? normalizeMac(d.macAddress) : undefined;
    const hit = byKey.get(`id:${d.id}`)
      ?? (d.serialNumber ? byKey.get(`serial:${d.serialNumber.trim().toLowerCase()}`) : undefined)
      ?? (mac ? byKey.get(`mac:${mac}`) : undefined);
    if (!hit) return d;
    hit.used = true;
    const { entry, defaults } = hit;
    const timeZone = entry.timeZone ?? defaults?.timeZone ?? d.timeZone;
    const site = entry.site ?? defaults?.site;
    const labels = { ...d.labels, ...defaults?.labels, ...entry.labels, ...(site !== undefined ? { site } : {}) };
    return { ...d, timeZone, ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  });
  for (const x of all) {
    const c = counts.get(x.object) ?? { matched: 0, unmatched: 0 };
    if (x.used) c.matched++;
    else c.unmatched++;
    counts.set(x.object, c);
  }
  return { devices: out, counts };
}
