import type { AddressInfo } from "node:net";
import { useEnvironment } from "@m10/devstack/testing";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface SmtpSink {
  port: number;
  messages: ParsedMail[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) that parses every message it accepts; recipients in `refuse` get a 550. */
export async function createSmtpSink(refuse: string[] = []): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.includes(address.address)) {
        const error = Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A new SMTP sink for each test of the file, closed after it. */
export function useSmtpSink(refuse: string[] = []): SmtpSink {
  return useEnvironment(
    async (defer) => {
      const smtp = await createSmtpSink(refuse);
      defer(smtp.close);
      return smtp;
    },
    { per: "test" },
  );
}
