// The ingest service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

export const ingestConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(8000),
  PORT: env.int(8000, "HTTP port of the ingest API (the runbooks curl localhost:8000)"),
  HOST: env.string("0.0.0.0", "address the ingest API binds"),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;
