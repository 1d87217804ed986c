// The orchestrator service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";

export const orchestratorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9103),
});
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;
