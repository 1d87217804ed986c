import nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool/index.js";
import { type OutboxEvent, truncateCodePoints } from "@m10/shared";
import { renderTemplate, templateValues } from "../envelope.js";
import { PermanentDeliveryError, RetryableDeliveryError, type DeliveryError } from "../errors.js";
import type { EmailTargetSpec, ResolvedTarget } from "../routing.js";
import type { DeliveryTarget } from "../target.js";

type EmailTarget = Extract<ResolvedTarget, { type: "email" }>;

export const DEFAULT_EMAIL_SUBJECT = "[M10] {{event_type}} for {{aggregate_type}} {{aggregate_id}}";
export const DEFAULT_EMAIL_BODY = [
  "Event: {{event_type}}",
  "Aggregate: {{aggregate_type}} {{aggregate_id}}",
  "Outbox event: {{id}}",
  "Idempotency key: {{idempotency_key}}",
  "",
  "Payload:",
  "{{payload_json}}",
  "",
].join("\n");

export interface RenderedEmail {
  subject: string;
  text: string;
}

export function renderEmail(event: OutboxEvent, idempotencyKey: string, spec: Pick<EmailTargetSpec, "subject" | "body">): RenderedEmail {
  const values = templateValues(event, idempotencyKey);
  return {
    subject: renderTemplate(spec.subject ?? DEFAULT_EMAIL_SUBJECT, values).replace(/[\r\n]+/g, " "),
    text: renderTemplate(spec.body ?? DEFAULT_EMAIL_BODY, values),
  };
}

/** SMTP pool options from smtp_url (smtp:// or smtps://, credentials in the URL) or host/port/secure/user/password. */
export function smtpOptions(spec: EmailTargetSpec, timeoutMs: number): SMTPPool.Options {
  let host = spec.host;
  let port = spec.port;
  let secure = spec.secure;
  let user = spec.user;
  let pass = spec.password;
  if (spec.smtp_url) {
    const url = new URL(spec.smtp_url);
    host = url.hostname;
    port = url.port ? Number(url.port) : undefined;
    secure = secure ?? url.protocol === "smtps:";
    user = user ?? (url.username ? decodeURIComponent(url.username) : undefined);
    pass = pass ?? (url.password ? decodeURIComponent(url.password) : undefined);
  }
  return {
    pool: true,
    maxConnections: 5,
    host: host ?? "localhost",
    ...(port === undefined ? {} : { port }),
    secure: secure ?? false,
    ...(user === undefined ? {} : { auth: { user, pass: pass ?? "" } }),
    ...(spec.tls_reject_unauthorized === false ? { tls: { rejectUnauthorized: false } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

/** SMTP replies 5xx are permanent (e.g. 550 mailbox unavailable), except authentication failures, which a configuration fix cures; everything else retries. */
export function smtpFailure(error: unknown): DeliveryError {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const message = truncateCodePoints(`SMTP error: ${e.responseCode ? `${e.responseCode} ` : ""}${e.message ?? String(error)}`, 500);
  if (e.responseCode !== undefined && e.responseCode >= 500 && e.code !== "EAUTH") return new PermanentDeliveryError(message);
  return new RetryableDeliveryError(message);
}

export interface EmailDeliveryTarget extends DeliveryTarget {
  close(): void;
}

/** Email through SMTP (nodemailer, pooled connections), with a rendered subject and text body and a stable Message-ID. */
export function createEmailTarget(target: EmailTarget): EmailDeliveryTarget {
  const timeoutMs = target.throttle.timeoutSeconds * 1000;
  const transport = nodemailer.createTransport(smtpOptions(target.spec, timeoutMs));
  return {
    name: target.name,
    rpm: target.throttle.rpm,
    timeoutMs,
    close: () => transport.close(),
    async deliver({ event, idempotencyKey, signal }) {
      const rendered = renderEmail(event, idempotencyKey, target.spec);
      const sending = transport.sendMail({
        from: target.spec.from,
        to: target.spec.to,
        subject: rendered.subject,
        text: rendered.text,
        messageId: `<${idempotencyKey}@m10.outbox>`,
        headers: { "Idempotency-Key": idempotencyKey, "X-M10-Event-Type": event.event_type, "X-Outbox-Event-Id": String(event.id) },
      });
      // nodemailer cannot be aborted; its socket timeouts end the attempt, and this guard makes
      // sure the processor never waits past the target timeout.
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new RetryableDeliveryError("SMTP timeout"));
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (error) {
        if (error instanceof RetryableDeliveryError) {
          sending.catch(() => undefined); // the abandoned send settles on its own socket timeout
          throw error;
        }
        throw smtpFailure(error);
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
