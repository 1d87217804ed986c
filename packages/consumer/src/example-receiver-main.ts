// m10-example-receiver: startWebhookReceiver as a process, so an operator can run the Phase 7
// idempotency drill against a running stack (docs/runbooks/phase7-operations.md, Idempotency
// Testing). Its work is a log line per event it handled: the drill counts them next to the ledger.
// M10_RECEIVER_FAIL=true simulates the receiver's outage: every event fails (503, ledger row
// `failed`), so the outbox processor retries and finally dead-letters it.
import { createLogger, createPool, createShutdown, exampleReceiverConfigSchema, formatEnvDocs, loadConfigOrExit, versionText } from "@m10/shared";
import { startWebhookReceiver } from "./webhook-receiver.js";

// No flags beyond these two: the receiver is configured by its environment, like the services.
const [flag] = process.argv.slice(2);
if (flag === "--version" || flag === "-V") {
  process.stdout.write(`${versionText("m10-example-receiver")}\n`);
  process.exit(0);
}
if (flag !== undefined) {
  process.stdout.write(`m10-example-receiver: the example receiver of M10's webhook events (@m10/consumer)\n\nEnvironment:\n${formatEnvDocs(exampleReceiverConfigSchema)}\n`);
  process.exit(flag === "--help" || flag === "-h" ? 0 : 2);
}

const config = loadConfigOrExit(exampleReceiverConfigSchema, "m10-example-receiver");
const logger = createLogger("example-receiver", config.LOG_LEVEL);
const shutdown = createShutdown(logger, 10_000);
const pool = createPool(config, logger, "m10-example-receiver");
shutdown.onStop("postgres", () => pool.end());

const receiver = await startWebhookReceiver({
  pool,
  secret: config.M10_RECEIVER_SECRET,
  consumerGroup: config.M10_RECEIVER_CONSUMER_GROUP,
  host: config.M10_RECEIVER_HOST,
  port: config.M10_RECEIVER_PORT,
  handle: async (event) => {
    if (config.M10_RECEIVER_FAIL) throw new Error("simulated outage (M10_RECEIVER_FAIL=true)");
    logger.info({ event_id: event.id, event_type: event.type, outbox_id: event.outbox_id }, "receiver.handled");
    return { handled_at: new Date().toISOString() };
  },
});
shutdown.onStop("webhook-server", () => receiver.close());
logger.info({ url: receiver.url, consumer_group: config.M10_RECEIVER_CONSUMER_GROUP, failing: config.M10_RECEIVER_FAIL }, "receiver.started");
process.exitCode = await shutdown.untilStopped();
