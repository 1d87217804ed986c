// The bounds of a pin's tenant and key (docs/architecture.md §4.6, memory pins): at most 256 and
// 512 characters, and at most 1,024 bytes each in UTF-8, so (tenant_id, key) always fits a btree
// index row. Over a bound is 400 value_too_long naming the field, never a 500; the schema holds
// the same byte bounds.
import { describe, expect, it } from "vitest";
import { useTestApp } from "./support/test-app.js";

// RBAC off: the tenant comes from the request, so its length is the client's.
const t = useTestApp({ env: { RBAC_ENFORCE: "false", M10_RATE_LIMIT_PINS_MAX: "100000" } });

const put = (tenant: string, key: string) => t.app.inject({ method: "POST", url: "/api/v1/memory/pins", payload: { tenant_id: tenant, key, value: { ok: true } } });
const path = (tenant: string, key: string) => `/api/v1/memory/pins/${encodeURIComponent(key)}?tenant_id=${encodeURIComponent(tenant)}`;

/** `count` random 4-byte characters (U+10000..U+10FFFF), which PostgreSQL cannot compress to fit an index row. */
function fourByteText(count: number): string {
  return Array.from(crypto.getRandomValues(new Uint32Array(count)), (n) => String.fromCodePoint(0x10000 + (n % 0x100000))).join("");
}
const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("pin tenant and key bounds", () => {
  it("stores, reads and deletes a pin whose tenant and key are just within the bounds in 4-byte characters", async () => {
    const tenant = fourByteText(256);
    const key = fourByteText(256);
    expect([bytes(tenant), bytes(key)]).toEqual([1024, 1024]);
    const created = await put(tenant, key);
    expect(created.statusCode).toBe(201);
    const read = await t.app.inject({ method: "GET", url: path(tenant, key) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ tenant_id: tenant, key });
    expect((await t.app.inject({ method: "DELETE", url: path(tenant, key) })).statusCode).toBe(200);
  });

  it("stores a 512-character ASCII key under a 256-character tenant", async () => {
    expect((await put("t".repeat(256), "k".repeat(512))).statusCode).toBe(201);
  });

  it("answers 400 value_too_long naming the field for a key or tenant just over a bound, where 4-byte characters answered 500", async () => {
    for (const [field, tenant, key] of [
      ["key", fourByteText(256), fourByteText(512)],
      ["key", "acme", `${fourByteText(256)}a`],
      ["key", "acme", "k".repeat(513)],
      ["tenant_id", "t".repeat(257), "k"],
    ] as const) {
      const response = await put(tenant, key);
      expect(response.statusCode, `${field} ${bytes(tenant)}/${bytes(key)}`).toBe(400);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      expect(response.json()).toMatchObject({ code: "value_too_long", field, location: "body" });
    }
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM system.memory_pins WHERE octet_length(key) > 1024");
    expect(rows[0].n).toBe(0);
  });

  it("answers 400, never 500, for 10 kB tenants and keys on every pins route", async () => {
    const huge = fourByteText(2_500);
    const answers = [
      await put(huge, "k"),
      await put("acme", huge),
      await put(huge, huge),
      await t.app.inject({ method: "GET", url: `/api/v1/memory/pins?tenant_id=${encodeURIComponent(huge)}` }),
      await t.app.inject({ method: "GET", url: path(huge, "k") }),
      await t.app.inject({ method: "DELETE", url: path(huge, "k") }),
      await t.app.inject({ method: "POST", url: `/api/v1/memory/pins/cleanup?tenant_id=${encodeURIComponent(huge)}` }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBeGreaterThanOrEqual(400);
      expect(answer.statusCode).toBeLessThan(500);
      expect(answer.headers["content-type"]).toContain("application/problem+json");
    }
    expect(answers.slice(0, 4).map((a) => a.json().code)).toEqual(["value_too_long", "value_too_long", "value_too_long", "value_too_long"]);
  });

  it("answers 400 value_too_long for a key path parameter over 1,024 bytes", async () => {
    const response = await t.app.inject({ method: "GET", url: path("acme", `${fourByteText(256)}a`) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "value_too_long", field: "key", location: "path" });
  });

  it("holds the byte bounds in the schema: a direct insert over them is refused", async () => {
    for (const [tenant, key] of [
      ["acme", "k".repeat(1025)],
      ["t".repeat(1025), "k"],
    ]) {
      await expect(t.pool.query("INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ($1, $2, '{}')", [tenant, key])).rejects.toMatchObject({ code: "23514" });
    }
  });
});
