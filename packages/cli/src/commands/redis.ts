import type { Command } from "commander";
import { safeUrl } from "@m10/shared";
import { context } from "../context.js";
import { EXIT_FAILED, type Output } from "../output.js";
import { checkDurability, type NodeDurability } from "../redis-durability.js";
import { table } from "../table.js";

export function registerRedis(program: Command, output: () => Output): void {
  const redis = program.command("redis").description("Redis operations (REDIS_URL)");

  redis
    .command("check")
    .description("check the handbook's durability settings: appendonly yes, appendfsync everysec, maxmemory-policy noeviction, AOF enabled")
    .option("--strict", "warnings fail too (e.g. appendfsync always)", false)
    .addHelpText(
      "after",
      `
Exit code 1 when a setting does not match (or Redis cannot be reached), 0 when all match.
The handbook's equivalent:
  redis-cli CONFIG GET appendonly; redis-cli CONFIG GET appendfsync; redis-cli CONFIG GET maxmemory-policy

Examples:
  m10ctl redis check
  REDIS_URL=redis://redis.internal:6379/0 m10ctl redis check --json`,
    )
    .action(async (options: { strict: boolean }) => {
      const ctx = context();
      let nodes: NodeDurability[] = [];
      const errors: string[] = [];
      try {
        nodes = await checkDurability(await ctx.redis());
      } catch (error) {
        errors.push(`cannot check Redis: ${error instanceof Error ? error.message : String(error)}`);
      }
      for (const node of nodes) {
        for (const check of node.checks) if (check.severity === "error") errors.push(`${node.node}: ${check.name} is ${check.actual ?? "unknown"}, expected ${check.expected}: ${check.message}`);
      }
      const warnings = nodes.flatMap((node) =>
        node.checks.filter((check) => check.severity === "warning").map((check) => `${node.node}: ${check.name} is ${check.actual}: ${check.message}`),
      );
      const failed = errors.length > 0 || (options.strict && warnings.length > 0);
      const status = errors.length > 0 ? "FAIL" : warnings.length > 0 ? (options.strict ? "FAIL (strict mode)" : "WARN") : "OK";
      output().result(
        { timestamp: new Date().toISOString(), redis_url: safeUrl(ctx.config.REDIS_URL), status, nodes, errors, warnings },
        () =>
          [
            ...nodes.map((node) =>
              [`${node.node}:`, table(["setting", "expected", "actual", "status"], node.checks.map((c) => [c.name, c.expected, c.actual, c.ok ? "ok" : c.severity]))].join("\n"),
            ),
            ...errors.map((e) => `error: ${e}`),
            ...warnings.map((w) => `warning: ${w}`),
            `status: ${status}`,
          ].join("\n"),
        failed ? EXIT_FAILED : 0,
      );
    });
}
