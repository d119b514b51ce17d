#!/usr/bin/env bash
# The web client's checks: ESLint, the TypeScript checker over the JSDoc types (tsconfig.json for
# everything strictly but the admin page's entry module, tsconfig.admin.json for that), and the
# unit tests in tests/web_client/ with Node's own test runner. The tools are the exact versions of
# package-lock.json, installed here with `npm ci` (scripts/test.sh runs this before it leaves the
# network).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
client="$(dirname "$here")"
repo="$(dirname "$client")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web_client/tools/check.sh: node and npm are needed for the web client's checks (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
bin="$here/node_modules/.bin"
(cd "$repo" && "$bin/eslint" -c web_client/tools/eslint.config.js --max-warnings=0 web_client tests/web_client)
"$bin/tsc" -p "$here/tsconfig.json"
"$bin/tsc" -p "$here/tsconfig.admin.json"
mapfile -t tests < <(find "$repo/tests/web_client" -name '*.test.js' | sort)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "web_client/tools/check.sh: no unit tests found in tests/web_client" >&2
  exit 1
fi
node --test "${tests[@]}"
