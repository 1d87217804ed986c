// The claim-worker service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";

export const claimWorkerConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(9101),
});
export type ClaimWorkerConfig = z.infer<typeof claimWorkerConfigSchema>;
