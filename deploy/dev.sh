#!/usr/bin/env bash
# The two commands a newcomer needs on a fresh Debian / Raspberry Pi OS machine:
#
#   ./deploy/dev.sh demo   install everything, then start the kiosk on simulated hardware
#   ./deploy/dev.sh test   install everything, then run the whole test suite (CI runs this)
#
# "Everything" is the Debian packages in deploy/apt-packages*.txt and a virtualenv in
# .venv with the kiosk and its Python dependencies. Nothing is configured by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 demo|test" >&2; exit 2; }
[ $# -ge 1 ] || usage
what=$1; shift

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages() { grep -hvE '^\s*(#|$)' "$@"; }

install_debian() {
    local missing=()
    for p in $(packages "$@"); do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { echo "Debian packages: all present"; return; }
    if ! command -v apt-get >/dev/null; then
        echo "apt-get not found: please install ${missing[*]}" >&2
        exit 1
    fi
    echo "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
}

install_python() {
    local extras=$1
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$extras]"
}

case "$what" in
    demo)
        install_debian deploy/apt-packages.txt
        install_python "ui,report"
        # the core and its touchscreen window; with no display (e.g. over SSH) it says so
        # and runs headless
        exec .venv/bin/kiosk run --config kiosk/configs/demo.toml "$@"
        ;;
    test)
        install_debian deploy/apt-packages.txt deploy/apt-packages-test.txt
        install_python "ui,report,monitor,test"
        .venv/bin/ruff check .
        .venv/bin/mypy
        # Nothing here may depend on the machine's own services: the tests start what they
        # need (e.g. their own Mosquitto on a free port) and use throwaway state dirs.
        export HOME="${KIOSK_TEST_HOME:-$(mktemp -d)}"
        exec .venv/bin/python -m pytest -q --doctest-modules kiosk tests "$@"
        ;;
    *) usage ;;
esac
