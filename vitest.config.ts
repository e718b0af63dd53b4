import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "~": path.resolve(import.meta.dirname, "app") };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      // Vitest 4 needs a distinct groupOrder for projects with different maxWorkers. The two
      // integration projects share one group, so SQLite and PostgreSQL files run side by side:
      // most of a file's time is spent waiting on its portal, not on the CPU.
      { resolve: { alias }, test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node", sequence: { groupOrder: 0 } } },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Each file starts its own portal process; with integration-pg beside it, four at a time.
          maxWorkers: 2,
          fileParallelism: true,
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          // The same integration files again, each portal on its own database of one throwaway
          // PostgreSQL cluster that the global setup starts for the run (tests/helpers/postgres.ts).
          name: "integration-pg",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          env: { TEST_ENGINE: "postgres" },
          globalSetup: ["tests/helpers/pg-global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
          fileParallelism: true,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
