import type { Experiment } from "../experiment.js";
import { dbConnectionExhaustion } from "./db-connection-exhaustion.js";
import { memoryPinStorm } from "./memory-pin-storm.js";
import { natsStop } from "./nats-stop.js";
import { postgresRestart } from "./postgres-restart.js";
import { redisDisconnect } from "./redis-disconnect.js";
import { serviceKill } from "./service-kill.js";
import { sinkFailures } from "./sink-failures.js";
import { workerPause } from "./worker-pause.js";

/** Seed 003's three experiments first, then the fault suite's list in its order. */
export const EXPERIMENTS: Experiment[] = [redisDisconnect, dbConnectionExhaustion, memoryPinStorm, serviceKill, postgresRestart, natsStop, sinkFailures, workerPause];
