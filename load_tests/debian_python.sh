#!/usr/bin/env bash
# A second venv for the load tests' `tandem-debian-python` target: Tandem's packages installed
# for Debian's own python3.11 (`.venv-debian`), to measure the server on another interpreter
# beside this repository's `.venv` in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${DEBIAN_PYTHON:-/usr/bin/python3.11}"
if [ ! -x "$PYTHON" ]; then
  echo "$PYTHON is missing (apt-get install python3.11 python3.11-venv)" >&2
  exit 1
fi
if [ ! -x .venv-debian/bin/python ]; then
  "$PYTHON" -m venv .venv-debian
fi
.venv-debian/bin/pip install -q -e .
