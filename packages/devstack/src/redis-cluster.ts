import { join } from "node:path";
import { freePort } from "./ports.js";
import { createRedis } from "./redis.js";
import { infoFields, redisCli } from "./redis-cli.js";
import type { DevServer } from "./server.js";
import { waitFor } from "./wait.js";

export interface RedisClusterOptions {
  dir: string;
  /** Masters (3 by default: the fewest redis-cli --cluster create accepts). */
  masters?: number;
  /** One replica per master. */
  replicas?: boolean;
}

export interface RedisCluster {
  /** Every node, masters first as created (with replicas, redis-cli chooses which node replicates which). */
  nodes: DevServer[];
  /** redis-cluster://127.0.0.1:p1,127.0.0.1:p2,... (the REDIS_URL form M10 reads). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster from the machine's redis-server: one process per node with --cluster-enabled on
 * free ports (the cluster bus port is chosen too, since port+10000 may be taken or out of range),
 * joined with `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
 */
export async function startRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const count = (options.masters ?? 3) * (options.replicas ? 2 : 1);
  const nodes: DevServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--cluster-port", String(busPort)];
      nodes.push(await createRedis({ dir: join(options.dir, `node-${i}`), port, durable: false, extraArgs: args }));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await redisCli(nodes[0]!.port, ["--cluster", "create", ...addresses, "--cluster-replicas", options.replicas ? "1" : "0", "--cluster-yes"], 60_000);
    await waitFor(
      "Redis Cluster",
      async () => {
        for (const node of nodes) {
          const info = infoFields(await redisCli(node.port, ["CLUSTER", "INFO"]));
          if (info.get("cluster_state") !== "ok" || info.get("cluster_known_nodes") !== String(count)) return false;
        }
        return true;
      },
      60_000,
      200,
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    nodes,
    url: `redis-cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(",")}`,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
