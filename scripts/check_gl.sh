#!/usr/bin/env bash
# Make sure a headless OpenGL backend (EGL or OSMesa, Mesa software rendering) is present.
# Installs the Debian packages when run as root with apt-get; otherwise says what to install.
set -euo pipefail
PKGS="libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6"
have() { ldconfig -p 2>/dev/null | grep -q "$1"; }
if have libEGL.so.1 && have libOSMesa.so; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing headless GL libraries: $PKGS" >&2
  (apt-get install -y -qq $PKGS >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq $PKGS >/dev/null; })
  exit 0
fi
if have libEGL.so.1 || have libOSMesa.so; then exit 0; fi
echo "error: no headless OpenGL library found; install the Debian packages: sudo apt-get install -y $PKGS" >&2
exit 2
