import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";

/**
 * The Remix build, build/index.js. Run from source (`npm run dev`, TEST_FROM_SOURCE=1) it is
 * imported at run time from the project folder. The compiled server, build/server.js, replaces this
 * module with one that embeds the build and its packages in the same bundle (scripts/build-server.mjs,
 * docs/decisions/0039).
 */
export async function loadRemixBuild(root: string): Promise<ServerBuild> {
  return (await import(pathToFileURL(path.join(root, "build/index.js")).href)) as ServerBuild;
}
