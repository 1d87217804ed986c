// Tokens are secrets: shorter than 32 bytes is refused at start-up, and no error about a token
// (environment or M10_RBAC_TOKENS_FILE) prints any part of one (issue 11 item 18).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ingestConfigSchema,
  parseEnv,
  readTokenFile,
  TokenFileError,
} from "@m10/shared";
import { describe, expect, it } from "vitest";

const base = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
const token = (bytes: number) => `tok_${"s".repeat(bytes - 4)}`;

function tempFile(content: string): string {
  const file = join(tmpdir(), `m10-token-config-${randomBytes(4).toString("hex")}.json`);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function problemOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("token configuration", () => {
  it("refuses a 31-byte M10_ADMIN_TOKEN, M10_MACHINE_TOKEN or MACHINE_SECRET_TOKEN and accepts 32 bytes", () => {
    for (const name of ["M10_ADMIN_TOKEN", "M10_MACHINE_TOKEN", "MACHINE_SECRET_TOKEN"]) {
      const problem = problemOf(() => parseEnv(ingestConfigSchema, { ...base, [name]: token(31) }));
      expect(problem).toContain(`${name}: must be at least 32 bytes`);
      expect(problem).not.toContain("ssss");
      expect(parseEnv(ingestConfigSchema, { ...base, [name]: token(32) })[name as "M10_ADMIN_TOKEN"]).toBe(token(32));
    }
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(parseEnv(ingestConfigSchema, { ...base, M10_ADMIN_TOKEN: "€".repeat(11) }).M10_ADMIN_TOKEN).toBe("€".repeat(11));
  });

  it("refuses a 31-byte token in M10_RBAC_TOKENS_FILE without naming it, and accepts 32 bytes", () => {
    const principal = { subject: "olga", roles: ["operator"], tenant: "acme" };
    const short = tempFile(JSON.stringify({ [token(32)]: principal, [token(31).replace("tok_", "tik_")]: principal }));
    const problem = problemOf(() => readTokenFile(short));
    expect(problem).toMatch(/entry 2: the token must be at least 32 bytes/);
    expect(problem).not.toContain("ssss");

    const ok = readTokenFile(tempFile(JSON.stringify({ [token(32)]: principal })));
    expect(ok.get(token(32))).toEqual(principal);
  });

  it("never prints any part of a token when the file is malformed: JSON syntax, a bad principal, a bad role", () => {
    const secret = "SECRETsecretSECRETsecretSECRETsecret";
    const files = [
      `{"${secret}": {"subject": "olga", "roles": ["operator"]`,
      `{"${secret}": {"subject": "olga", "roles": ["operator"]}, ${secret}}`,
      JSON.stringify({ [secret]: { subject: "", roles: ["root"], tenant: secret } }),
      JSON.stringify({ [secret]: secret }),
    ];
    for (const content of files) {
      const problem = problemOf(() => readTokenFile(tempFile(content)));
      expect(problem).toMatch(/^M10_RBAC_TOKENS_FILE /);
      for (const piece of ["SECRET", "secret"]) expect(problem).not.toContain(piece);
    }
    expect(problemOf(() => readTokenFile(tempFile(files[0] as string)))).toMatch(/not valid JSON/);
    expect(() => readTokenFile(tempFile(files[2] as string))).toThrow(TokenFileError);
  });

  it("m10-ingest exits 2 on a malformed token file or a short token, and its output holds no part of the secret", () => {
    const bin = fileURLToPath(new URL("../bin/m10-ingest.js", import.meta.url));
    const secret = "SECRETsecretSECRETsecretSECRETsecret";
    for (const env of [
      { M10_RBAC_TOKENS_FILE: tempFile(`{"${secret}": {"subject": "olga" "roles": ["operator"]}}`) },
      { M10_MACHINE_TOKEN: "SECRETsecret" },
    ]) {
      const result = spawnSync(process.execPath, [bin], { env: { ...process.env, ...base, ...env }, encoding: "utf8", timeout: 20_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/M10_RBAC_TOKENS_FILE|M10_MACHINE_TOKEN/);
      for (const piece of ["SECRET", "secret"]) expect(result.stderr + result.stdout).not.toContain(piece);
    }
  });
});
