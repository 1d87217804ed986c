// One lint configuration for every package: typescript-eslint's recommended rules.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".tools/**", ".m10/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // A package is entered through its exports only (packages/shared/test/package-boundaries.test.ts checks the same, and relative escapes).
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^@m10/(?!devstack/(testing|vitest|global-setup|service-process)$|delivery/testing$)[^/]+/.+",
              message: "Import the package's entry point (or a subpath its package.json exports), not its internal files.",
            },
          ],
        },
      ],
    },
  },
);
