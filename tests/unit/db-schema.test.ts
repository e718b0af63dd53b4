import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { renderSchema } from "../../scripts/db-types";

// The Kysely table types are generated from the migrations; a migration added without
// regenerating them would let stores compile against columns that do not exist.
test("app/db/schema.ts matches the migrations (run `npx tsx scripts/db-types.ts` after adding one)", () => {
  const file = path.resolve(import.meta.dirname, "../../app/db/schema.ts");
  expect(fs.readFileSync(file, "utf8")).toBe(renderSchema());
});
