#!/usr/bin/env sh
# Installs wrk, the HTTP load generator `cargo bench --bench http` drives,
# through the system package manager. Run by the benchmark when `wrk` is
# not on PATH; safe to run by hand.
set -eu
if command -v wrk >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get install -y wrk || { $SUDO apt-get update && $SUDO apt-get install -y wrk; }
elif command -v dnf >/dev/null 2>&1; then
    $SUDO dnf install -y wrk
elif command -v apk >/dev/null 2>&1; then
    $SUDO apk add wrk
elif command -v pacman >/dev/null 2>&1; then
    $SUDO pacman -S --noconfirm wrk
else
    echo "install-wrk: no known package manager; install wrk by hand" >&2
    exit 1
fi
command -v wrk >/dev/null 2>&1
