export const TEMPLATE_DATABASE = "m10_template";

/** What the global setup hands every test file. */
export interface TestStackInfo {
  dir: string;
  postgresAdminUrl: string;
  templateDatabase: string;
  redisUrl: string;
  natsUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    m10Stack: TestStackInfo;
  }
}
