import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { binary } from "./binaries.js";
import { ManagedProcess } from "./managed-process.js";
import { freePort } from "./ports.js";
import { serverFrom, type DevServer } from "./server.js";
import { tcpExchange, waitFor } from "./wait.js";

export interface NatsClusterOptions {
  dir: string;
  /** Servers (3 by default: JetStream R3 needs three). */
  size?: number;
}

export interface NatsClusterNode extends DevServer {
  /** The server name (-n): what JetStream reports as a stream's leader. */
  readonly serverName: string;
  /** The HTTP monitoring port (/jsz, /healthz). */
  readonly monitorPort: number;
}

export interface NatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's client URL, comma-separated (the NATS_URL form M10 reads). */
  url: string;
  /** The node leading `stream` right now (JetStream's own answer, from a live node's /jsz). */
  streamLeader(stream: string): Promise<NatsClusterNode | undefined>;
  stop(): Promise<void>;
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number };
  account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
}

async function jsz(node: NatsClusterNode, query = ""): Promise<Jsz> {
  const response = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz${query}`, { signal: AbortSignal.timeout(2_000) });
  return (await response.json()) as Jsz;
}

/**
 * A NATS cluster with JetStream from the machine's nats-server: `size` servers on free client,
 * route and monitoring ports, each routed to all the others; ready once every node agrees on a
 * JetStream meta leader (before that, creating a replicated stream fails).
 */
export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const specs = [];
  for (let i = 0; i < size; i++) specs.push({ name: `n${i + 1}`, port: await freePort(), routePort: await freePort(), monitorPort: await freePort() });
  const routes = specs.map((spec) => `nats://127.0.0.1:${spec.routePort}`).join(",");
  const nodes: NatsClusterNode[] = [];
  try {
    for (const spec of specs) {
      const dir = join(options.dir, spec.name);
      mkdirSync(join(dir, "jetstream"), { recursive: true });
      const proc = new ManagedProcess({
        command: binary("nats-server", "nats-server"),
        args: [
          "-a", "127.0.0.1", "-p", String(spec.port), "-m", String(spec.monitorPort), "-n", spec.name, "-js", "-sd", join(dir, "jetstream"),
          "--cluster_name", "m10", "--cluster", `nats://127.0.0.1:${spec.routePort}`, "--routes", routes,
        ],
        logFile: join(dir, "nats.log"),
      });
      const ready = () => waitFor("NATS", async () => (await tcpExchange(spec.port, undefined)).startsWith("INFO"));
      const server = serverFrom("nats", spec.port, `nats://127.0.0.1:${spec.port}`, proc, ready);
      nodes.push({ ...server, get running() { return server.running; }, serverName: spec.name, monitorPort: spec.monitorPort });
    }
    // Start all before waiting on any: a node's JetStream waits for its peers.
    await Promise.all(nodes.map((node) => node.start()));
    await waitFor(
      "NATS cluster",
      async () => {
        for (const node of nodes) {
          const meta = (await jsz(node)).meta_cluster;
          if (!meta?.leader || meta.cluster_size !== size) return false;
        }
        return true;
      },
      60_000,
      250,
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    nodes,
    url: nodes.map((node) => node.url).join(","),
    async streamLeader(stream) {
      for (const node of nodes.filter((candidate) => candidate.running)) {
        try {
          const details = (await jsz(node, "?streams=true")).account_details ?? [];
          const leader = details.flatMap((account) => account.stream_detail ?? []).find((detail) => detail.name === stream)?.cluster?.leader;
          if (leader) return nodes.find((candidate) => candidate.serverName === leader);
        } catch {
          // that node is not answering: ask the next one
        }
      }
      return undefined;
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
