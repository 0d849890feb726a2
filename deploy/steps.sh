# Shared by install.sh and uninstall.sh (sourced, not run): how a step is said and done.
# Both scripts set DRY (1 for --dry-run), ROOT (a system image, or empty for this
# machine) and changes (the count of changes, which a second install must leave at 0).
# shellcheck shell=bash

say() { printf '%s\n' "$*"; }

# One line per change: "would:" with --dry-run, "change:" otherwise.
change() {
    changes=$((changes + 1))
    if [ "$DRY" = 1 ]; then say "would: $*"; else say "change: $*"; fi
}

# Run a command that changes the target, unless this is a dry run.
act() {
    if [ "$DRY" = 0 ]; then "$@"; fi
}

# systemctl on the target: this machine, or the image at ROOT
systemctl_t() {
    if [ -n "$ROOT" ]; then systemctl --root="$ROOT" "$@"; else systemctl "$@"; fi
}

# After the options: ROOT made absolute ("/" means this machine), and root asked for
# where a real run changes this machine.
check_target() {
    if [ -n "$ROOT" ]; then
        [ -d "$ROOT" ] || { echo "--root $ROOT: no such directory" >&2; exit 2; }
        ROOT=$(cd "$ROOT" && pwd)
        [ "$ROOT" != / ] || ROOT=""
    fi
    if [ "$DRY" = 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
        echo "please run as root: sudo $0" >&2
        exit 1
    fi
}
