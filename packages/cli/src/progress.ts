// A progress bar on stderr for long operations, only when a person is watching (TTY, no --json).
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

export function createProgress(json: boolean): Progress {
  if (json || !process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "{label} [{bar}] {value}/{total}", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      if (!started) {
        bar.start(Math.max(total, 1), done, { label });
        started = true;
      }
      bar.setTotal(Math.max(total, done, 1));
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
