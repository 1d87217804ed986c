// The console's stylesheet, script and icon, read once at start-up and served from memory: no
// CDN, nothing fetched from elsewhere (the Content-Security-Policy allows 'self' only).
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

const ASSETS: Readonly<Record<string, string>> = {
  "console.css": "text/css; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

export function assetRoutes(app: FastifyInstance): void {
  const dir = new URL("../../assets/", import.meta.url);
  const files = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(new URL(name, dir)) }]));
  app.get("/assets/:name", { config: { public: true } }, async (request, reply) => {
    const file = files.get((request.params as { name: string }).name);
    if (!file) return reply.code(404).type("application/problem+json").send({ type: "about:blank", title: "Not Found", status: 404, code: "not_found", detail: "No such asset" });
    return reply.type(file.type).header("cache-control", "public, max-age=300").send(file.body);
  });
}
