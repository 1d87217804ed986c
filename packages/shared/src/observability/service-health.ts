// One service's /health/detailed (or /health when it has none), as m10ctl health and the console's
// health page show it: ok / degraded / down / unreachable, with the body it answered.

/** The services with a health server, and the variable that holds each one's base URL. */
export const M10_SERVICES = [
  ["ingest", "INGEST_URL"],
  ["metrics-collector", "METRICS_COLLECTOR_URL"],
  ["claim-worker", "CLAIM_WORKER_URL"],
  ["outbox-processor", "OUTBOX_PROCESSOR_URL"],
  ["orchestrator", "ORCHESTRATOR_URL"],
] as const;

export type ServiceState = "ok" | "degraded" | "down" | "unreachable";

export interface ServiceHealth {
  service: string;
  url: string;
  state: ServiceState;
  optional: boolean;
  http_status: number | null;
  endpoint: string | null;
  body: unknown;
  error: string | null;
}

export interface ServiceHealthOptions {
  timeoutMs: number;
  /** Sent as a bearer token (the ingest API asks for one on /health/detailed). */
  token?: string | undefined;
  /** Reported as "not running (optional)" rather than a failure when unreachable. */
  optional?: boolean;
}

async function fetchJson(url: string, options: ServiceHealthOptions): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

function stateOf(status: number, body: unknown): ServiceState {
  const reported = body && typeof body === "object" ? (body as { status?: unknown }).status : undefined;
  if (status === 503 || reported === "down") return "down";
  if (status >= 200 && status < 300) return reported === "degraded" ? "degraded" : "ok";
  return "down";
}

export async function serviceHealth(service: string, base: string, options: ServiceHealthOptions): Promise<ServiceHealth> {
  const url = base.replace(/\/+$/, "");
  const result: ServiceHealth = { service, url, state: "unreachable", optional: options.optional ?? false, http_status: null, endpoint: null, body: null, error: null };
  try {
    let reply = await fetchJson(`${url}/health/detailed`, options);
    result.endpoint = "/health/detailed";
    if (reply.status === 404) {
      reply = await fetchJson(`${url}/health`, options);
      result.endpoint = "/health";
    }
    result.http_status = reply.status;
    result.body = reply.body;
    result.state = stateOf(reply.status, reply.body);
  } catch (error) {
    result.error = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  }
  return result;
}
