// The task bodies the orchestrator runs: the shared maintenance implementations, wired to this
// process's pool, Redis client and settings, plus outbox_process (its own delivery engine).
import type { Logger, OrchestratorConfig, Pool, RedisClient, StreamKeys } from "@m10/shared";
import { type OutboxTask, standaloneTaskBodies, type TaskBody, type TaskName } from "@m10/maintenance";

export interface TaskWiring {
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  config: OrchestratorConfig;
  logger: Logger;
  outbox: OutboxTask;
}

export function taskBodies(w: TaskWiring): Record<TaskName, TaskBody> {
  return {
    ...standaloneTaskBodies({ pool: w.pool, redis: w.redis, keys: w.keys, settings: w.config, logger: w.logger }),
    outbox_process: (options) => w.outbox.run(options),
  };
}
