// Ingest load from the test process: single ingests round-robin over several ingest processes, and
// batches for the large scenarios. Records which candidates the API accepted (2xx) and what else it
// answered, so a test checks exactly the work that was acknowledged.
import { randomUUID } from "node:crypto";
import type { RunningService } from "@m10/devstack/testing";
import { ingest, MACHINE_TOKEN } from "./services.js";

export interface IngestLoad {
  /** Candidate ids answered 202/200. */
  readonly accepted: number[];
  /** Non-2xx statuses and request errors, by status or error name. */
  readonly refused: Map<string, number>;
  /** Stops sending; resolves once every request in flight has been answered. */
  stop(): Promise<void>;
}

/** `concurrency` clients sending one single ingest after another, round-robin over `apis`, until stopped. */
export function startIngestLoad(apis: readonly RunningService[], concurrency: number): IngestLoad {
  const accepted: number[] = [];
  const refused = new Map<string, number>();
  let running = true;
  let next = 0;
  const refuse = (reason: string) => refused.set(reason, (refused.get(reason) ?? 0) + 1);
  const client = async () => {
    while (running) {
      const api = apis[next++ % apis.length] as RunningService;
      try {
        const { status, candidateId } = await ingest(api, randomUUID());
        if ((status === 202 || status === 200) && candidateId !== undefined) accepted.push(candidateId);
        else refuse(String(status));
      } catch (error) {
        refuse(error instanceof Error ? error.name : "error");
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    accepted,
    refused,
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

/** POST /ingest/batch of `size` new failures; resolves with the accepted candidate ids. */
export async function ingestBatch(api: RunningService, size: number): Promise<number[]> {
  const items = Array.from({ length: size }, () => ({
    failure_match_id: randomUUID(),
    failure_payload: { error_type: "TIMEOUT", raw: "Connection timed out after 30s" },
    source: "cluster-test",
  }));
  const response = await fetch(`${api.url}/api/v1/recovery/ingest/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MACHINE_TOKEN}` },
    body: JSON.stringify({ items }),
    signal: AbortSignal.timeout(60_000),
  });
  if (response.status !== 202) throw new Error(`batch ingest answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { results: { status: string; candidate_id: number | null }[] };
  return body.results.filter((result) => result.status === "accepted" && result.candidate_id !== null).map((result) => result.candidate_id as number);
}
