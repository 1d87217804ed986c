/**
 * Every M10 image is built one way (docs/architecture.md §6 "Images"): each services/<name>/Dockerfile
 * (found by listing services/, so a new service is held to it without editing this test),
 * packages/cli/Dockerfile (m10ctl) and infra/docker/migrate.Dockerfile have the model's build stage
 * with their own package name, and a runtime stage that only copies the deployed package and runs
 * it as `node`. `make compose-check` builds and runs them; this test catches drift without Docker.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { INFRA, REPO, SERVICE_DIRS, loadYaml, readJson, type ComposeFile } from "./support/repo-files.js";

interface PackageJson {
  name: string;
  bin?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
}

interface Image {
  dockerfile: string;
  packageDir: string;
  /** The package's own Dockerfile serves HTTP (the services); m10ctl and migrate do not. */
  server: boolean;
}

const IMAGES: Image[] = [
  ...SERVICE_DIRS.map((name) => ({ dockerfile: `services/${name}/Dockerfile`, packageDir: `services/${name}`, server: true })),
  { dockerfile: "packages/cli/Dockerfile", packageDir: "packages/cli", server: false },
  { dockerfile: "infra/docker/migrate.Dockerfile", packageDir: "migrations", server: false },
];
const MODEL = "services/metrics-collector/Dockerfile";

