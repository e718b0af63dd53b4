import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { Account, AccountId, CreateAccount, IdempotencyKey, Problem, UpdateAccount, UsernameQuery, type Scope } from "./schemas.server";

/**
 * The OpenAPI 3.1 document of the provisioning API, generated from the zod schemas the routes
 * validate with (app/api/schemas.server.ts); served at /api/v1/openapi.json. Every route in
 * app/routes/api.v1.* has its operation here, and the integration test checks both ways.
 */

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });

/** Problem responses every authenticated operation can give. */
const common: ZodOpenApiResponsesObject = {
  "401": problem("Missing, unknown or revoked API key (WWW-Authenticate: Bearer)."),
  "403": problem("The key lacks the operation's scope."),
  "429": problem("Too many requests for this key (Retry-After)."),
};
const withBody: ZodOpenApiResponsesObject = {
  "400": problem("The body is not valid JSON."),
  "415": problem("The body is not application/json."),
  "422": problem("The body does not match the schema (`errors` lists each field)."),
};
const notFound: ZodOpenApiResponsesObject = { "404": problem("No such account.") };
const accountResponse = (description: string) => ({ description, content: { "application/json": { schema: Account } } });
const idParams = { path: z.object({ id: AccountId }) };

function op(scope: Scope, summary: string, operationId: string, rest: Omit<ZodOpenApiOperationObject, "summary" | "operationId" | "security">): ZodOpenApiOperationObject {
  return { summary, operationId, tags: ["accounts"], security: [{ apiKey: [scope] }], ...rest, responses: { ...rest.responses, ...common } };
}

let cached: string | undefined;

export function openApiDocument(): string {
  cached ??= JSON.stringify(
    createDocument({
      openapi: "3.1.0",
      info: {
        title: "Account recovery portal: provisioning API",
        version: "1.0.0",
        description:
          "Create, read, update, disable, enable and delete customer accounts. Authenticate with an API key (`npm run portal -- api-key create`) as `Authorization: Bearer rp_live_…`. Errors are RFC 9457 problem details (application/problem+json).",
      },
      servers: [{ url: "/" }],
      tags: [{ name: "accounts" }],
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", bearerFormat: "rp_live_<id>_<secret>", description: "Scopes: accounts:read (GET), accounts:write (everything else)." },
        },
      },
      paths: {
        "/api/v1/accounts": {
          post: op("accounts:write", "Create an account", "createAccount", {
            requestParams: { header: z.object({ "Idempotency-Key": IdempotencyKey.optional() }) },
            requestBody: { required: true, content: { "application/json": { schema: CreateAccount } } },
            responses: { "201": accountResponse("Created (or, for a repeated Idempotency-Key with the same body, the first response again with Idempotent-Replayed: true)."), ...withBody, "409": problem("The username is taken.") },
          }),
          get: op("accounts:read", "Find an account by username", "findAccount", {
            requestParams: { query: UsernameQuery },
            responses: { "200": accountResponse("The account."), "422": problem("No username given."), ...notFound },
          }),
        },
        "/api/v1/accounts/{id}": {
          get: op("accounts:read", "Read an account", "getAccount", { requestParams: idParams, responses: { "200": accountResponse("The account."), ...notFound } }),
          patch: op("accounts:write", "Update contacts", "updateAccount", {
            description: "A changed email or phone is stored unverified unless its verified flag is given too; a changed contact ends the account's sessions and open recovery flows.",
            requestParams: idParams,
            requestBody: { required: true, content: { "application/json": { schema: UpdateAccount } } },
            responses: { "200": accountResponse("The updated account."), ...withBody, ...notFound },
          }),
          delete: op("accounts:write", "Delete an account", "deleteAccount", {
            description: "Erases the account's personal data (account row, contacts, factors, sessions, flows); an audit tombstone (account_deleted) stays.",
            requestParams: idParams,
            responses: { "204": { description: "Deleted." }, ...notFound },
          }),
        },
        "/api/v1/accounts/{id}/disable": {
          post: op("accounts:write", "Disable an account", "disableAccount", {
            description: "Ends its sessions and recovery flows; sign-in is refused until enabled.",
            requestParams: idParams,
            responses: { "200": accountResponse("The account, disabled."), ...notFound },
          }),
        },
        "/api/v1/accounts/{id}/enable": {
          post: op("accounts:write", "Enable an account", "enableAccount", { requestParams: idParams, responses: { "200": accountResponse("The account, active."), ...notFound } }),
        },
      },
    }),
  );
  return cached;
}
