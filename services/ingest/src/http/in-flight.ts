// Counts API handlers that are running, so a graceful close can wait for them even when their
// clients have gone away (Node's server.close() only waits for open connections, and a handler
// keeps using the pool and Redis after its client disconnected).
import type { FastifyInstance, RouteHandlerMethod } from "fastify";

export class InFlightHandlers {
  private running = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.running;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  drained(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** How long a connection may stay open after the last handler finished, before it is cut. */
const LINGER_AFTER_DRAIN_MS = 1_000;

/**
 * Wraps the handlers of API routes (those with a rate-limit group) and, on close, waits for them
 * before the server closes: Fastify answers new requests 503 from the moment close() is called,
 * in-flight answers carry Connection: close, and connections still open shortly after the last
 * handler finished (a client that hung up mid-request leaves one half-open) are cut, so close()
 * cannot wait on them forever.
 */
export function registerInFlightTracking(app: FastifyInstance, handlers: InFlightHandlers): void {
  app.addHook("onRoute", (route) => {
    if (route.config?.routeGroup === undefined) return;
    const handler = route.handler as (...args: Parameters<RouteHandlerMethod>) => Promise<unknown>;
    route.handler = async function (this: FastifyInstance, request, reply) {
      return handlers.track(() => handler.call(this, request, reply));
    };
  });
  app.addHook("preClose", async () => {
    await handlers.drained();
    app.server.closeIdleConnections();
    setTimeout(() => app.server.closeAllConnections(), LINGER_AFTER_DRAIN_MS).unref();
  });
}
