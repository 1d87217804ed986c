// The outbox-processor service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";

export const outboxProcessorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9102),
});
export type OutboxProcessorConfig = z.infer<typeof outboxProcessorConfigSchema>;
