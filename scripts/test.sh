#!/usr/bin/env bash
# Lint, type checks and the whole test suite. The suite runs inside a network namespace that has
# only loopback, so that WebRTC between browsers and aiortc peers stays on 127.0.0.1 and no test
# can reach anything but this machine. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"

"$BIN/ruff" check rooms server media speech clients tests load_tests || exit 1
"$BIN/mypy" || exit 1
# The web client: ESLint, tsc over its JSDoc types, Node unit tests (npm ci of its pinned tools
# first, while the network is still reachable).
web_client/tools/check.sh || exit 1

# Anything that needs the network (npm packages of the load-test reference server) is fetched
# before entering the namespace.
if [ -f load_tests/prepare.sh ]; then
  load_tests/prepare.sh || exit 1
fi

if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec "$0" -m pytest "$@"' "$BIN/python" "$@"
  status=$?
else
  echo "warning: cannot create a loopback-only network namespace (needs root);" \
       "the browser tests will be skipped" >&2
  "$BIN/python" -m pytest "$@"
  status=$?
fi
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure of the suite, not a pass" >&2
  exit 1
fi
exit "$status"
