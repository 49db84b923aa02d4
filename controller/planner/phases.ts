// Update phases (seed 000 "Assign phones to update phases"; seed 002): a release starts deploying to a
// phase `deferral` after its releasedAt (Validation 0/0 d, General 30/15 d, Final 90/45 d for
// firmware / Teams app), and the phase's devices are spread over its rolloutDuration by a stable
// slot. lagVersions (N-1) is applied in versions.ts.
import type { AutoUpdateComponent } from '../api/types.ts';
import type { CompiledPhase, CompiledRelease, ComponentInput, PlanContext } from './gather.ts';
import { Reason } from './reasons.ts';
import { slotStart } from './slots.ts';
import type { Availability } from './versions.ts';

/** When the phase opens for a release: releasedAt + the phase's deferral for the component. */
export function phaseStart(phase: CompiledPhase, r: CompiledRelease): number {
  return r.releasedAt + (phase.deferralMs[r.component as AutoUpdateComponent] ?? 0);
}

/** When the phase's rollout of a release ends. */
export function phaseEnd(phase: CompiledPhase, r: CompiledRelease): number {
  return phaseStart(phase, r) + phase.rolloutMs;
}

/** A phase device's earliest start for a release: the phase start plus its slot in the rollout. */
export function phaseAvailability(ci: ComponentInput, r: CompiledRelease, ctx: PlanContext): Availability {
  const phase = ci.d.stage.phase!;
  const stageStart = phaseStart(phase, r);
  return {
    release: r,
    at: slotStart(stageStart, phase.rolloutMs, ci.d.device.id, r.version),
    stageStart,
    stageName: phase.name,
    waitReason: ctx.now < stageStart ? Reason.PhaseDeferral : Reason.RolloutSlot,
    dueReason: Reason.PhaseRollout,
  };
}
