// Property: no request, however malformed or hostile, gets a 5xx or takes the process down.
// fast-check generates > 1,000 requests (wrong types, huge strings, deep nesting, invalid UTF-8,
// SQL and header injection attempts) and sends them over real HTTP to the built service.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import pg from "pg";
import { createTestDatabase, startService, useEnvironment } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, FILE_TOKENS, INGEST_BIN, MACHINE_TOKEN, serviceEnv } from "./support/test-app.js";

const RUNS = 1_200;

/** The built service on a database of the file's own. */
const t = useEnvironment(async (defer) => {
  const db = await createTestDatabase();
  defer(db.drop);
  const service = await startService(INGEST_BIN, serviceEnv(db.url, { LOG_LEVEL: "warn" }));
  defer(() => service.stop());
  return { db, service };
});

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** The answer's status, or "closed" when the server ended the exchange early (e.g. a 413/414 sent with Connection: close before the body was read). */
function send(sent: Sent): Promise<number | "closed"> {
  const url = new URL(t.service.url);
  return new Promise((resolve) => {
    let status: number | undefined;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: sent.method, path: sent.path, headers: sent.headers, timeout: 15_000, agent: false },
      (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        res.on("end", () => resolve(status ?? 0));
        res.on("error", () => resolve(status ?? "closed"));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(status ?? "closed"));
    req.end(sent.body);
  });
}

const describeRequest = (r: Sent) => `${r.method} ${r.path.slice(0, 80)} ${JSON.stringify(r.headers).slice(0, 120)} ${r.body?.subarray(0, 120).toString("latin1") ?? ""}`;

const printable = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const hostileText = fc.constantFrom(
  "'; DROP TABLE recovery_candidates; --",
  "1 OR 1=1",
  "\" OR \"\"=\"",
  "\u0000",
  "a\u0000b",
  "%00",
  "../../etc/passwd",
  "\r\nX-Injected: 1",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "\u202e\ufeff",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "",
  " ",
);
const anyText = fc.oneof(fc.string({ maxLength: 300 }), hostileText, fc.string({ unit: "binary", maxLength: 100 }));
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  anyText,
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.uuid(),
);

const validIngest = fc.record({
  failure_match_id: fc.uuid(),
  failure_payload: fc.record({ error_type: fc.constantFrom("TIMEOUT", "HTTP_5XX", "AUTH"), raw: fc.string({ maxLength: 80 }) }),
  source: fc.constantFrom("fuzz", "api"),
});

/** An ingest-shaped body with one field (possibly nested) replaced by anything. */
const mutatedIngest = fc
  .tuple(validIngest, fc.constantFrom("failure_match_id", "failure_payload", "source", "idempotency_key", "enqueue_evaluation", "error_type", "raw", "meta"), anyValue)
  .map(([body, field, value]) => {
    const copy: Record<string, unknown> = { ...body, failure_payload: { ...body.failure_payload } };
    if (["error_type", "raw", "meta"].includes(field)) (copy.failure_payload as Record<string, unknown>)[field] = value;
    else copy[field] = value;
    return copy;
  });

const pinBody = fc.record({
  key: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,30}$/), anyText),
  value: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })), anyValue),
  tenant_id: fc.option(anyText, { nil: undefined, freq: 3 }),
  ttl_seconds: fc.option(fc.oneof(fc.integer({ min: 0, max: 40_000_000 }), anyValue), { nil: undefined }),
});

const deepJson = fc.integer({ min: 10, max: 20_000 }).chain((depth) =>
  fc.constantFrom(`{"failure_payload":{"meta":${"[".repeat(depth)}${"]".repeat(depth)}}}`, `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}`),
);

const jsonText = fc.oneof(
  { weight: 4, arbitrary: mutatedIngest.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: validIngest.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: pinBody.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.array(mutatedIngest, { maxLength: 5 }).map((items) => JSON.stringify({ items })) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: validIngest.map((v) => JSON.stringify(v).replace('"fuzz"', '"\\ud800"').replace('"api"', '"\\u0000"')) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', "{", "[", "nul", "\"x\"", "1e999999", "") },
  { weight: 1, arbitrary: fc.integer({ min: 200_000, max: 400_000 }).map((n) => JSON.stringify({ failure_match_id: crypto.randomUUID(), failure_payload: { raw: "x".repeat(n) } })) },
);

const bodyBytes = fc.oneof(
  { weight: 8, arbitrary: jsonText.map((text) => Buffer.from(text, "utf8")) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: jsonText.map((text) => Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(text.slice(20))])) },
);

const routes = [
  "/api/v1/recovery/ingest",
  "/api/v1/recovery/ingest/batch",
  "/api/v1/recovery/candidates",
  "/api/v1/recovery/approve",
  "/api/v1/recovery/evaluate",
  "/api/v1/recovery/actions",
  "/api/v1/recovery/stats",
  "/api/v1/memory/pins",
  "/api/v1/memory/pins/cleanup",
];
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...routes) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("/api/v1/recovery/candidates/", "/api/v1/memory/pins/"), anyText).map(([p, s]) => p + encodeURIComponent(s)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom("/api/v1/recovery/candidates", "/api/v1/memory/pins", "/api/v1/recovery/actions"), fc.dictionary(fc.constantFrom("status", "limit", "offset", "since", "prefix", "tenant_id", "include_expired", "error_code", "source", "active_only"), anyText))
      .map(([p, q]) => `${p}?${new URLSearchParams(q as Record<string, string>).toString()}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("/../../etc/passwd", "/%2e%2e/%2e%2e", "/api/v1/recovery/candidates/1%00", "//", "/api/v1/memory/pins/" + "a".repeat(3_000), "/docs/json", "/health/detailed", "/metrics") },
);

const credentials = fc.constantFrom<Record<string, string>>(
  {},
  { authorization: `Bearer ${MACHINE_TOKEN}` },
  { authorization: `Bearer ${ADMIN_TOKEN}` },
  { authorization: `Bearer ${FILE_TOKENS.readonly.token}` },
  { "x-machine-token": MACHINE_TOKEN },
  { authorization: "Bearer" },
  { authorization: "Bearer ' OR 1=1 --" },
  { authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}` },
  { "x-roles": "admin" },
  { "x-machine-token": "" },
);

