#!/usr/bin/env bash
# Install the Debian packages listed in .ci/apt-packages that are not installed yet (used by .ci/run).
# `make tutorial` and `make test` never call this: they only name what is missing (scripts/system_deps.py).
# Needs apt-get and root, or sudo; it says so and stops otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
wanted=$(grep -v '^[[:space:]]*#' .ci/apt-packages | sed 's/[[:space:]]*#.*//' | awk 'NF')
missing=()
for pkg in $wanted; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: apt-get is not here; install ${missing[*]} with your system's package manager" \
       "(see: python3 scripts/system_deps.py)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-system-deps: not root and no sudo: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "install-system-deps: installing ${missing[*]} with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
