// Health after an update (seed 001 "Test Period: the number of days to test/validate the update in a ring
// once applied"): a room that goes offline or unhealthy within its ring's test period after an update
// counts as a failure of that release in its ring, so the failure threshold can pause the release before
// the next ring starts. It counts while the device stays unhealthy: once seen unhealthy inside the test
// period (the record stage keeps that instant on the operation, `unhealthyAfter`), later passes still
// count it after the period has ended; a device that recovers stops counting, the way a failed device
// that is retried successfully does. Phases (seed 000) have no test period: phones are not watched.
import type { DeviceOperation, FleetDevice } from '../api/types.ts';
import type { ComponentHistory, ComponentInput, Decision, DeviceInput, PlanContext } from './gather.ts';
import { Reason } from './reasons.ts';

/** Offline or unhealthy as the back end reports it (Graph healthStatus / activityState). */
export function unhealthy(device: FleetDevice): string | null {
  if (device.online === false || device.activityState === 'offline' || device.healthStatus === 'offline') return 'offline';
  if (device.healthStatus === 'critical') return 'unhealthy (healthStatus critical)';
  return null;
}

/** The update whose test period the device's poor health counts against, or null. */
export function unhealthyAfter(d: DeviceInput, current: string | null, history: ComponentHistory, ctx: PlanContext): DeviceOperation | null {
  const ring = d.stage.ring;
  const op = history.lastSuccess;
  if (!ring || !op || current === null || op.toVersion !== current || !unhealthy(d.device)) return null;
  if (op.unhealthyAfter) return op;
  const done = Date.parse(op.completedAt ?? op.startedAt ?? op.createdAt);
  return ctx.now < done + ring.testMs ? op : null;
}

/** Gate: an automatic component whose update is followed by poor health in the test period is Failed. */
export function unhealthyAfterUpdate(ci: ComponentInput, ctx: PlanContext): Decision | null {
  const op = unhealthyAfter(ci.d, ci.current, ci.history, ctx);
  if (!op) return null;
  const ring = ci.d.stage.ring!;
  return {
    state: 'Failed', reason: Reason.UnhealthyAfterUpdate, target: ci.current, notBefore: null,
    message: `${unhealthy(ci.d.device)} within ring ${ring.name}'s test period after the update to ${ci.current} (operation ${op.id}, ${op.completedAt ?? op.createdAt}); counts against the ring's failure threshold`,
  };
}
