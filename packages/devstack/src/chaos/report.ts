// What a chaos script prints: each thing it did, each thing it observed, each check, and one
// PASS/FAIL line with the recovery time.
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export class ExperimentReport {
  private readonly startedAt = Date.now();
  private faultEndedAt: number | undefined;
  private recoveredAfterMs: number | undefined;
  readonly checks: Check[] = [];

  constructor(
    readonly name: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  private line(kind: string, text: string): void {
    const offset = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    this.write(`  ${kind.padEnd(8)} +${offset.padStart(6)}s  ${text}`);
  }

  header(text: string): void {
    this.write(`chaos ${this.name}: ${text}`);
  }

  did(text: string): void {
    this.line("did", text);
  }

  observed(text: string): void {
    this.line("observed", text);
  }

  check(name: string, ok: boolean, detail = ""): boolean {
    this.checks.push({ name, ok, detail });
    this.line(ok ? "ok" : "FAILED", detail ? `${name}: ${detail}` : name);
    return ok;
  }

  /** The fault is over (the dependency is back, the process resumed): recovery is timed from here. */
  faultEnded(): void {
    this.faultEndedAt = Date.now();
  }

  /** The pipeline answers and evaluates again. */
  recovered(): void {
    this.recoveredAfterMs = Date.now() - (this.faultEndedAt ?? Date.now());
    this.observed(`recovered ${(this.recoveredAfterMs / 1000).toFixed(1)} s after the fault ended`);
  }

  get recoverySeconds(): number | undefined {
    return this.recoveredAfterMs === undefined ? undefined : this.recoveredAfterMs / 1000;
  }

  /** Prints the verdict and returns whether the experiment passed. */
  finish(recoveryTargetSeconds: number, error?: unknown): boolean {
    if (error !== undefined) this.check("the experiment ran to its end", false, error instanceof Error ? error.message : String(error));
    const seconds = this.recoverySeconds;
    if (seconds === undefined) this.check("the stack recovered", false, "no recovery observed");
    else this.check(`recovered within ${recoveryTargetSeconds} s`, seconds < recoveryTargetSeconds, `${seconds.toFixed(1)} s`);
    const passed = this.checks.every((c) => c.ok);
    const recovery = seconds === undefined ? "not recovered" : `recovery ${seconds.toFixed(1)} s`;
    const failed = this.checks.filter((c) => !c.ok).length;
    this.write(`${passed ? "PASS" : "FAIL"} ${this.name}: ${recovery} (target < ${recoveryTargetSeconds} s); ${this.checks.length - failed}/${this.checks.length} checks passed`);
    return passed;
  }
}
