// What every route plugin needs, decorated onto the Fastify instance once as `app.m10`.
import type { IngestConfig, Logger, M10Metrics, Pool, RedisClient, ServiceMetrics, StreamKeys } from "@m10/shared";
import type { AuditDecision } from "./auth/rbac.js";
import type { CandidateService } from "./candidates/candidate-service.js";
import type { EvaluationEnqueuer } from "./ingest/evaluation-enqueuer.js";
import type { IngestService } from "./ingest/ingest-service.js";
import type { SourceLabel } from "./ingest/source-label.js";

export interface AppContext {
  config: IngestConfig;
  logger: Logger;
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  metrics: ServiceMetrics<"ingest">;
  registry: M10Metrics<"ingest">["registry"];
  ingest: IngestService;
  candidates: CandidateService;
  enqueuer: EvaluationEnqueuer;
  sourceLabel: SourceLabel;
  rbac: { enforce: boolean; audit: AuditDecision };
}

declare module "fastify" {
  interface FastifyInstance {
    m10: AppContext;
  }
}
