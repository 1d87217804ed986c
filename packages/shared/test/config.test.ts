import { describe, expect, it } from "vitest";
import { redisEnv } from "../src/config/common.js";
import { ConfigError, describeEnv, parseEnv } from "../src/config/env.js";
import { ingestConfigSchema } from "../src/config/ingest.js";
import { streamKeysFromEnv } from "../src/config/stream-keys-env.js";
import { outboxProcessorConfigSchema } from "../src/config/outbox-processor.js";
import { z } from "zod";
import { hashTag, rateLimitPrefix, streamKeys, sweepMemoKey, throttlePrefix } from "../src/redis/keys.js";

describe("configuration", () => {
  it("applies the runbook's defaults when only DATABASE_URL is set", () => {
    const config = parseEnv(z.object(redisEnv), {});
    expect(config).toMatchObject({
      REDIS_URL: "redis://localhost:6379/0",
      M10_STREAM_KEY: "m10:evaluate:stream",
      M10_CONSUMER_GROUP: "m10:evaluate:group",
      M10_DEAD_LETTER_STREAM: "m10:evaluate:dead-letter",
      M10_DEAD_LETTER_MAX_LEN: 10000,
      M10_CLAIM_IDLE_MS: 60000,
      M10_MAX_RECLAIM_ATTEMPTS: 3,
    });
  });

  it("names every Redis key with the {m10}: hash tag on a Redis Cluster, and follows M10_REDIS_KEY_PREFIX", () => {
    const cluster = parseEnv(z.object(redisEnv), { REDIS_URL: "redis-cluster://10.0.0.1:7000,10.0.0.2:7000" });
    expect(cluster).toMatchObject({
      M10_REDIS_KEY_PREFIX: "{m10}:",
      M10_STREAM_KEY: "{m10}:evaluate:stream",
      M10_DEAD_LETTER_STREAM: "{m10}:evaluate:dead-letter",
      M10_CONSUMER_GROUP: "m10:evaluate:group",
    });
    const keys = streamKeys(cluster);
    expect([rateLimitPrefix(keys), throttlePrefix(keys), sweepMemoKey(keys)]).toEqual(["{m10}:ratelimit:", "{m10}:throttle:", "{m10}:sweep:requeued"]);
    expect(parseEnv(z.object(redisEnv), {})).toMatchObject({ M10_REDIS_KEY_PREFIX: "m10:", M10_STREAM_KEY: "m10:evaluate:stream" });
    expect(parseEnv(z.object(redisEnv), { M10_REDIS_KEY_PREFIX: "{prod-m10}:" })).toMatchObject({
      M10_STREAM_KEY: "{prod-m10}:evaluate:stream",
      M10_DEAD_LETTER_STREAM: "{prod-m10}:evaluate:dead-letter",
    });
  });

  it("gives programs outside a service the stream names the services read from the same environment", () => {
    expect(streamKeysFromEnv({})).toEqual({ stream: "m10:evaluate:stream", group: "m10:evaluate:group", deadLetter: "m10:evaluate:dead-letter", prefix: "m10:" });
    expect(streamKeysFromEnv({ REDIS_URL: "redis-cluster://10.0.0.1:7000" })).toMatchObject({ stream: "{m10}:evaluate:stream", deadLetter: "{m10}:evaluate:dead-letter" });
    expect(streamKeysFromEnv({ M10_STREAM_KEY: "bench:stream" }).stream).toBe("bench:stream");
  });

  it("refuses stream keys in different cluster slots, which would fail every dead-letter move with CROSSSLOT", () => {
    const env = { REDIS_URL: "redis-cluster://10.0.0.1:7000", M10_STREAM_KEY: "m10:evaluate:stream", M10_DEAD_LETTER_STREAM: "m10:evaluate:dead-letter" };
    expect(() => parseEnv(z.object(redisEnv), env)).toThrow(/M10_DEAD_LETTER_STREAM: on a Redis Cluster it must share a hash tag/);
    expect(() => parseEnv(z.object(redisEnv), { ...env, REDIS_URL: "redis://10.0.0.1:6379" })).not.toThrow();
    expect(hashTag("{m10}:evaluate:stream")).toBe("m10");
    expect(hashTag("{}:x{y}")).toBe("{}:x{y}");
  });

  it("lists every problem at once instead of failing on the first", () => {
    try {
      parseEnv(ingestConfigSchema, { M10_CLAIM_IDLE_MS: "lots", LOG_LEVEL: "loud" });
      expect.unreachable("parseEnv accepted a broken environment");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues.join("\n");
      expect(issues).toMatch(/DATABASE_URL/);
      expect(issues).toMatch(/M10_CLAIM_IDLE_MS/);
      expect(issues).toMatch(/LOG_LEVEL/);
    }
  });

  it("refuses negative backoff and poll values instead of scheduling retries in the past", () => {
    const base = { DATABASE_URL: "postgres://localhost/x" };
    for (const name of ["OUTBOX_BACKOFF_BASE_SECONDS", "OUTBOX_BACKOFF_MAX_SECONDS", "OUTBOX_POLL_INTERVAL"]) {
      expect(() => parseEnv(outboxProcessorConfigSchema, { ...base, [name]: "-1" }), name).toThrow(new RegExp(`${name}: .*>=0`));
      expect(parseEnv(outboxProcessorConfigSchema, { ...base, [name]: "0" })[name as "OUTBOX_POLL_INTERVAL"]).toBe(0);
    }
  });

  it("keeps payload addressing off by default and refuses an allowance that is not an IP or CIDR", () => {
    const base = { DATABASE_URL: "postgres://localhost/x" };
    expect(parseEnv(outboxProcessorConfigSchema, base)).toMatchObject({ OUTBOX_PAYLOAD_ADDRESSING_ENABLED: false, OUTBOX_PAYLOAD_ALLOWED_HOSTS: "", OUTBOX_PAYLOAD_ALLOWED_PRIVATE: "" });
    expect(parseEnv(outboxProcessorConfigSchema, { ...base, OUTBOX_PAYLOAD_ALLOWED_PRIVATE: "127.0.0.1, 10.0.0.0/8,fd00::/8" }).OUTBOX_PAYLOAD_ALLOWED_PRIVATE).toBeTruthy();
    for (const bad of ["localhost", "10.0.0.0/33", "10.0.0.0/8/1"]) {
      expect(() => parseEnv(outboxProcessorConfigSchema, { ...base, OUTBOX_PAYLOAD_ALLOWED_PRIVATE: bad }), bad).toThrow(/OUTBOX_PAYLOAD_ALLOWED_PRIVATE: every entry must be an IP address or a CIDR/);
    }
  });

  it("documents every variable with a description and its default", () => {
    const docs = describeEnv(ingestConfigSchema);
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) expect(doc.description, doc.name).not.toBe("");
    expect(docs.find((d) => d.name === "DATABASE_URL")?.default).toBe("(required)");
    expect(docs.find((d) => d.name === "M10_CLAIM_IDLE_MS")?.default).toBe("60000");
  });
});

describe("optional variables", () => {
  it("are documented as unset, not required", () => {
    const schema = z.object({ SLACK_WEBHOOK_URL: z.string().optional().describe("Slack URL") });
    expect(describeEnv(schema)).toEqual([{ name: "SLACK_WEBHOOK_URL", default: "(unset)", description: "Slack URL" }]);
  });
});

describe("boolean variables", () => {
  it("show their default value in the docs", () => {
    const docs = describeEnv(ingestConfigSchema);
    expect(docs.find((d) => d.name === "RBAC_ENFORCE")?.default).toBe("true");
  });
});
