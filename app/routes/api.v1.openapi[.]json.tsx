import { openApiDocument } from "~/api/openapi.server";

/** The provisioning API's OpenAPI 3.1 document, generated from its zod schemas (public: it holds no data). */
export function loader() {
  return new Response(openApiDocument(), { headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=300" } });
}
