import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { parseRetryAfter } from "./backoff.js";
import type { LookupFunction } from "node:net";
import { PermanentDeliveryError, RetryableDeliveryError, type DeliveryError } from "./errors.js";
import type { ResolvedAddress } from "./payload-address-guard.js";
import { errorMessage, truncateCodePoints } from "@m10/shared";

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
  /**
   * Connect to this address (checked by the payload address guard) instead of resolving the host
   * again, on a connection of its own; the Host header and TLS name stay the URL's host.
   */
  connectTo?: ResolvedAddress | undefined;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first 200 characters of the response body (for last_error). */
  bodySnippet: string;
}

export interface TransportMessages {
  /** last_error of a timeout, e.g. "Request timeout". */
  timeout: string;
  /** Prefix of a transport error, e.g. "Request error: ". */
  transport: string;
}

export const DEFAULT_TRANSPORT_MESSAGES: TransportMessages = { timeout: "Request timeout", transport: "Request error: " };

// Keep-alive connections shared by all deliveries of the process (node:http is about twice as
// fast as fetch here, and the outbox posts many small requests to few hosts).
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

/**
 * One HTTP request without following redirects. Resolves with any status; a timeout or a
 * transport error (refused, reset, DNS) throws a RetryableDeliveryError, an unusable URL a
 * PermanentDeliveryError.
 */
export async function sendHttp(request: HttpRequest, messages: TransportMessages = DEFAULT_TRANSPORT_MESSAGES): Promise<HttpReply> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new PermanentDeliveryError(`Invalid URL: ${truncateCodePoints(request.url, 200)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentDeliveryError(`Unsupported URL scheme: ${url.protocol}`);
  try {
    return await attempt(url, request);
  } catch (error) {
    // A keep-alive connection the server closed just as we reused it: the request never reached
    // the application, so sending it again at once is safe (Node's documented pattern).
    if ((error as { reusedSocket?: boolean }).reusedSocket && (error as { code?: string }).code === "ECONNRESET" && !request.signal.aborted) {
      try {
        return await attempt(url, request);
      } catch (retryError) {
        throw transportFailure(retryError, request.signal, messages);
      }
    }
    throw transportFailure(error, request.signal, messages);
  }
}

/** A lookup that answers `pinned` whatever it is asked (net.connect asks with all: true when it races address families). */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

function attempt(url: URL, request: HttpRequest): Promise<HttpReply> {
  const https = url.protocol === "https:";
  const pinned = request.connectTo;
  return new Promise<HttpReply>((resolve, reject) => {
    const client = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body === undefined ? {} : { "content-length": String(Buffer.byteLength(request.body)) }) },
        // A pinned request never shares a keep-alive connection made to an unchecked address.
        ...(pinned ? { agent: false, lookup: pinnedLookup(pinned) } : { agent: https ? httpsAgent : httpAgent }),
        signal: request.signal,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (text.length < 200) text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bodySnippet: truncateCodePoints(text, 200) }));
        response.on("error", reject);
        response.on("close", () => {
          if (!response.complete) reject(new Error("response ended early"));
        });
      },
    );
    client.on("error", (error: Error) => reject(Object.assign(error, { reusedSocket: client.reusedSocket })));
    client.end(request.body);
  });
}

function transportFailure(error: unknown, signal: AbortSignal, messages: TransportMessages): RetryableDeliveryError {
  if (signal.aborted || (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))) {
    return new RetryableDeliveryError(messages.timeout);
  }
  const code = (error as { code?: unknown }).code;
  const detail = typeof code === "string" ? code : errorMessage(error);
  return new RetryableDeliveryError(`${messages.transport}${detail}`);
}

/**
 * The failure a non-success status means: 429, 408 and 5xx are retryable (honouring Retry-After),
 * every other status is permanent.
 */
export function statusFailure(reply: HttpReply, message: string): DeliveryError {
  if (reply.status === 429 || reply.status === 408 || reply.status >= 500) {
    const retryAfter = reply.headers["retry-after"];
    return new RetryableDeliveryError(message, parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter));
  }
  return new PermanentDeliveryError(message);
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
