#!/usr/bin/env bash
# Rebuild the vendored browser libraries in web_client/vendor/.
#
# Tandem serves web_client/ as it is (no build step at run time), so the built files are committed.
# Run this only when a pinned version in package.json changes:
#   1. edit package.json (exact versions only), then `npm install --package-lock-only --ignore-scripts`
#      in this folder to refresh package-lock.json;
#   2. bash web_client/vendor/build.sh
#   3. commit package.json, package-lock.json and the copied files.
#
# npm ci runs in a temporary directory, so node_modules never appears in the work tree.
#
# To add a library, add it to package.json and add lines to FILES below:
#   "<file inside the temporary directory>|<name in web_client/vendor/>"
# A library that ships only ES modules or CommonJS (yjs, for example) needs bundling first: add its
# command to bundle() below (esbuild from npm, pinned in package.json) and list its output in FILES.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

FILES=(
  "node_modules/socket.io-client/dist/socket.io.msgpack.min.js|socket.io.msgpack.min.js"
  "node_modules/socket.io-client/dist/socket.io.msgpack.min.js.map|socket.io.msgpack.min.js.map"
  "node_modules/socket.io-client/LICENSE|socket.io-client.LICENSE"
  "yjs.bundle.js|yjs.bundle.js"
  "node_modules/yjs/LICENSE|yjs.LICENSE"
  "node_modules/lib0/LICENSE|lib0.LICENSE"
  # intl-messageformat (ICU messages: plurals, selects, numbers, dates) and its formatjs parts,
  # as one ES module; web_client/ui/i18n.js imports it.
  "intl-messageformat.bundle.js|intl-messageformat.bundle.js"
  "node_modules/intl-messageformat/LICENSE.md|intl-messageformat.LICENSE"
  # axe-core: loaded only by the browser tests (tests/e2e/axe.py), never by the pages.
  "node_modules/axe-core/axe.min.js|axe.min.js"
  "node_modules/axe-core/LICENSE|axe-core.LICENSE"
)

bundle() {
  # Bundling steps for libraries that need them go here, run inside "$work".
  # yjs (and lib0, its one dependency) as one ES module; web_client/whiteboard.js imports it.
  # --legal-comments=none keeps the output byte-identical between runs; the licences are copied.
  printf 'export * from "yjs";\n' >entry-yjs.js
  ./node_modules/.bin/esbuild entry-yjs.js --bundle --format=esm --minify --target=es2020 \
    --legal-comments=none --log-level=warning --outfile=yjs.bundle.js
  printf 'export { IntlMessageFormat } from "intl-messageformat";\n' >entry-intl.js
  ./node_modules/.bin/esbuild entry-intl.js --bundle --format=esm --minify --target=es2020 \
    --legal-comments=none --log-level=warning --outfile=intl-messageformat.bundle.js
}

cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd "$work" && bundle)

for entry in "${FILES[@]}"; do
  src="${entry%%|*}"
  dest="${entry##*|}"
  if [[ ! -f "$work/$src" ]]; then
    echo "build.sh: $src is missing from the installed packages" >&2
    exit 1
  fi
  cp "$work/$src" "$here/$dest"
  echo "vendored $dest ($(wc -c <"$here/$dest") bytes)"
done
