import js from "@eslint/js";
import tseslint from "typescript-eslint";
import i18next from "eslint-plugin-i18next";
import reactHooks from "eslint-plugin-react-hooks";

/**
 * The floors of app/ (issue 11; architecture review §3): a folder imports only from folders on
 * lower floors (and from itself), so no arrow runs back up and no two folders need each other.
 * Routes and the CLI stand on top; the platform (http, security, db) at the bottom.
 */
const FLOORS = [
  ["http", "security", "db"],
  ["stores", "i18n"],
  ["webhooks"],
  ["lockout", "sessions", "limits", "audit", "delivery"],
  ["accounts"],
  ["notices", "ui", "help"],
  ["factors"],
  ["proofs"],
  ["recovery", "sign-in"],
  ["web", "tickets", "settings", "api"],
  ["support"],
  ["routes", "cli"],
];
const layerRules = FLOORS.flatMap((folders, floor) =>
  folders.map((folder) => {
    const above = FLOORS.slice(floor).flat().filter((other) => other !== folder);
    return {
      files: [`app/${folder}/**`],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: above.flatMap((other) => [`~/${other}/*`, `../${other}/*`]),
                message: `app/${folder}/ may only import from folders on a lower floor (see FLOORS in eslint.config.js).`,
              },
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  { ignores: ["build/**", "public/build/**", "node_modules/**", "test-results/**", "playwright-report/**", "data/**", "tests/.tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // React's rules apply to React code; Playwright fixtures also call a function named `use`.
    files: ["app/**", "emails/**"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // Secrets must come from the CSPRNG (TOK-01, OTP-01, SES-06).
    files: ["app/security/**", "app/sessions/**", "app/recovery/**", "app/accounts/**", "app/factors/**", "app/sign-in/**", "app/settings/**", "app/notices/**", "app/stores/**", "app/web/**", "app/proofs/**", "app/api/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Use crypto.randomBytes / randomInt for anything secret." },
        { object: "crypto", property: "randomUUID", message: "UUIDs are not tokens: use randomToken()." },
      ],
    },
  },
  ...layerRules,
  {
    // SQL lives in stores (docs/decisions/0010): one owning module per table, nothing else
    // builds a query or touches the driver.
    files: ["app/**"],
    ignores: ["app/stores/**", "app/db/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|prepare|pragma)$/]",
          message: "SQL belongs in a store (app/stores/*.store.ts).",
        },
        { selector: "TaggedTemplateExpression[tag.name='sql']", message: "SQL belongs in a store (app/stores/*.store.ts)." },
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message: "Open transactions with inTransaction(context, …) or transaction(db, …), which mark the lock as held.",
        },
        {
          selector: "ImportDeclaration[source.value=/^(kysely|better-sqlite3)$/][importKind!='type']",
          message: "Only stores and app/db/ use the database driver.",
        },
      ],
    },
  },
  {
    // Issue 16: what a customer reads comes from the catalogues (app/locales/), never from text
    // written in a component. The console and the staff e-mails are English only (0022).
    files: ["app/root.tsx", "app/routes/**/*.tsx", "app/ui/**/*.tsx", "emails/**/*.tsx"],
    ignores: [
      "app/routes/support*.tsx",
      "app/routes/dev.mailbox.tsx",
      ...["account-view-page", "console-nav", "phone-ticket-page", "reports-page", "staff-accounts-page", "ticket-approvals", "ticket-customer", "ticket-list-page", "ticket-page", "ticket-queue", "webhooks-page"].map((f) => `app/ui/${f}.tsx`),
      ...["approval-requested", "staff-invite", "staff-locked", "ticket-new", "ticket-escalated", "ticket-customer-reply", "smtp-test", "webhook-disabled"].map((f) => `emails/${f}.tsx`),
    ],
    plugins: { i18next },
    rules: { "i18next/no-literal-string": ["error", { mode: "jsx-text-only" }] },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
