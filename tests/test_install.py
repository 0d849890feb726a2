"""deploy/install.sh and deploy/uninstall.sh, run into a throwaway root.

A debootstrap'ed Debian chroot cannot be made here (no network mirror, and minutes per
test), so the root is a directory with the bits of a Debian system the installer reads
(/etc/passwd, /etc/group, systemd's unit directories), ``--root DIR``, and stubs on PATH
for what only a real system can do: apt-get and dpkg-query (a package list kept beside
the root), useradd/gpasswd/userdel (edit the root's /etc files), chroot (the target's own
python: ``venv`` makes an executable, the rest is logged). systemctl is the real one:
``systemctl --root`` enables units and sets the default target offline. What the two
runs leave is compared file by file: names, modes, link targets, sha256 of the content.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
INSTALL = ROOT / "deploy" / "install.sh"
UNINSTALL = ROOT / "deploy" / "uninstall.sh"

STUBS = {
    "dpkg-query": """#!/bin/sh
pkg=$(eval echo \\${$#})
grep -qx "$pkg" "$STUB_STATE/installed" 2>/dev/null && printf 'install ok installed'
exit 0
""",
    "apt-get": """#!/bin/sh
echo "apt-get $*" >> "$STUB_STATE/log"
for a in "$@"; do case $a in -*|install|update) ;; *) echo "$a" >> "$STUB_STATE/installed";;
esac; done
""",
    "chroot": """#!/bin/sh
root=$1; shift
echo "chroot $*" >> "$STUB_STATE/log"
if [ "$2" = "-m" ] && [ "$3" = "venv" ]; then
    mkdir -p "$root$4/bin" && printf '#!/bin/sh\\n' > "$root$4/bin/python"
    chmod 755 "$root$4/bin/python"
