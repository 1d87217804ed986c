// The control socket of `make up` (<dir>/control.sock): lets a chaos script stop, start, kill,
// pause and resume the processes `up` owns, so whatever it does, Ctrl-C still stops everything.
import { existsSync, unlinkSync } from "node:fs";
import { createServer, request, type Server } from "node:http";

export const CONTROL_ACTIONS = ["stop", "start", "kill", "pause", "resume"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ProcessStatus {
  name: string;
  pid: number | undefined;
  running: boolean;
  /** Stopped on request: not restarted until started again. */
  held: boolean;
  restarts: number;
}

/** What the control server needs of `up`: the processes by name and what to do with each. */
export interface ControlledProcesses {
  list(): ProcessStatus[];
  act(name: string, action: ControlAction): Promise<void>;
}

class ControlRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function serveControl(socketPath: string, processes: ControlledProcesses): Promise<Server> {
  if (existsSync(socketPath)) unlinkSync(socketPath); // left by an `up` that was killed
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const handle = async () => {
      const path = (req.url ?? "/").split("/").filter(Boolean);
      if (req.method === "GET" && path.length === 1 && path[0] === "processes") return processes.list();
      const [collection, name, action] = path;
      if (req.method !== "POST" || collection !== "processes" || !name || !action || path.length !== 3) {
        throw new ControlRequestError(404, "use GET /processes or POST /processes/<name>/<action>");
      }
      if (!(CONTROL_ACTIONS as readonly string[]).includes(action)) throw new ControlRequestError(400, `unknown action ${action}`);
      if (!processes.list().some((p) => p.name === name)) throw new ControlRequestError(404, `unknown process ${name}`);
      await processes.act(name, action as ControlAction);
      return processes.list().find((p) => p.name === name);
    };
    handle().then(
      (body) => reply(200, body),
      (error: unknown) => reply(error instanceof ControlRequestError ? error.status : 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

/** One request to a control socket; rejects on a non-2xx answer with the server's message. */
export function controlRequest<T>(socketPath: string, method: "GET" | "POST", path: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null") as T & { error?: string };
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${body?.error ?? res.statusCode}`));
        else resolve(body);
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
