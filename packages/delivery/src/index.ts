// @m10/delivery: the outbox delivery engine. One batch: claim -> route -> throttle -> target ->
// complete / retry / dead-letter, under durable leases. The outbox-processor runs it in a loop;
// the orchestrator's outbox_process task runs one batch of it.
export {
  createDeliveryEngine,
  deliverySettings,
  type BatchOptions,
  type BatchReport,
  type DeliveredEvent,
  type DeliveryEngine,
  type DeliveryEngineDeps,
  type DeliveryMetrics,
  type DeliverySettings,
} from "./engine.js";
export { type CircuitSnapshot, type CircuitState } from "./circuit-breaker.js";
export { loadRoutingConfig, loadRoutingOrExit, type RoutingConfig, type RoutingFile } from "./routing.js";
export { connectNats, type NatsConnection } from "./nats-connection.js";
