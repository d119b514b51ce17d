#!/usr/bin/env bash
# Installs the pinned npm packages of the Node socket.io reference server (load_tests/reference)
# with `npm ci`, while the network is still reachable (the test suite runs in a loopback-only
# namespace). Without node/npm it says so and succeeds: the reference tests are then skipped.
set -euo pipefail
cd "$(dirname "$0")/reference"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "load_tests/prepare.sh: node/npm missing; the Node reference load tests will be skipped" >&2
  exit 0
fi
if [ -f node_modules/socket.io/package.json ] && [ -f node_modules/socket.io-msgpack-parser/package.json ] \
   && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
