// Every package is entered through its package.json "exports" and nothing else: no import reaches
// into another package's files, no export map has a wildcard, and the dependency graph stays
// one-way (services and cli -> maintenance -> delivery -> shared -> migrations).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const WORKSPACE_DIRS = ["packages", "services"]
  .flatMap((group) => readdirSync(join(ROOT, group)).map((name) => join(group, name)))
  .concat(["migrations", "bench", "."]);

interface Manifest {
  dir: string;
  name: string;
  exports: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const manifests: Manifest[] = WORKSPACE_DIRS.map((dir) => {
  const json = JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Partial<Manifest>;
  return { dir, name: json.name ?? dir, exports: json.exports ?? {}, dependencies: json.dependencies ?? {}, devDependencies: json.devDependencies ?? {} };
});
const byName = new Map(manifests.map((m) => [m.name, m]));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? "");
}

/** Named imports of `pkg` (or its subpaths) in a file's text. */
function namesImportedFrom(text: string, pkg: string): string[] {
  const from = new RegExp(`import\\s+(?:type\\s+)?\\{([^}]*)\\}\\s+from\\s+"${pkg.replace("/", "\\/")}(?:\\/[^"]*)?"`, "g");
  return [...text.matchAll(from)].flatMap((match) =>
    (match[1] ?? "").split(",").map((name) => name.replace(/^\s*type\s+/, "").split(" as ")[0]!.trim()).filter(Boolean),
  );
}

/** Values (not types) a library's entry point re-exports, from src/index.ts and the folder index files it re-exports. */
function valueExportsOf(home: string): string[] {
  const indexFiles = [join(home, "src/index.ts"), ...readdirSync(join(home, "src"))
    .map((entry) => join(home, "src", entry, "index.ts"))
    .filter((file) => { try { return statSync(file).isFile(); } catch { return false; } })];
  return indexFiles.flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/export\s+\{([^}]*)\}\s+from/g)].flatMap((match) =>
      (match[1] ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "" && !name.startsWith("type ")),
    ),
  );
}

/** Where a specifier may not go: a subpath the target package does not export, or out of its own package by a relative path. */
export function boundaryViolation(pkg: Manifest, file: string, specifier: string): string | undefined {
  if (specifier.startsWith("@m10/")) {
    const [scope, name, ...rest] = specifier.split("/");
    const target = byName.get(`${scope}/${name}`);
    if (!target) return `unknown package ${scope}/${name}`;
    const subpath = rest.length === 0 ? "." : `./${rest.join("/")}`;
    if (!(subpath in target.exports) && !(subpath === "." && target.dir === "migrations")) return `${specifier} is not in ${target.name}'s exports`;
    return undefined;
  }
  if (specifier.startsWith(".")) {
    const resolved = resolve(dirname(file), specifier);
    const home = join(ROOT, pkg.dir) + sep;
    if (!resolved.startsWith(home)) return `${specifier} leaves ${pkg.dir}`;
  }
  return undefined;
}

describe("package boundaries", () => {
  it("export maps name their entry points: no wildcard subpaths", () => {
    const wildcards = manifests.flatMap((m) => Object.keys(m.exports).filter((key) => key.includes("*")).map((key) => `${m.name}: ${key}`));
    expect(wildcards).toEqual([]);
  });

  it("no file imports another package's internal file or leaves its own package by a relative path", () => {
    const violations = manifests
      .filter((pkg) => pkg.dir !== ".")
      .flatMap((pkg) =>
      sourceFiles(join(ROOT, pkg.dir)).flatMap((file) =>
        importsOf(file).flatMap((specifier) => {
          const why = boundaryViolation(pkg, file, specifier);
          return why ? [`${relative(ROOT, file)}: ${why}`] : [];
        }),
      ),
    );
    expect(violations).toEqual([]);
  });

  it("catches a deep import, so the check above can fail", () => {
    const cli = byName.get("@m10/cli");
    expect(cli).toBeDefined();
    const file = join(ROOT, "packages/cli/src/main.ts");
    expect(boundaryViolation(cli!, file, "@m10/shared/db/outbox.js")).toMatch(/not in @m10\/shared's exports/);
    expect(boundaryViolation(cli!, file, "../../delivery/src/engine.js")).toMatch(/leaves packages\/cli/);
    expect(boundaryViolation(cli!, file, "@m10/shared")).toBeUndefined();
  });

  it("the runtime dependency graph is one-way: services and cli -> maintenance -> delivery -> shared -> migrations", () => {
    const layer: Record<string, number> = { "@m10/migrations": 0, "@m10/rules": 0, "@m10/shared": 1, "@m10/delivery": 2, "@m10/maintenance": 3 };
    const upward = manifests.flatMap((m) => {
      const own = layer[m.name] ?? 4;
      return Object.keys(m.dependencies)
        .filter((dep) => dep.startsWith("@m10/") && dep !== "@m10/devstack" && (layer[dep] ?? 4) >= own && m.name !== "m10")
        .map((dep) => `${m.name} -> ${dep}`);
    });
    expect(upward).toEqual([]);
  });

  it("exports from a library's entry point only what another package uses (no dead or test-only exports)", () => {
    const libraries = ["@m10/shared", "@m10/delivery", "@m10/maintenance", "@m10/rules"].map((name) => byName.get(name)!);
    const unused = libraries.flatMap((library) => {
      const home = join(ROOT, library.dir);
      const importedElsewhere = new Set(
        manifests
          .filter((pkg) => pkg.dir !== "." && pkg !== library)
          .flatMap((pkg) => sourceFiles(join(ROOT, pkg.dir)))
          .flatMap((file) => namesImportedFrom(readFileSync(file, "utf8"), library.name)),
      );
      return valueExportsOf(home).filter((name) => !importedElsewhere.has(name)).map((name) => `${library.name}: ${name}`);
    });
    expect(unused).toEqual([]);
  });

  it("takes every external dependency's version from the workspace catalog, so no two packages drift apart", () => {
    const pinnedElsewhere = manifests.flatMap((m) =>
      Object.entries({ ...m.dependencies, ...m.devDependencies })
        .filter(([name, version]) => !name.startsWith("@m10/") && version !== "catalog:")
        .map(([name, version]) => `${m.name}: ${name}@${version}`),
    );
    expect(pinnedElsewhere).toEqual([]);
  });

  it("@m10/shared carries no delivery dependencies", () => {
    const shared = byName.get("@m10/shared")!;
    expect(Object.keys(shared.dependencies).filter((dep) => /^(nodemailer|rate-limiter-flexible|@nats-io\/)/.test(dep))).toEqual([]);
  });
});
