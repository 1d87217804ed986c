export { connectNats, ensureStream, jetstreamClient, publishWithId, type JetStreamClient, type NatsConnection, type PubAck } from "./connection.js";
