// The compose stack's local Alertmanager receiver (service alert-log): every notification posted
// to it is written to stdout as one JSON line {receiver, status, alerts: [{alertname, severity,
// summary}]}, so alerts are visible without Slack: docker compose logs alert-log
// Plain Node, no dependencies: it runs in the node image as it is.
import { createServer } from "node:http";

const MAX_BODY_BYTES = 1024 * 1024;
const port = Number(process.env.PORT ?? 9094);

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return void res.writeHead(200).end("ok\n");
  if (req.method !== "POST") return void res.writeHead(405, { allow: "POST" }).end();
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const alerts = (body.alerts ?? []).map((alert) => ({
        alertname: alert.labels?.alertname,
        severity: alert.labels?.severity,
        status: alert.status,
        summary: alert.annotations?.summary,
      }));
      console.log(JSON.stringify({ time: new Date().toISOString(), receiver: body.receiver, path: req.url, status: body.status, alerts }));
      res.writeHead(200).end();
    } catch (error) {
      console.log(JSON.stringify({ time: new Date().toISOString(), error: `unreadable notification: ${error.message}` }));
      res.writeHead(400).end();
    }
  });
});

server.listen(port, "0.0.0.0", () => console.log(JSON.stringify({ msg: `alert-log listening on :${port}` })));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
