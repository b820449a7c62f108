#!/usr/bin/env bash
# The report's browser test drives Debian's headless Chromium through chromedriver.
# Installs chromium + chromium-driver when run as root with apt-get; otherwise says what to do.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium chromium-driver (browser test of the HTML report)" >&2
  (apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null; })
  exit 0
fi
echo "note: chromium/chromedriver missing; the browser test will be skipped (sudo apt-get install -y chromium chromium-driver)" >&2
