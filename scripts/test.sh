#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, then the lint, then the whole suite.
# Arguments go to pytest: scripts/test.sh -m "not e2e" skips the slow end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test drives Debian's Chromium; without a CJK font, Chinese renders as boxes. The class
# recipe's test (scripts/serve_class.sh) runs Debian's nginx, never as a service.
if [ ! -x /usr/bin/chromium ] || ! ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
        || ! { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "need root or sudo to apt-get install chromium fonts-noto-cjk nginx" >&2; exit 1; }
        SUDO="sudo"
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk nginx
fi

python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

python3 -m ruff check .
exec python3 -m pytest "$@"