/** A Dockerfile's instructions: comments dropped, continuation lines joined. */
function instructions(path: string): string[] {
  return readFileSync(join(REPO, path), "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\s*\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

function stages(path: string): { build: string[]; runtime: string[] } {
  const lines = instructions(path);
  const runtimeAt = lines.findIndex((line) => line === "FROM ${NODE_IMAGE} AS runtime");
  return { build: lines.slice(0, runtimeAt), runtime: lines.slice(runtimeAt) };
}

function packageOf(dir: string): PackageJson {
  return readJson<PackageJson>(join(REPO, dir, "package.json"));
}

/** Workspace directories by package name. */
const WORKSPACE = new Map(
  ["packages/cli", "packages/consumer", "packages/delivery", "packages/maintenance", "packages/rules", "packages/shared", "migrations", ...SERVICE_DIRS.map((name) => `services/${name}`)]
    .filter((dir) => existsSync(join(REPO, dir, "package.json")))
    .map((dir) => [packageOf(dir).name, dir] as const),
);

/** The package and every workspace package it depends on at runtime: what `pnpm deploy --prod` copies. */
function deployedDirs(dir: string, seen = new Set<string>()): Set<string> {
  seen.add(dir);
  for (const [name, range] of Object.entries(packageOf(dir).dependencies ?? {})) {
    const depDir = WORKSPACE.get(name);
    if (range.startsWith("workspace:") && depDir && !seen.has(depDir)) deployedDirs(depDir, seen);
  }
  return seen;
}

describe("M10 images (every Dockerfile at the model's standard)", () => {
  const model = stages(MODEL);
  const modelName = packageOf("services/metrics-collector").name;

  it("covers every service directory, m10ctl and migrate", () => {
    expect(IMAGES.map((image) => image.dockerfile)).toEqual(expect.arrayContaining(["services/ingest/Dockerfile", "services/outbox-processor/Dockerfile", MODEL]));
    expect(IMAGES.filter((image) => !existsSync(join(REPO, image.dockerfile))).map((image) => image.dockerfile)).toEqual([]);
  });

  it.each(IMAGES)("$dockerfile: the model's build stage (pnpm fetch, offline install, turbo --filter, pnpm deploy --prod), for its own package", ({ dockerfile, packageDir }) => {
    const { name } = packageOf(packageDir);
    const expected = model.build.map((line) => line.replaceAll(modelName, name));
    const out = dockerfile.startsWith("infra/docker/migrate") ? (line: string) => line.replace(/ \/out$/, " /out/migrations") : (line: string) => line;
    expect(stages(dockerfile).build).toEqual(expected.map(out));
    expect(instructions(dockerfile).filter((line) => line.includes("corepack"))).toEqual([]);
  });

  it.each(IMAGES)("$dockerfile: a runtime stage that copies the deployed package and runs as node, nothing installed", ({ dockerfile }) => {
    const { runtime } = stages(dockerfile);
    expect(runtime.filter((line) => line.startsWith("FROM "))).toEqual(["FROM ${NODE_IMAGE} AS runtime"]);
    expect(runtime.filter((line) => line.startsWith("RUN ") || line.startsWith("COPY . "))).toEqual([]);
    expect(runtime.filter((line) => line.startsWith("COPY "))).toEqual([expect.stringMatching(/^COPY --from=build \/out(\/migrations)? \.\/(migrations)?$/)]);
    expect(runtime).toContain("USER node");
    expect(runtime).toContain("ARG M10_REVISION=unknown");
    expect(runtime.find((line) => line.startsWith("ENV "))).toMatch(/^ENV NODE_ENV=production M10_REVISION=\$M10_REVISION\b/);
  });

  const compose = loadYaml<ComposeFile>(join(INFRA, "docker-compose.yml"));

  it.each(IMAGES.filter((image) => image.server))("$dockerfile: runs the package's bin, exposes its port and checks /health there", ({ dockerfile, packageDir }) => {
    const { runtime } = stages(dockerfile);
    const bin = Object.values(packageOf(packageDir).bin ?? {})[0]?.replace(/^\.\//, "");
    expect(runtime).toContain(`ENTRYPOINT ["node", "${bin}"]`);
    const exposed = runtime.find((line) => line.startsWith("EXPOSE "))?.split(" ")[1];
    const healthcheck = runtime.find((line) => line.startsWith("HEALTHCHECK "));
    expect(healthcheck).toMatch(/^HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.(M10_HEALTH_PORT|PORT) \|\| (\d+)\) \+ '\/health'\)/);
    expect(healthcheck).toContain(`|| ${exposed})`);
    // The compose service of the same name builds this Dockerfile and listens on that port.
    const service = compose.services[packageDir.replace("services/", "")];
    expect(service?.build?.dockerfile).toBe(dockerfile);
    const environment = service?.environment ?? {};
    expect(environment.M10_HEALTH_PORT ?? environment.PORT).toBe(exposed);
  });

  it("one .dockerignore at the root keeps host artefacts out of every build context (docker-compose 1.29 and podman read only that one)", () => {
    const ignored = readFileSync(join(REPO, ".dockerignore"), "utf8").split("\n");
    for (const pattern of ["**/node_modules", "**/dist", "**/.turbo", ".git", ".tools", ".m10", "infra/.env"]) expect(ignored).toContain(pattern);
    const contexts = Object.values(compose.services).flatMap((service) => (service.build ? [join(INFRA, service.build.context)] : []));
    expect(new Set(contexts.map((context) => relative(REPO, context)))).toEqual(new Set([""]));
    expect(IMAGES.filter((image) => existsSync(join(REPO, `${image.dockerfile}.dockerignore`))).map((image) => image.dockerfile)).toEqual([]);
  });

  it.each(IMAGES)("$dockerfile: every package it deploys lists its runtime files in `files`", ({ packageDir }) => {
    for (const dir of deployedDirs(packageDir)) {
      const expected = ["bin", "dist", "sql", "assets"].filter((entry) => existsSync(join(REPO, dir, entry)));
      expect(packageOf(dir).files, dir).toEqual(expected);
    }
  });

  it("compose builds every image with the source revision as a build argument", () => {
    const built = Object.values(compose.services).flatMap((service) => (service.build ? [service.build] : []));
    expect(built.map((build) => build.dockerfile).sort()).toEqual(IMAGES.map((image) => image.dockerfile).sort());
    for (const build of built) expect(build.args, build.dockerfile).toEqual({ M10_REVISION: "${M10_REVISION:-unknown}" });
  });
});
