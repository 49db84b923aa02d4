// Builders for notification tests: NotificationProvider / NotificationRule YAML, and rooms whose release
// pauses in Staging on the second pass (every update fails beyond the ring's 10% threshold).
import { Fixture, aRing, aRoom, aRoomCatalog, aRoomConfig } from './reconciler-fixture.ts';

/** A NotificationProvider; `spec` is its fields as YAML lines. */
export function aProvider(name: string, spec: string): string {
  return `apiVersion: fleetward.dev/v1alpha1\nkind: NotificationProvider\nmetadata:\n  name: ${name}\nspec:\n  ${spec.trim().split('\n').join('\n  ')}\n`;
}

/** A NotificationRule sending to `provider`; `spec` is its other fields as YAML lines. */
export function aRule(name: string, provider: string, spec = 'events: [ReleasePaused]'): string {
  return `apiVersion: fleetward.dev/v1alpha1\nkind: NotificationRule\nmetadata:\n  name: ${name}\nspec:\n  providerRef:\n    name: ${provider}\n  ${spec.trim().split('\n').join('\n  ')}\n`;
}

/** `rooms` failing rooms r1… in ring Staging with the critical release rooms-5-2; `extra` config files beside. */
export function pausedRooms(extra: Record<string, string>, rooms = 4): Fixture {
  return new Fixture({
    devices: Array.from({ length: rooms }, (_, i) => aRoom(`r${i + 1}`)),
    releases: aRoomCatalog('2026-11-20T00:00:00Z'),
    behaviour: { failureRate: 1 },
    config: { ...aRoomConfig(aRing('Staging', 1), '2026-11-20T00:00:00Z'), ...extra },
  });
}

/** The two passes of pausedRooms: the updates start, then (two hours on) they have failed and the release pauses. */
export async function passUntilPaused(f: Fixture): Promise<void> {
  await f.reconciler.reconcile();
  f.clock.advance(2 * 3_600_000);
  await f.reconciler.reconcile();
}
