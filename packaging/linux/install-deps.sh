#!/bin/sh
# Install the system packages DoseTrail needs on Debian/Ubuntu before `pip install`:
# the X11 (xcb) libraries Qt's window needs (PySide6 does not bundle them; libxcb-icccm4
# and libxcb-keysyms1 are missing on some stock desktops) and python3-venv (`python3 -m venv`).
#
# Installs only what is missing (nothing to do: says nothing, exit 0). As root it runs
# apt-get; otherwise sudo when there is a terminal to ask for the password; else it prints
# the command to run. Where apt is absent (other distributions, macOS) it does nothing:
# `dosetrail` names the missing libraries and the dnf/zypper/pacman command if there are any.
# Exit status: 0, or 1 only when python3-venv is missing and could not be installed (the
# next step of the README, `python3 -m venv`, cannot work then).
# DOSETRAIL_SKIP_SYSTEM_DEPS=1 skips everything.
set -u

[ "${DOSETRAIL_SKIP_SYSTEM_DEPS:-}" = 1 ] && exit 0
[ "$(uname -s 2>/dev/null)" = Linux ] || exit 0

XCB_PACKAGES="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
libxcb-randr0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-util1 \
libxkbcommon-x11-0 libxkbcommon0 libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3"

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  exit 0  # not Debian/Ubuntu: nothing this script knows how to install
fi

installed() {  # installed PACKAGE: true when dpkg knows it as installed
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" in
    *" installed") return 0 ;;
    *) return 1 ;;
  esac
}

candidate() {  # candidate PACKAGE: true when apt can install it (the name exists in this release)
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

missing=""
for pkg in $XCB_PACKAGES; do
  installed "$pkg" || missing="$missing $pkg"
done
venv_missing=""
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  venv_missing="python3-venv"
  missing="$missing python3-venv"
fi
[ -z "$missing" ] && exit 0

# names this release does not have (an older Ubuntu without libxcb-cursor0) are left out
wanted=""
for pkg in $missing; do
  if candidate "$pkg"; then wanted="$wanted $pkg"; fi
done
if [ -z "$wanted" ]; then  # the package lists may be empty (a fresh container): refresh once
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1; fi
  for pkg in $missing; do
    if candidate "$pkg"; then wanted="$wanted $pkg"; fi
  done
  [ -z "$wanted" ] && wanted="$missing"
fi

echo "DoseTrail needs these system packages:$wanted" >&2
run_apt() {  # run_apt [sudo]: install $wanted, refreshing the package lists once if needed
  $1 apt-get install -y -q --no-install-recommends $wanted \
    || { $1 apt-get update -qq && $1 apt-get install -y -q --no-install-recommends $wanted; }
}
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  run_apt "" && exit 0
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  echo "installing them with sudo (your password may be asked)" >&2
  run_apt sudo && exit 0
fi
echo "could not install them; as root (sudo, or su -c '...'), run:" >&2
echo "    apt-get install$wanted" >&2
if [ -n "$venv_missing" ]; then
  exit 1
fi
echo "(the window needs them; the command line works without them)" >&2
exit 0
