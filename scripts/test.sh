#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

exec python -m pytest "$@"
