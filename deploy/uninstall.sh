#!/usr/bin/env bash
# Remove counter-kiosk from this machine, keeping its data.
#
#   sudo ./deploy/uninstall.sh             stop and remove the units, udev rules, journald
#                                          limit and /opt/counter-kiosk; keep the config
#                                          (/etc/counter-kiosk), the database, backups and
#                                          clips (/var/lib/counter-kiosk) and the user kiosk
#   sudo ./deploy/uninstall.sh --purge     remove those too
#   --dry-run                              list what would go; remove nothing
#   --root DIR                             work on the system image at DIR
set -euo pipefail

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

ROOT=""
DRY=0
PURGE=0
while [ $# -gt 0 ]; do
    case $1 in
        --root) [ $# -ge 2 ] || usage; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --dry-run|-n) DRY=1; shift ;;
        --purge) PURGE=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option: $1" >&2; usage ;;
    esac
done
# shellcheck source=deploy/steps.sh
. "$(dirname "$0")/steps.sh"  # say, change, act, systemctl_t, check_target
check_target

PREFIX=${PREFIX:-/opt/counter-kiosk}
UNITS="counter-kiosk-ui.service counter-kiosk.service counter-kiosk-backup.timer
counter-kiosk-backup.service"
FILES="/etc/udev/rules.d/99-counter-kiosk.rules
/etc/systemd/journald.conf.d/counter-kiosk.conf"
changes=0

remove() {
    if [ -e "$ROOT$1" ] || [ -L "$ROOT$1" ]; then
        change "remove $1"
        act rm -rf "$ROOT$1"
    fi
}

for u in $UNITS; do
    [ -e "$ROOT/etc/systemd/system/$u" ] || continue
    if [ -z "$ROOT" ] && systemctl is-active --quiet "$u"; then
        change "stop $u"
        act systemctl stop "$u"
    fi
    if systemctl_t is-enabled --quiet "$u" 2>/dev/null; then
        change "disable $u"
        act systemctl_t disable --quiet "$u"
    fi
    remove "/etc/systemd/system/$u"
done
for f in $FILES; do
    remove "$f"
done
remove "$PREFIX"
if [ "$PURGE" = 1 ]; then
    remove /etc/counter-kiosk
    remove /var/lib/counter-kiosk
    if awk -F: '$1 == "kiosk" { found = 1 } END { exit !found }' "$ROOT/etc/passwd"; then
        change "remove the user kiosk"
        act userdel ${ROOT:+--root "$ROOT"} kiosk
    fi
else
    say "kept: /etc/counter-kiosk, /var/lib/counter-kiosk (database, backups, clips), user kiosk"
    say "      (remove them too with --purge)"
fi
if [ -z "$ROOT" ] && [ "$DRY" = 0 ] && [ "$changes" != 0 ]; then
    systemctl daemon-reload
    udevadm control --reload || true
    systemctl restart systemd-journald || true
fi
if [ "$changes" = 0 ]; then
    say "nothing to remove"
fi
