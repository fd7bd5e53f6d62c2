/** Status conditions as users read them: `Accepted` True/False with a reason and a message. */
import type { Condition, Status } from "../api/v1alpha1";

export const ACCEPTED = "Accepted";

/** The verdict on one object: whether it is in use, and why (not). */
export interface Verdict {
  accepted: boolean;
  reason: string;
  message: string;
}

/**
 * The object's conditions with `Accepted` set from `verdict`. `lastTransitionTime` moves only when
 * the condition's status flips, so re-reconciling an unchanged object writes nothing new.
 */
export function withAcceptedCondition(
  current: Condition[] | undefined,
  verdict: Verdict,
  generation: number,
  now: string,
): Condition[] {
  const previous = current?.find(c => c.type === ACCEPTED);
  const status = verdict.accepted ? "True" : "False";
  const next: Condition = {
    type: ACCEPTED,
    status,
    observedGeneration: generation,
    lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : now,
    reason: verdict.reason,
    message: verdict.message,
  };
  return [...(current ?? []).filter(c => c.type !== ACCEPTED), next];
}

/** The status to write for `verdict`, keeping other conditions. */
export function statusFor(
  current: Status | undefined,
  verdict: Verdict,
  generation: number,
  now: string,
): Status {
  return {
    conditions: withAcceptedCondition(current?.conditions, verdict, generation, now),
    observedGeneration: generation,
  };
}

/** Whether writing `next` would change anything a user can see. */
export function sameStatus(current: Status | undefined, next: Status): boolean {
  return JSON.stringify(normalise(current)) === JSON.stringify(normalise(next));
}

function normalise(status: Status | undefined) {
  const conditions = [...(status?.conditions ?? [])].sort((a, b) => a.type.localeCompare(b.type));
  return {
    observedGeneration: status?.observedGeneration,
    conditions: conditions.map(c => [
      c.type,
      c.status,
      c.observedGeneration,
      c.lastTransitionTime,
      c.reason,
      c.message,
    ]),
  };
}
