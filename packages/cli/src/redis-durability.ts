// The Production Handbook's Redis durability check (§7): CONFIG GET appendonly / appendfsync /
// maxmemory-policy must be yes / everysec / noeviction, and INFO persistence must show AOF on.
import type { RedisClient } from "@m10/shared";

type ClusterClient = Extract<RedisClient, { nodes: unknown }>;
/** One server: a standalone client or a node of a cluster. */
type ServerClient = ReturnType<ClusterClient["nodes"]>[number];

function isCluster(client: RedisClient): client is ClusterClient {
  return "nodes" in client && typeof client.nodes === "function";
}

export interface DurabilityCheck {
  name: string;
  expected: string;
  actual: string | null;
  ok: boolean;
  /** error: the handbook's requirement is not met; warning: acceptable but not what it asks for. */
  severity: "error" | "warning" | null;
  message: string | null;
}

export interface NodeDurability {
  node: string;
  config: Record<string, string | null>;
  checks: DurabilityCheck[];
}

function configValue(reply: unknown): string | null {
  return Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : null;
}

function infoField(info: string, field: string): string | null {
  const match = new RegExp(`^${field}:(.*)$`, "m").exec(info);
  return match?.[1]?.trim() ?? null;
}

export async function checkNode(redis: ServerClient, node: string): Promise<NodeDurability> {
  const [appendonly, appendfsync, policy, info] = await Promise.all([
    redis.config("GET", "appendonly").then(configValue),
    redis.config("GET", "appendfsync").then(configValue),
    redis.config("GET", "maxmemory-policy").then(configValue),
    redis.info("persistence"),
  ]);
  const aofEnabled = infoField(info, "aof_enabled");
  const checks: DurabilityCheck[] = [
    {
      name: "appendonly",
      expected: "yes",
      actual: appendonly,
      ok: appendonly === "yes",
      severity: appendonly === "yes" ? null : "error",
      message: appendonly === "yes" ? null : "AOF persistence is off: a Redis restart loses queued evaluations",
    },
    {
      name: "appendfsync",
      expected: "everysec",
      actual: appendfsync,
      ok: appendfsync === "everysec",
      severity: appendfsync === "everysec" ? null : appendfsync === "always" ? "warning" : "error",
      message:
        appendfsync === "everysec" ? null : appendfsync === "always" ? "always is more durable than the handbook's everysec, and slower" : "fsync policy loses more than one second of writes on a crash",
    },
    {
      name: "maxmemory-policy",
      expected: "noeviction",
      actual: policy,
      ok: policy === "noeviction",
      severity: policy === "noeviction" ? null : "error",
      message: policy === "noeviction" ? null : "an eviction policy can silently drop stream entries",
    },
  ];
  if (appendonly === "yes") {
    checks.push({
      name: "aof_enabled",
      expected: "1",
      actual: aofEnabled,
      ok: aofEnabled === "1",
      severity: aofEnabled === "1" ? null : "error",
      message: aofEnabled === "1" ? null : "AOF is configured but not enabled (restart Redis?)",
    });
  }
  return {
    node,
    config: {
      appendonly,
      appendfsync,
      "maxmemory-policy": policy,
      aof_enabled: aofEnabled,
      aof_rewrite_in_progress: infoField(info, "aof_rewrite_in_progress"),
      rdb_bgsave_in_progress: infoField(info, "rdb_bgsave_in_progress"),
    },
    checks,
  };
}

/** Every master of a cluster, or the one server (the Sentinel-chosen master for sentinel URLs). */
export async function checkDurability(client: RedisClient): Promise<NodeDurability[]> {
  if (isCluster(client)) {
    return Promise.all(client.nodes("all").map((node) => checkNode(node, `${node.options.host}:${node.options.port}`)));
  }
  const server = client as ServerClient;
  return [await checkNode(server, `${server.options.host ?? "?"}:${server.options.port ?? "?"}`)];
}
