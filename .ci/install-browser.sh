#!/usr/bin/env bash
# Install headless Chromium (Debian's 'chromium') for the browser tests when it is missing,
# and prefetch Leaflet from the npm registry for self-contained maps. Never fails the build:
# without them the browser tests skip with a reason.
set -u
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || echo "install-browser: apt-get update failed" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
      || echo "install-browser: could not install chromium; browser tests will skip" >&2
  else
    echo "install-browser: no apt-get; browser tests will skip" >&2
  fi
fi
PY=${PYTHON:-python3}
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
if command -v npm >/dev/null 2>&1; then
  "$PY" -m nachtzorg.viz.assets >/dev/null 2>&1 || echo "install-browser: could not prefetch Leaflet from npm" >&2
fi
exit 0
