import { describe, expect, it } from "vitest";
import { safeUrl } from "../src/observability/logger.js";

describe("safeUrl: a connection URL fit for logs and error messages", () => {
  it("masks the password of a single-host URL", () => {
    expect(safeUrl("postgres://m10:secret@db:5432/m10")).toBe("postgres://m10:***@db:5432/m10");
  });

  it("keeps the hosts of a multi-host Redis Cluster or Sentinel URL and masks only its password", () => {
    expect(safeUrl("redis-cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001")).toBe("redis-cluster://:***@10.0.0.1:7000,10.0.0.2:7001");
    expect(safeUrl("redis-sentinel://user:pw@s1:26379,s2:26379/mymaster")).toBe("redis-sentinel://user:***@s1:26379,s2:26379/mymaster");
    expect(safeUrl("redis-cluster://127.0.0.1:7000,127.0.0.1:7001")).toBe("redis-cluster://127.0.0.1:7000,127.0.0.1:7001");
  });

  it("says so when the text is no URL at all, without echoing it", () => {
    expect(safeUrl("not a url with password hunter2")).toBe("(unparseable url)");
  });
});
