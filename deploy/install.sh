#!/usr/bin/env bash
# Install counter-kiosk as an appliance on Raspberry Pi OS (Bookworm) or Debian.
#
#   sudo ./deploy/install.sh            install or upgrade, then (re)start the service
#
# What it does, idempotently:
#   * Debian packages from deploy/apt-packages.txt (fonts, espeak-ng, sox, ALSA, ...)
#   * a system user "kiosk" in the groups that own serial, GPIO, sound and printers
#   * the code in /opt/counter-kiosk with its own virtualenv
#   * /etc/counter-kiosk/kiosk.toml from the production sample, only if absent
#     (an existing config is never overwritten; it is checked before the restart)
#   * the default voice clip pack, generated with espeak-ng (recorded clips are kept)
#   * systemd-timesyncd enabled, so the kiosk knows when its clock can be trusted
#   * the udev rule for USB printers, and the systemd unit, enabled and started
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "please run as root: sudo $0" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/counter-kiosk}
ETC=/etc/counter-kiosk
STATE=/var/lib/counter-kiosk

packages() { grep -hvE '^\s*(#|$)' "$@"; }
echo "== Debian packages"
apt-get update -qq
# shellcheck disable=SC2046
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $(packages "$src/deploy/apt-packages.txt") systemd-timesyncd

echo "== user kiosk"
id kiosk >/dev/null 2>&1 || useradd --system --home-dir "$STATE" --shell /usr/sbin/nologin kiosk
for g in dialout gpio audio lp plugdev video render input; do
    getent group "$g" >/dev/null && usermod -aG "$g" kiosk
done

echo "== code in $PREFIX"
mkdir -p "$PREFIX"
# copy the tree without the developer's venv, caches or git metadata
tar -C "$src" --exclude=.venv --exclude=.git --exclude='__pycache__' --exclude=artifacts \
    -cf - . | tar -C "$PREFIX" -xf -
[ -x "$PREFIX/.venv/bin/python" ] || python3 -m venv "$PREFIX/.venv"
"$PREFIX/.venv/bin/python" -m pip install -q --upgrade pip
"$PREFIX/.venv/bin/python" -m pip install -q "$PREFIX"

echo "== configuration in $ETC"
install -d -m 0750 -o root -g kiosk "$ETC"
if [ ! -f "$ETC/kiosk.toml" ]; then
    install -m 0640 -o root -g kiosk "$src/kiosk/configs/production.sample.toml" "$ETC/kiosk.toml"
    echo "   wrote $ETC/kiosk.toml from the sample: edit branch, hours and hardware"
fi
"$PREFIX/.venv/bin/kiosk" check-config "$ETC/kiosk.toml"

echo "== voice clips"
install -d -m 0700 -o kiosk -g kiosk "$STATE" "$STATE/clips"
runuser -u kiosk -- "$PREFIX/.venv/bin/python" -m drivers.audio.clips "$STATE/clips"

echo "== clock, udev, systemd"
systemctl enable --now systemd-timesyncd.service
install -m 0644 "$src/deploy/99-counter-kiosk.rules" /etc/udev/rules.d/99-counter-kiosk.rules
udevadm control --reload && udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc
install -m 0644 "$src/systemd/counter-kiosk.service" /etc/systemd/system/counter-kiosk.service
systemctl daemon-reload
systemctl enable counter-kiosk.service
systemctl restart counter-kiosk.service
systemctl --no-pager --lines=5 status counter-kiosk.service || true
echo "== done. Try: sudo -u kiosk $PREFIX/.venv/bin/kiosk status"