fi
case "$*" in *apt-get*) exec "$@";; esac  # the package stubs keep the target's list
case "$*" in *drivers.audio.clips*) eval dir=\\${$#}; : > "$root$dir/chime.wav";; esac
""",
    "useradd": """#!/bin/sh
echo "useradd $*" >> "$STUB_STATE/log"
root=$2; eval name=\\${$#}
echo "$name:x:995:995::/var/lib/counter-kiosk:/usr/sbin/nologin" >> "$root/etc/passwd"
echo "$name:x:995:" >> "$root/etc/group"
""",
    "gpasswd": """#!/bin/sh
echo "gpasswd $*" >> "$STUB_STATE/log"
root=$2; user=$4; group=$5
sed -i "s/^\\($group:[^:]*:[^:]*:\\)\\(.*\\)$/\\1\\2,/; s/^\\($group:.*[:,]\\)$user,/\\1/; \
s/,$//" "$root/etc/group"
""",
    "userdel": """#!/bin/sh
echo "userdel $*" >> "$STUB_STATE/log"
root=$2; eval name=\\${$#}
sed -i "/^$name:/d" "$root/etc/passwd" "$root/etc/group"
""",
}


def make_root(base: Path) -> Path:
    """The parts of a Debian system the installer looks at."""
    root = base / "root"
    for d in ("etc/systemd/system", "lib/systemd/system", "var/lib/dpkg", "opt", "usr/bin"):
        (root / d).mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    # an older install had put kiosk in dialout; the new one takes it out again
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:pi,kiosk\nvideo:x:44:pi\n"
                                    "render:x:105:\ninput:x:101:\n")
    lib = root / "lib/systemd/system"
    for target in ("multi-user.target", "graphical.target", "sysinit.target", "timers.target"):
        (lib / target).write_text("[Unit]\nDescription=stand-in\n")
    (lib / "systemd-timesyncd.service").write_text(
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=sysinit.target\n")
    (root / "etc/systemd/system/default.target").symlink_to(
        "/lib/systemd/system/graphical.target")
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, text in STUBS.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    state = tmp_path / "stub-state"
    state.mkdir()
    (state / "log").write_text("")
    return {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STUB_STATE": str(state)}


def run(script: Path, env: dict[str, str], *args: str) -> str:
    r = subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def snapshot(root: Path) -> dict[str, tuple[str, ...]]:
    """Every path under ``root``: type, mode, owner, and content hash or link target."""
    out: dict[str, tuple[str, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            key = str(p.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                out[key] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[key] = ("dir", oct(st.st_mode), f"{st.st_uid}:{st.st_gid}")
            else:
                out[key] = ("file", oct(st.st_mode), f"{st.st_uid}:{st.st_gid}",
                            hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def log(env: dict[str, str]) -> str:
    return (Path(env["STUB_STATE"]) / "log").read_text()


def test_installing_twice_changes_nothing_the_second_time(tmp_path: Path,
                                                          env: dict[str, str]) -> None:
    root = make_root(tmp_path)
    first = run(INSTALL, env, "--root", str(root))
    assert "change: install /etc/systemd/system/counter-kiosk-ui.service" in first
    after_first = snapshot(root)
    calls = log(env)
    assert "apt-get install" in calls and "useradd" in calls and "pip install" in calls
    assert "gpasswd --root" in calls and "-d kiosk dialout" in calls
    for unit in ("counter-kiosk.service", "counter-kiosk-ui.service",
                 "counter-kiosk-backup.service", "counter-kiosk-backup.timer"):
        assert (root / "etc/systemd/system" / unit).read_bytes() == \
            (ROOT / "systemd" / unit).read_bytes()
    assert (root / "etc/systemd/system/multi-user.target.wants/counter-kiosk-ui.service"
            ).is_symlink()
    assert (root / "etc/systemd/system/timers.target.wants/counter-kiosk-backup.timer"
            ).is_symlink()
    assert os.readlink(root / "etc/systemd/system/default.target").endswith("multi-user.target")
    assert "SystemMaxUse=" in (root / "etc/systemd/journald.conf.d/counter-kiosk.conf"
                               ).read_text()
    assert "kiosk/serial-" in (root / "etc/udev/rules.d/99-counter-kiosk.rules").read_text()
    assert (root / "opt/counter-kiosk/kiosk/doctor.py").is_file()
    assert not (root / "opt/counter-kiosk/.git").exists()
    assert (root / "etc/counter-kiosk/kiosk.toml").stat().st_mode & 0o777 == 0o640
    assert (root / "var/lib/counter-kiosk").stat().st_mode & 0o777 == 0o700
    assert "dialout:x:20:pi\n" in (root / "etc/group").read_text()

    (Path(env["STUB_STATE"]) / "log").write_text("")
    second = run(INSTALL, env, "--root", str(root))
    assert snapshot(root) == after_first
    assert not [ln for ln in second.splitlines() if ln.startswith("change:")]
    assert "nothing to change" in second
    assert log(env) == ""  # no package, user, venv or pip step ran again


def test_an_edited_config_survives_a_reinstall(tmp_path: Path, env: dict[str, str]) -> None:
    root = make_root(tmp_path)
    run(INSTALL, env, "--root", str(root))
    config = root / "etc/counter-kiosk/kiosk.toml"
    edited = config.read_text().replace("kiosk-east-01", "kiosk-west-07")
    config.write_text(edited)
    out = run(INSTALL, env, "--root", str(root))
    assert config.read_text() == edited
    assert "kiosk.toml exists: kept" in out


def test_an_upgrade_copies_only_what_changed(tmp_path: Path, env: dict[str, str]) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__",
                                                             ".*_cache", "artifacts"))
    root = make_root(tmp_path)
    run(src / "deploy/install.sh", env, "--root", str(root))
    (src / "kiosk/configs/production.sample.toml").write_text("# a new sample\n")
    (src / "systemd/counter-kiosk-ui.service").write_text(
        (src / "systemd/counter-kiosk-ui.service").read_text() + "# changed\n")
    out = run(src / "deploy/install.sh", env, "--root", str(root))
    changed = [ln for ln in out.splitlines() if ln.startswith("change:")]
    assert changed == ["change: copy the code to /opt/counter-kiosk",
                       "change: pip install /opt/counter-kiosk[ui] into "
                       "/opt/counter-kiosk/.venv",
                       "change: install /etc/systemd/system/counter-kiosk-ui.service "
                       "(mode 0644)"]
    assert "# a new sample" not in (root / "etc/counter-kiosk/kiosk.toml").read_text()


def test_dry_run_lists_every_change_and_makes_none(tmp_path: Path,
                                                   env: dict[str, str]) -> None:
    root = make_root(tmp_path)
    before = snapshot(root)
    out = run(INSTALL, env, "--root", str(root), "--dry-run")
    assert snapshot(root) == before
    assert log(env) == ""
    would = [ln for ln in out.splitlines() if ln.startswith("would:")]
    for expected in ("apt-get install", "add the system user kiosk", "copy the code",
                     "create the virtualenv", "install /etc/counter-kiosk/kiosk.toml",
                     "install /etc/udev/rules.d/99-counter-kiosk.rules",
                     "install /etc/systemd/journald.conf.d/counter-kiosk.conf",
                     "install /etc/systemd/system/counter-kiosk.service",
                     "install /etc/systemd/system/counter-kiosk-ui.service",
                     "install /etc/systemd/system/counter-kiosk-backup.timer",
                     "enable counter-kiosk-ui.service", "enable systemd-timesyncd.service",
                     "boot to the console"):
        assert any(expected in ln for ln in would), expected
    assert f"{len(would)} change(s) would be made; nothing was changed" in out
    # the same list is what a real run then does
    done = run(INSTALL, env, "--root", str(root))
    assert [ln.replace("would:", "") for ln in would if "owner of" not in ln] == \
        [ln.replace("change:", "") for ln in done.splitlines()
         if ln.startswith("change:") and "owner of" not in ln]
    out = run(INSTALL, env, "--root", str(root), "--dry-run")
    assert "would:" not in out and "nothing to change" in out


def test_uninstall_keeps_the_data_unless_purged(tmp_path: Path, env: dict[str, str]) -> None:
    root = make_root(tmp_path)
    run(INSTALL, env, "--root", str(root))
    (root / "var/lib/counter-kiosk/kiosk.db").write_bytes(b"the branch's records")
    before = snapshot(root)
    out = run(UNINSTALL, env, "--root", str(root), "--dry-run")
    assert snapshot(root) == before and "would: remove /opt/counter-kiosk" in out
    run(UNINSTALL, env, "--root", str(root))
    left = snapshot(root)
    assert not any("counter-kiosk" in k for k in left
                   if k.startswith(("opt", "etc/systemd", "etc/udev")))
    assert (root / "var/lib/counter-kiosk/kiosk.db").read_bytes() == b"the branch's records"
    assert (root / "etc/counter-kiosk/kiosk.toml").is_file()
    assert "kiosk:" in (root / "etc/passwd").read_text()
    assert "nothing to remove" in run(UNINSTALL, env, "--root", str(root)).splitlines()[-1]
    run(UNINSTALL, env, "--root", str(root), "--purge")
    assert not (root / "var/lib/counter-kiosk").exists()
    assert not (root / "etc/counter-kiosk").exists()
    assert "kiosk:" not in (root / "etc/passwd").read_text()


def test_every_shell_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck comes from deploy/apt-packages-test.txt"
    scripts = sorted({*ROOT.glob("deploy/*.sh"), ROOT / ".ci/run",
                      *(p for p in ROOT.glob("*/*.sh") if ".venv" not in p.parts)})
    r = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout
    assert ROOT / "deploy/uninstall.sh" in scripts
