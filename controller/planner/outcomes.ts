// Reading a plan the way a person does: components that are not updated automatically by design
// (manual-only components, or left out of a group's autoUpdate) say nothing about whether a device is
// current. The CLI's tables and the reconciler's DeviceGroup status both count "up to date" this way.
import { Reason } from './reasons.ts';
import type { ComponentPlan, DevicePlan } from './types.ts';

const BY_DESIGN_MANUAL = new Set<string>([Reason.ManualOnlyComponent, Reason.AutoUpdateDisabled]);

/** Not updated automatically by design: counted, but not pending. */
export function isQuiet(c: ComponentPlan): boolean {
  return c.state === 'Blocked' && BY_DESIGN_MANUAL.has(c.reason);
}

/** Every component up to date, or not updated automatically by design. */
export function isUpToDate(d: DevicePlan): boolean {
  return d.components.every((c) => c.state === 'UpToDate' || isQuiet(c));
}
