import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "~": path.resolve(import.meta.dirname, "app") };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      // Vitest 4 needs a distinct groupOrder for projects with different maxWorkers.
      { resolve: { alias }, test: { name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node", sequence: { groupOrder: 0 } } },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Each file starts its own portal process; two at a time fits a 2-core machine.
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
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
