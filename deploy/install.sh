#!/usr/bin/env bash
# Install counter-kiosk as an appliance on Raspberry Pi OS Bookworm (64-bit) or Debian 12.
#
#   sudo ./deploy/install.sh              install or upgrade, then (re)start what changed
#   sudo ./deploy/install.sh --dry-run    list every change it would make; change nothing
#   sudo ./deploy/install.sh --root DIR   install into the system image at DIR (a chroot or
#                                         a mounted SD card); starts nothing there
#
# Idempotent: every step looks first and acts only where something differs, so a second
# run changes nothing and says so. What it sees to:
#   * Debian packages from deploy/apt-packages.txt and deploy/apt-packages-pi.txt (only
#     the missing ones)
#   * a system user "kiosk" in no supplementary group: each unit grants its own
#     (the core: serial, GPIO, sound, printers; the screen: video, render, input)
#   * the code in /opt/counter-kiosk with its own virtualenv (Kivy from PyPI: its SDL2
#     has the KMS/DRM driver, see docs/appliance.md)
#   * /etc/counter-kiosk/kiosk.toml from the production sample, only if absent: an
#     existing (edited) config is never overwritten
#   * the voice clip pack, generated with espeak-ng if the directory is empty
#   * udev rules (printer access, stable /dev/kiosk/* names), the journald size limit,
#     the units (core, screen, daily backup timer), boot to the console, timesyncd
set -euo pipefail

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

ROOT=""
DRY=0
while [ $# -gt 0 ]; do
    case $1 in
        --root) [ $# -ge 2 ] || usage; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --dry-run|-n) DRY=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option: $1" >&2; usage ;;
    esac
done
# shellcheck source=deploy/steps.sh
. "$(dirname "$0")/steps.sh"  # say, change, act, systemctl_t, check_target
check_target

src=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/counter-kiosk}
ETC=/etc/counter-kiosk
STATE=/var/lib/counter-kiosk
UNITS="counter-kiosk.service counter-kiosk-ui.service counter-kiosk-backup.service
counter-kiosk-backup.timer"
ENABLE="counter-kiosk.service counter-kiosk-ui.service counter-kiosk-backup.timer"
KIOSK_GROUPS="dialout gpio audio lp plugdev video render input"
changes=0
code_changed=0
units_changed=0
udev_changed=0
journald_changed=0


# Run a program of the target system (its apt, its python) rather than this one's.
in_root() {
    if [ -n "$ROOT" ]; then chroot "$ROOT" "$@"; else "$@"; fi
}

packages() { grep -hvE '^\s*(#|$)' "$@"; }

gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$ROOT/etc/group" 2>/dev/null; }
uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$ROOT/etc/passwd" 2>/dev/null; }

# Owner and group by number, as the target knows them (its /etc, not this machine's).
# Ownership is set only by root; a non-root --root run lays out files and modes only.
own() {
    local path=$1 user=$2 group=$3 uid gid
    [ "$(id -u)" -eq 0 ] && [ -e "$path" ] || return 0
    uid=$(uid_of "$user"); gid=$(gid_of "$group")
    [ -n "$uid" ] && [ -n "$gid" ] || return 0
    if [ "$(stat -c %u:%g "$path")" != "$uid:$gid" ]; then
        change "owner of ${path#"$ROOT"} $user:$group"
        act chown "$uid:$gid" "$path"
    fi
}

# put SRC DEST MODE [USER GROUP]: install a file where its content or mode differs.
put() {
    local from=$1 to=$ROOT$2 mode=$3 user=${4:-root} group=${5:-root}
    if [ -f "$to" ] && cmp -s "$from" "$to" && [ "$(stat -c %a "$to")" = "${mode#0}" ]; then
        own "$to" "$user" "$group"
        return 1
    fi
    change "install $2 (mode $mode)"
    act install -D -m "$mode" "$from" "$to"
    own "$to" "$user" "$group"
    return 0
}

# dir PATH MODE [USER GROUP]: a directory with this mode.
dir() {
    local path=$ROOT$1 mode=$2 user=${3:-root} group=${4:-root}
    if [ -d "$path" ] && [ "$(stat -c %a "$path")" = "${mode#0}" ]; then
        own "$path" "$user" "$group"
        return 0
    fi
    change "directory $1 (mode $mode)"
    act mkdir -p "$path"
    act chmod "$mode" "$path"
    own "$path" "$user" "$group"
}

