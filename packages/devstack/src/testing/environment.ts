// Per-file (or per-test) setup and teardown, registered once by a package's test-support module
// instead of beforeAll/afterAll blocks copied into every test file.
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

/** Registers a cleanup; cleanups run after the tests in the reverse order of registration. */
export type Defer = (cleanup: () => unknown) => void;

export interface EnvironmentOptions {
  /** "file" (default): set up once before the tests of the file or describe block; "test": before each test. */
  per?: "file" | "test";
}

/**
 * Runs `setup` before the tests and the cleanups it deferred after them (all of them, even when
 * one fails). Returns an object that holds what `setup` returned once it has run: the own
 * properties of a plain object, so return `{ server }` rather than a class instance.
 */
export function useEnvironment<T extends object>(setup: (defer: Defer) => Promise<T>, options: EnvironmentOptions = {}): T {
  const environment = {} as T;
  const cleanups: (() => unknown)[] = [];
  const [before, after] = options.per === "test" ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    Object.assign(environment, await setup((cleanup) => cleanups.push(cleanup)));
  });
  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "cleanups failed");
  });
  return environment;
}
