// Real headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) driven by
// playwright-core, in a fresh profile directory; pages record their console errors.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors since the last take(). */
  takeErrors(): string[];
  /** Screenshots go here (the test's temp dir). */
  shotsDir: string;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/ensure-tools.sh installs Debian's chromium (apt-get install -y chromium)`);
  const root = mkdtempSync(join(tmpdir(), "m10-console-browser-"));
  const context = await chromium.launchPersistentContext(join(root, "profile"), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1366, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  let errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  const shotsDir = join(root, "screenshots");
  return {
    context,
    page,
    shotsDir,
    takeErrors: () => {
      const taken = errors;
      errors = [];
      return taken;
    },
    close: () => context.close(),
  };
}