const anyRequest = fc.record({
  method: fc.constantFrom("GET", "POST", "POST", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "HEAD"),
  path,
  credentials,
  contentType: fc.option(fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml", "*/*", "application/json;;;"), { nil: undefined }),
  idempotencyKey: fc.option(fc.oneof(fc.uuid(), printable(80)), { nil: undefined }),
  requestId: fc.option(printable(200), { nil: undefined }),
  body: fc.option(bodyBytes, { nil: undefined }),
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
const validPin = fc.record({
  key: fc.stringMatching(/^[a-z0-9-]{1,30}$/),
  value: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })),
  ttl_seconds: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
});
/** Well-formed envelopes (right method, route, token and content type) around mostly-valid or hostile bodies. */
const aimed = (path: string, body: fc.Arbitrary<Buffer>) =>
  fc.record({
    method: fc.constant("POST"),
    path: fc.constant(path),
    credentials: fc.constantFrom<Record<string, string>>({ authorization: `Bearer ${MACHINE_TOKEN}` }, { authorization: `Bearer ${ADMIN_TOKEN}` }),
    contentType: fc.constant("application/json"),
    idempotencyKey: fc.option(fc.oneof(fc.uuid(), printable(40)), { nil: undefined, freq: 4 }),
    requestId: fc.option(printable(200), { nil: undefined }),
    body,
  });
const aimedRequest = fc.oneof(
  aimed("/api/v1/recovery/ingest", fc.oneof(validIngest.map(json), mutatedIngest.map(json))),
  aimed("/api/v1/recovery/ingest/batch", fc.array(fc.oneof(validIngest, mutatedIngest), { minLength: 1, maxLength: 20 }).map((items) => json({ items }))),
  aimed("/api/v1/memory/pins", fc.oneof(validPin.map(json), pinBody.map(json))),
  aimed("/api/v1/recovery/evaluate", fc.record({ error_code: anyValue, error_message: anyValue, occurrence_count: anyValue }).map(json)),
  fc.constantFrom("/api/v1/recovery/ingest", "/api/v1/memory/pins", "/api/v1/recovery/approve").chain((p) => aimed(p, bodyBytes)),
);

const request = fc.oneof({ weight: 3, arbitrary: anyRequest }, { weight: 2, arbitrary: aimedRequest });

describe("hostile input", () => {
  it(`answers ${RUNS} generated malformed and hostile requests with no 5xx and stays up`, async () => {
    const statuses = new Map<number | "closed", number>();
    const fiveHundreds: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { ...r.credentials };
        if (r.contentType !== undefined) headers["content-type"] = r.contentType;
        if (r.idempotencyKey !== undefined) headers["idempotency-key"] = r.idempotencyKey;
        if (r.requestId !== undefined) headers["x-request-id"] = r.requestId;
        const sent: Sent = { method: r.method, path: r.path, headers, body: r.method === "GET" || r.method === "HEAD" ? undefined : r.body };
        const status = await send(sent);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // Collected rather than thrown, so a failure report stays readable (bodies can be 400 KB).
        if (status !== "closed" && status >= 500) fiveHundreds.push(`${status} ${describeRequest(sent)}`);
      }),
      { numRuns: RUNS },
    );
    expect(fiveHundreds).toEqual([]);
    // Early closes are rare (a refusal sent before the body was read), never the norm.
    expect(statuses.get("closed") ?? 0).toBeLessThan(RUNS / 20);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(1_000);
    // The generator reaches the interesting answers, not just one kind of rejection.
    const seen = JSON.stringify([...statuses]);
    for (const status of [200, 201, 202, 400, 401, 404, 413, 415]) expect(statuses.get(status) ?? 0, `status ${status} in ${seen}`).toBeGreaterThan(0);

    expect(t.service.child.exitCode).toBeNull();
    const health = await fetch(`${t.service.url}/health`);
    expect(health.status).toBe(200);
    const client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM recovery_candidates");
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    expect(t.service.output()).not.toContain("http.unhandled_error");
  });

  it("survives malformed HTTP on raw sockets and keeps serving", async () => {
    const url = new URL(t.service.url);
    const raw = [
      "GARBAGE\r\n\r\n",
      "POST /api/v1/recovery/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"a\":",
      "POST /api/v1/recovery/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /api/v1/recovery/ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n",
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Long: ${"a".repeat(70_000)}\r\n\r\n`,
      "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: \u00ff\u00fe\r\n\r\n",
      "POST /api/v1/recovery/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
    ];
    for (const payload of raw) {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        let data = "";
        socket.setTimeout(2_000, () => socket.destroy());
        socket.on("data", (chunk) => (data += chunk.toString("latin1")));
        socket.on("close", () => resolve(data));
        socket.on("error", () => resolve(data));
        socket.write(payload, "latin1");
      });
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status !== undefined) expect(Number(status), JSON.stringify(payload.slice(0, 60))).toBeLessThan(500);
    }
    expect(t.service.child.exitCode).toBeNull();
    expect((await fetch(`${t.service.url}/health`)).status).toBe(200);
  });
});
