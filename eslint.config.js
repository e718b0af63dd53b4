import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

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
    files: ["app/security/**", "app/sessions/**", "app/recovery/**", "app/accounts/**", "app/factors/**"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Use crypto.randomBytes / randomInt for anything secret." },
        { object: "crypto", property: "randomUUID", message: "UUIDs are not tokens: use randomToken()." },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
