import { RoutingConfigError } from "../src/errors.js";
import { DEFAULT_THROTTLES, loadRoutingConfig } from "../src/routing.js";
import { natsSubject } from "../src/targets/nats.js";
import { describe, expect, it } from "vitest";

const nats = { OUTBOX_NATS_STREAM: "M10_EVENTS", OUTBOX_NATS_SUBJECT_PREFIX: "m10.events" };

const file = {
  defaults: { webhook: { rpm: 200 } },
  targets: {
    ops: { type: "webhook", url: "https://hooks.example.com/m10", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", rpm: 50 },
    audit: { type: "webhook", url: "https://audit.example.com/in" },
    chat: { type: "slack", url: "https://hooks.slack.com/services/T/B/X" },
    mail: { type: "email", smtp_url: "smtp://mail.example.com:587", from: "m10@example.com", to: ["ops@example.com"] },
    bus: { type: "nats" },
  },
  routes: { "recovery.suggested": ["ops", "bus"], "recovery.*": ["chat"], "*": ["bus"], "audit.*": ["audit", "mail"] },
};

describe("routing configuration", () => {
  it("routes every event to NATS JetStream when no routing is configured", () => {
    const routing = loadRoutingConfig(nats);
    expect(routing.source).toBe("default:nats");
    const [target] = routing.targetsFor("recovery.suggested") ?? [];
    expect(target).toMatchObject({ type: "nats", stream: "M10_EVENTS", subjectPrefix: "m10.events", throttle: DEFAULT_THROTTLES.nats });
    expect(routing.targetsFor("anything.else")?.map((t) => t.name)).toEqual(["nats"]);
    expect(natsSubject("m10.events", "recovery.suggested")).toBe("m10.events.recovery.suggested");
    expect(natsSubject("m10.events", "odd type*>")).toBe("m10.events.odd_type__");
  });

  it("matches exact routes first, then the longest prefix, then *", () => {
    const routing = loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: JSON.stringify(file) });
    expect(routing.targetsFor("recovery.suggested")?.map((t) => t.name)).toEqual(["ops", "bus"]);
    expect(routing.targetsFor("recovery.approved")?.map((t) => t.name)).toEqual(["chat"]);
    expect(routing.targetsFor("audit.login")?.map((t) => t.name)).toEqual(["audit", "mail"]);
    expect(routing.targetsFor("other")?.map((t) => t.name)).toEqual(["bus"]);
  });

  it("applies the handbook's throttles, per-type defaults and per-target overrides", () => {
    const routing = loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: JSON.stringify(file) });
    expect(routing.targets.get("ops")?.throttle).toEqual({ rpm: 50, timeoutSeconds: 30 });
    expect(routing.targets.get("audit")?.throttle).toEqual({ rpm: 200, timeoutSeconds: 30 });
    expect(routing.targets.get("chat")?.throttle).toEqual({ rpm: 60, timeoutSeconds: 10 });
    expect(routing.targets.get("mail")?.throttle).toEqual({ rpm: 30, timeoutSeconds: 20 });
    expect(routing.typeThrottles.webhook).toEqual({ rpm: 200, timeoutSeconds: 30 });
  });

  it("reads OUTBOX_ROUTES_FILE in preference to OUTBOX_ROUTES_JSON", () => {
    const routing = loadRoutingConfig({ ...nats, OUTBOX_ROUTES_FILE: "/etc/m10/routes.json", OUTBOX_ROUTES_JSON: "{}" }, (path) => {
      expect(path).toBe("/etc/m10/routes.json");
      return JSON.stringify(file);
    });
    expect(routing.source).toBe("file:/etc/m10/routes.json");
  });

  it("rejects unknown targets, bad secrets and malformed JSON with every problem listed", () => {
    const bad = {
      targets: { ops: { type: "webhook", url: "not a url", secret: "plain" }, mail: { type: "email", from: "a@b", to: [] } },
      routes: { "x.*.y": ["ops"], z: ["missing"] },
    };
    const error = (() => {
      try {
        loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: JSON.stringify(bad) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RoutingConfigError);
    const issues = (error as RoutingConfigError).issues.join("\n");
    expect(issues).toMatch(/targets\.ops\.url/);
    expect(issues).toMatch(/whsec_/);
    expect(issues).toMatch(/targets\.mail/);
    expect(() => loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: "{nope" })).toThrow(/not valid JSON/);
    expect(() => loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: JSON.stringify({ targets: { a: { type: "nats" } }, routes: { "x.*.y": ["a"], z: ["missing"] } }) })).toThrow(
      /only allowed at the end[\s\S]*unknown target "missing"/,
    );
  });

  it("never quotes the configuration in its errors: a secret in malformed JSON or a bad target stays out of the message", () => {
    const secret = "whsec_TOPSECRETtopsecretTOPSECRETtopsecret";
    const slackSecret = "T0SECRET/B0SECRET/xoxsecretxoxsecret";
    const problems = (json: string) => {
      try {
        loadRoutingConfig({ ...nats, OUTBOX_ROUTES_JSON: json });
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected a RoutingConfigError");
    };
    const texts = [
      problems(`{"targets": {"ops": {"type": "webhook", "url": "https://x.example/${slackSecret}", "secret": ${secret}}}, "routes": {}}`),
      problems(`{"targets": {"ops": {"type": "webhook", "url": "https://x.example", "secret": "${secret}"}}, "routes": {"*": ["ops"]}`),
      problems(JSON.stringify({ targets: { chat: { type: "slack", url: `hooks ${slackSecret}`, token: secret } }, routes: { "*": ["chat"] } })),
      problems(JSON.stringify({ targets: { ops: { type: "webhook", url: "https://x.example", secret: "whsec_c2hvcnQ=" } }, routes: { "*": ["ops"] } })),
    ];
    expect(texts[0]).toMatch(/not valid JSON/);
    expect(texts[3]).toMatch(/at least 24 bytes/);
    for (const text of texts) {
      for (const piece of ["TOPSECRET", "topsecret", "0SECRET", "xoxsecret", "c2hvcnQ"]) expect(text).not.toContain(piece);
    }
  });
});
