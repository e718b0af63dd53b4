import type { TestProject } from "vitest/node";
import { startPostgres } from "./postgres";

/**
 * Global setup of the integration-pg project: ONE throwaway PostgreSQL cluster for the whole run
 * (each portal then creates its own database on it, tests/helpers/app.ts). Its admin URL reaches
 * the test workers as PG_TEST_ADMIN_URL (workers inherit this process's environment) and through
 * `inject("pgAdminUrl")`.
 */

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const cluster = await startPostgres();
  process.env.PG_TEST_ADMIN_URL = cluster.adminUrl;
  project.provide("pgAdminUrl", cluster.adminUrl);
  return async () => {
    await cluster.stop();
    delete process.env.PG_TEST_ADMIN_URL;
  };
}
