// Filling in a caller's partial RuleContext with the engine's defaults.
import type { ResolvedRuleContext, RuleContext } from "./types.js";

export const DEFAULT_OCCURRENCE_COUNT = 1;

export function resolveContext(context: RuleContext): ResolvedRuleContext {
  return {
    errorCode: context.errorCode,
    errorMessage: context.errorMessage ?? "",
    skillId: context.skillId ?? null,
    tenantId: context.tenantId ?? null,
    agentId: context.agentId ?? null,
    occurrenceCount: context.occurrenceCount ?? DEFAULT_OCCURRENCE_COUNT,
    historicalMatches: context.historicalMatches ?? [],
    metadata: context.metadata ?? {},
  };
}
