// ESLint (flat config) for the web client and its unit tests, run from the repository's root:
// `web_client/tools/node_modules/.bin/eslint -c web_client/tools/eslint.config.js web_client tests/web_client`
// (web_client/tools/check.sh does).
import js from "@eslint/js";
import globals from "globals";
import { CLIENT_EVENTS, CONNECTION_EVENTS, SERVER_EVENTS } from "../core/events.js";

// Event names come from core/events.js: one of them written as a string where an event is sent
// or subscribed to (emit, on, request, send, dispatch) is a bare event name.
const NAMES = [...new Set([CLIENT_EVENTS, SERVER_EVENTS, CONNECTION_EVENTS].flatMap((c) => Object.values(c)))];
const BARE_EVENT =
  `CallExpression[callee.property.name=/^(emit|on|once|off|request|send|dispatch)$/] > ` +
  `Literal.arguments:first-child[value=/^(${NAMES.join("|")})$/]`;

export default [
  { ignores: ["web_client/tools/**", "web_client/vendor/**"] },
  js.configs.recommended,
  {
    files: ["web_client/**/*.js", "tests/web_client/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-restricted-syntax": ["error", { selector: BARE_EVENT, message: "Use the event names of core/events.js." }],
      "no-restricted-properties": [
        "error",
        { object: "window", property: "tandemTestHooks", message: "The test hooks are for the tests; the page never reads them." },
      ],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    // The socket.io client's own connection events are named here once, in the event catalogue.
    files: ["web_client/core/events.js"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["tests/web_client/**/*.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