# A checksum of the source tree as it is copied (caches and the developer's venv left out).
tree_sum() {
    (cd "$src" && find . \( -name .git -o -name .venv -o -name __pycache__ -o -name artifacts \
        -o -name '.*_cache' -o -name '*.egg-info' -o -name .tree.sha256 \) -prune \
        -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

copy_tree() {
    local to=$ROOT$PREFIX
    mkdir -p "$to"
    find "$to" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
    tar -C "$src" --exclude=.git --exclude=.venv --exclude=__pycache__ --exclude=artifacts \
        --exclude='.*_cache' --exclude='*.egg-info' -cf - . | tar -C "$to" -xf -
}

say "== Debian packages"
missing=()
for p in $(packages "$src/deploy/apt-packages.txt" "$src/deploy/apt-packages-pi.txt"); do
    dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null \
        | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    change "apt-get install ${missing[*]}"
    act in_root apt-get update -qq
    act in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
fi

say "== user kiosk"
if [ -z "$(uid_of kiosk)" ]; then
    change "add the system user kiosk (home $STATE, no login)"
    act useradd ${ROOT:+--root "$ROOT"} --system --user-group --home-dir "$STATE" \
        --shell /usr/sbin/nologin kiosk
fi
for g in $KIOSK_GROUPS; do
    # an older install added kiosk to these; now each unit grants only what it needs
    if awk -F: -v g="$g" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++)
            if (m[i] == "kiosk") found = 1 } END { exit !found }' "$ROOT/etc/group"; then
        change "remove kiosk from group $g (the units grant their own groups)"
        act gpasswd ${ROOT:+--root "$ROOT"} -d kiosk "$g" >/dev/null
    fi
done

say "== code in $PREFIX"
want=$(tree_sum)
have=$(cat "$ROOT$PREFIX/.tree.sha256" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    change "copy the code to $PREFIX"
    act copy_tree
    code_changed=1
fi
if [ ! -x "$ROOT$PREFIX/.venv/bin/python" ]; then
    change "create the virtualenv $PREFIX/.venv"
    act in_root python3 -m venv "$PREFIX/.venv"
    code_changed=1
fi
if [ "$code_changed" = 1 ]; then
    change "pip install ${PREFIX}[ui] into $PREFIX/.venv"
    act in_root "$PREFIX/.venv/bin/python" -m pip install -q "${PREFIX}[ui]"
    # written last: an interrupted install is redone next time
    [ "$DRY" = 1 ] || printf '%s\n' "$want" > "$ROOT$PREFIX/.tree.sha256"
fi

say "== configuration in $ETC"
dir "$ETC" 0750 root kiosk
if [ -f "$ROOT$ETC/kiosk.toml" ]; then
    say "   $ETC/kiosk.toml exists: kept as it is"
else
    put "$src/kiosk/configs/production.sample.toml" "$ETC/kiosk.toml" 0640 root kiosk || true
    say "   edit $ETC/kiosk.toml: branch, hours and hardware"
fi
if [ -z "$ROOT" ] && [ -x "$PREFIX/.venv/bin/kiosk" ]; then
    "$PREFIX/.venv/bin/kiosk" check-config "$ETC/kiosk.toml" >/dev/null
fi

say "== state and voice clips in $STATE"
dir "$STATE" 0700 kiosk kiosk
dir "$STATE/clips" 0700 kiosk kiosk
if [ -z "$(ls -A "$ROOT$STATE/clips" 2>/dev/null)" ]; then
    change "generate the voice clips in $STATE/clips (espeak-ng)"
    act in_root runuser -u kiosk -- "$PREFIX/.venv/bin/python" -m drivers.audio.clips \
        "$STATE/clips"
fi

say "== udev, journald, systemd"
if put "$src/deploy/99-counter-kiosk.rules" /etc/udev/rules.d/99-counter-kiosk.rules 0644; then
    udev_changed=1
fi
if put "$src/deploy/journald-counter-kiosk.conf" \
        /etc/systemd/journald.conf.d/counter-kiosk.conf 0644; then
    journald_changed=1
fi
for u in $UNITS; do
    if put "$src/systemd/$u" "/etc/systemd/system/$u" 0644; then units_changed=1; fi
done
if [ -z "$ROOT" ] && [ "$DRY" = 0 ]; then
    [ "$units_changed" = 0 ] || systemctl daemon-reload
    [ "$udev_changed" = 0 ] || { udevadm control --reload
        udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=tty; }
    [ "$journald_changed" = 0 ] || systemctl restart systemd-journald
fi
for u in $ENABLE systemd-timesyncd.service; do
    if ! systemctl_t is-enabled --quiet "$u" 2>/dev/null; then
        change "enable $u"
        act systemctl_t enable --quiet "$u"
    fi
done
if [ "$(systemctl_t get-default 2>/dev/null)" != multi-user.target ]; then
    # no desktop: a compositor would hold the display that the kiosk screen draws on
    change "boot to the console (default target multi-user.target)"
    act systemctl_t set-default multi-user.target
fi

if [ "$changes" = 0 ]; then
    say "== nothing to change; counter-kiosk is installed as it should be"
else
    say "== $changes change(s)$([ "$DRY" = 1 ] && echo ' would be made; nothing was changed')"
fi
if [ -z "$ROOT" ] && [ "$DRY" = 0 ]; then
    if [ "$changes" != 0 ]; then
        systemctl restart counter-kiosk.service counter-kiosk-ui.service
        systemctl start counter-kiosk-backup.timer
    fi
    systemctl --no-pager --lines=5 status counter-kiosk.service || true
    say "== check it with: sudo $PREFIX/.venv/bin/kiosk doctor"
fi
