#!/usr/bin/env bash
# Install headless Chromium (Debian's 'chromium') for the browser tests when it is missing.
# Never fails the build: without it the browser tests skip with a reason. (Leaflet ships with
# the package; `python -m nachtzorg.viz.assets --verify` compares it with npm's when online.)
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
exit 0
