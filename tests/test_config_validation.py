"""Every section is validated, and check-config refuses what run would refuse.

The cases found by fuzzing the sample config are kept here by name; the fuzz itself is
tests/test_config_fuzz.py. Each check goes through ``config.load`` and
``bootstrap.validate_drivers``, which is exactly what ``kiosk check-config`` runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import bootstrap, config, staffpin
from kiosk.errors import ConfigError

SAMPLE = Path(__file__).parent.parent / "kiosk" / "configs" / "production.sample.toml"


def check(tmp_path: Path, text: str) -> config.Config:
    """``kiosk check-config`` on ``text``, with the store and socket in ``tmp_path``."""
    head = f'[storage]\npath = "{tmp_path}/kiosk.db"\n[control]\nsocket = "{tmp_path}/c.sock"\n'
    f = tmp_path / "kiosk.toml"
    f.write_text(head + text, encoding="utf-8")
    cfg = config.load(f)
    bootstrap.validate_drivers(cfg)
    return cfg


def refused(tmp_path: Path, text: str, key: str, *words: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        check(tmp_path, text)
    assert err.value.key == key, str(err.value)
    for w in words:
        assert w in str(err.value), str(err.value)
    return err.value


# --------------------------------------------------- tracebacks found by the fuzzing


def test_a_table_among_a_counters_services_is_an_error(tmp_path: Path) -> None:
    refused(tmp_path, "[[counters]]\nid = 1\nservices = [{}]\n", "counters[0].services[0]",
            "not a configured service")


@pytest.mark.parametrize("zone", ["Asia", "a" * 300, "Asia/", "../etc/passwd"])
def test_odd_time_zones_are_errors(tmp_path: Path, zone: str) -> None:
    refused(tmp_path, f'[branch]\ntimezone = "{zone}"\n', "branch.timezone",
            "not a known time zone", "Asia/Shanghai")


@pytest.mark.parametrize("nest", [("[", "]"), ("{a = ", "}")])
def test_deeply_nested_toml_is_an_error(tmp_path: Path, nest: tuple[str, str]) -> None:
    for depth in (20, 3000):
        text = "deep = " + nest[0] * depth + ("1" if "=" in nest[0] else "") \
            + nest[1] * depth + "\n"
        with pytest.raises(ConfigError) as err:
            check(tmp_path, text)
        assert "nested" in str(err.value)


# ---------------------------------------- accepted by check-config, refused by run


def test_a_display_for_a_counter_that_does_not_exist(tmp_path: Path) -> None:
    refused(tmp_path, '[[displays]]\nurl = "loop://"\nprotocol = "cd5220"\ncounters = [9]\n',
            "displays[0].counters[0]", "counter 9 is not configured", "[1, 2, 3, 4]")


def test_buttons_for_a_counter_that_does_not_exist(tmp_path: Path) -> None:
    refused(tmp_path, "[[buttons.counters]]\ncounter = 7\ncall_next = 17\n",
            "buttons.counters[0].counter", "counter 7 is not configured")


def test_an_unknown_pin_factory(tmp_path: Path) -> None:
    refused(tmp_path, '[buttons]\npin_factory = "lgpoi"\n', "buttons.pin_factory",
            "not a gpiozero pin factory", "lgpio")


@pytest.mark.parametrize(("path", "words"), [
    ("a\\u0000b.db", ["NUL"]),
    ("/proc/kiosk.db", ["virtual file system"]),
    ("/proc/self/kiosk.db", ["virtual file system"]),
    ("/dev/null", ["virtual file system"]),
    ("{tmp}", ["is a directory", "kiosk.db"]),
    ("{tmp}/kiosk.toml/kiosk.db", ["is not a directory"]),
    ("{tmp}/" + "x" * 300, ["longer than 255 bytes"]),
])
def test_storage_paths_run_cannot_use(tmp_path: Path, path: str, words: list[str]) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(f'[storage]\npath = "{path.format(tmp=tmp_path)}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(f)
    assert err.value.key == "storage.path"
    assert all(w in str(err.value) for w in words), str(err.value)


def socket_config(tmp_path: Path, sock: str) -> Path:
    f = tmp_path / "kiosk.toml"
    f.write_text(f'[storage]\npath = "{tmp_path}/kiosk.db"\n[control]\nsocket = "{sock}"\n',
                 encoding="utf-8")
    return f


def test_a_socket_path_too_long_for_af_unix_in_bytes(tmp_path: Path) -> None:
    sock = "/run/" + "中" * 60 + ".sock"  # 70 characters, but 195 bytes
    assert len(sock) < 100 < len(sock.encode())
    with pytest.raises(ConfigError) as err:
        config.load(socket_config(tmp_path, sock))
    assert err.value.key == "control.socket" and "at most 107 bytes" in str(err.value)
    # the limit is the kernel's: 107 bytes bind, 108 do not
    base = str(tmp_path / "s")
    longest = base + "x" * (107 - len(os.fsencode(base)))
    assert config.load(socket_config(tmp_path, longest)).socket_path == Path(longest)
    too_long = longest + "y"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(longest)
    with socket.socket(socket.AF_UNIX) as s, pytest.raises(OSError):
        s.bind(too_long)
    with pytest.raises(ConfigError):
        config.load(socket_config(tmp_path, too_long))


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p.mkdir(), ["is a directory", "control.sock"]),
    (lambda p: p.write_text("data"), ["exists and is not a socket"]),
    (lambda p: p.symlink_to(p.parent / "gone"), ["is a symbolic link"]),
])
def test_something_already_at_the_socket_path(tmp_path: Path, make: object,
                                              words: list[str]) -> None:
    sock = tmp_path / "run" / "c.sock"
    sock.parent.mkdir(mode=0o700)
    make(sock)  # type: ignore[operator]
    with pytest.raises(ConfigError) as err:
        config.load(socket_config(tmp_path, str(sock)))
    assert err.value.key == "control.socket"
    assert all(w in str(err.value) for w in words), str(err.value)


def test_the_socket_may_not_be_the_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        config.load(socket_config(tmp_path, str(tmp_path / "kiosk.db")))
    assert err.value.key == "control.socket" and "database" in str(err.value)


def test_a_socket_directory_others_can_write(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigError) as err:
        config.load(socket_config(tmp_path, str(shared / "c.sock")))
    assert err.value.key == "control.socket" and "chmod go-w" in str(err.value)


def test_a_stale_socket_is_fine(tmp_path: Path) -> None:
    sock = tmp_path / "c.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock))
    assert config.load(socket_config(tmp_path, str(sock))).socket_path == sock


# ------------------------------------------------------------------------ [mqtt]


def test_a_typo_in_mqtt_is_an_error_not_configuration_ok(tmp_path: Path) -> None:
    """The issue's example, through the real command."""
    f = tmp_path / "k.toml"
    f.write_text('[mqtt]\nbrokr = "x"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config", str(f)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stdout
    assert "mqtt.brokr" in r.stderr and "not a known setting" in r.stderr
    assert "Configuration OK" not in r.stdout and "Traceback" not in r.stderr


def test_mqtt_defaults_and_a_full_section(tmp_path: Path) -> None:
    off = check(tmp_path, "")
    assert not off.mqtt.enabled and off.mqtt.prefix == "kiosk" and off.mqtt.keepalive_s == 30
    assert off.mqtt.discovery and (off.mqtt.outbox_keep_days, off.mqtt.outbox_alarm) == \
        (30, 1000)
    cfg = check(tmp_path, """[mqtt]
url = "mqtts://broker.example:8884"
prefix = "kiosk-east"
keepalive_s = 60
username = "kiosk-east-01"
password_file = "secrets/mqtt.pass"
ca_file = "/etc/ssl/branch-ca.pem"
cert_file = "/etc/counter-kiosk/client.pem"
key_file = "/etc/counter-kiosk/client.key"
discovery = false
outbox_keep_days = 7
outbox_alarm = 500
""")
    m = cfg.mqtt
    assert (m.host, m.port, m.tls, m.prefix, m.keepalive_s) == \
        ("broker.example", 8884, True, "kiosk-east", 60)
    assert m.password_file == tmp_path / "secrets" / "mqtt.pass"  # beside the config
    assert not m.discovery and (m.outbox_keep_days, m.outbox_alarm) == (7, 500)
    assert check(tmp_path, '[mqtt]\nurl = "mqtt://10.0.0.5"\n').mqtt.port == 1883


@pytest.mark.parametrize(("text", "key", "words"), [
    ('url = "http://broker:1883"', "mqtt.url", ["mqtt://host:port"]),
    ('url = "mqtt://"', "mqtt.url", ["mqtt://host:port"]),
    ('url = "mqtt://broker:99999"', "mqtt.url", ["bad port"]),
    ('url = "mqtt://kiosk:secret@broker"', "mqtt.url", ["password", "password_file"]),
    ('url = "mqtt://broker/topic"', "mqtt.url", ["path"]),
    ('url = 1883', "mqtt.url", ["must be a string"]),
    ('prefix = "Kiosk/East"', "mqtt.prefix", ["a-z"]),
    ("keepalive_s = 2", "mqtt.keepalive_s", ["between 5 and 3600"]),
    ("keepalive_s = 7200", "mqtt.keepalive_s", ["between 5 and 3600"]),
    ('discovery = "yes"', "mqtt.discovery", ["true or false"]),
    ("outbox_keep_days = 0", "mqtt.outbox_keep_days", ["between"]),
    ("outbox_alarm = 1.5", "mqtt.outbox_alarm", ["integer"]),
    ('password_file = "p"', "mqtt.password_file", ["username"]),
    ('username = "k"\npassword_file = ""', "mqtt.password_file", ["empty"]),
    ('url = "mqtts://b"\ncert_file = "c.pem"', "mqtt.key_file", ["both"]),
    ('url = "mqtt://b"\nca_file = "ca.pem"', "mqtt.ca_file", ["mqtts://"]),
    ('ca_file = "a\\u0000b"', "mqtt.ca_file", ["NUL"]),
])
def test_bad_mqtt_settings_name_the_key(tmp_path: Path, text: str, key: str,
                                        words: list[str]) -> None:
    refused(tmp_path, f"[mqtt]\n{text}\n", key, *words)


# --------------------------------------------------------------------------- [ui]


def test_ui_defaults_and_a_full_section(tmp_path: Path) -> None:
    assert check(tmp_path, "").ui.staff_pin_hash is None
    pin_hash = staffpin.hash_pin("2468", n=2**10)
    cfg = check(tmp_path, f"""[ui]
customer_size = "1080x1920"
hall_size = "1920x1080"
staff_size = "800x480"
fullscreen = true
rotation = 90
idle_timeout_s = 45
courtesy_zh = "您好，请取号，谢谢"
courtesy_en = "Welcome, please take a number"
staff_pin_hash = "{pin_hash}"
font = "fonts/NotoSansCJK.ttc"
""")
    ui = cfg.ui
    assert (ui.customer_size, ui.hall_size, ui.staff_size) == \
        ((1080, 1920), (1920, 1080), (800, 480))
    assert ui.fullscreen and ui.rotation == 90 and ui.idle_timeout_s == 45
    assert ui.courtesy_zh == "您好，请取号，谢谢" and ui.font == tmp_path / "fonts" / \
        "NotoSansCJK.ttc"
    assert staffpin.verify_pin("2468", ui.staff_pin_hash or "")
    assert not staffpin.verify_pin("8642", ui.staff_pin_hash or "")


def test_a_clear_staff_pin_is_refused_with_how_to_hash_it(tmp_path: Path) -> None:
    err = refused(tmp_path, '[ui]\nstaff_pin_hash = "123456"\n', "ui.staff_pin_hash",
                  "clear text", "kiosk hash-pin")
    assert "123456" not in str(err)  # the PIN is not echoed into logs


@pytest.mark.parametrize(("text", "key", "words"), [
    ('colour = "blue"', "ui.colour", ["not a known setting"]),
    ('customer_size = "big"', "ui.customer_size", ["WxH"]),
    ('hall_size = "1920x10"', "ui.hall_size", ["100-8192"]),
    ("staff_size = 800", "ui.staff_size", ["must be a string"]),
    ('fullscreen = "yes"', "ui.fullscreen", ["true or false"]),
    ("rotation = 45", "ui.rotation", ["0, 90, 180 or 270"]),
    ("rotation = true", "ui.rotation", ["boolean"]),
    ("idle_timeout_s = 1", "ui.idle_timeout_s", ["between"]),
    ('courtesy_zh = ""', "ui.courtesy_zh", ["1-200"]),
    ('courtesy_zh = "不清楚，您自己去问吧"', "ui.courtesy_zh", ["forbid"]),
    ('staff_pin_hash = "md5$abc"', "ui.staff_pin_hash", ["scrypt$N$r$p$SALT$HASH"]),
    ('staff_pin_hash = "scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="',
     "ui.staff_pin_hash", ["scrypt parameters"]),
    ('font = "a\\u0000b"', "ui.font", ["NUL"]),
])
def test_bad_ui_settings_name_the_key(tmp_path: Path, text: str, key: str,
                                      words: list[str]) -> None:
    refused(tmp_path, f"[ui]\n{text}\n", key, *words)


# ------------------------------------------------------------------- branch.code


def test_branch_code(tmp_path: Path) -> None:
    assert check(tmp_path, "").branch.code == "demo"
    assert config.load(SAMPLE).branch.code != "demo"  # the sample shows the key
    assert check(tmp_path, '[branch]\ncode = "sh-east"\n').branch.code == "sh-east"
    for bad in ("SH East", "sh_east", "sh/east", "x" * 40):
        refused(tmp_path, f'[branch]\ncode = "{bad}"\n', "branch.code", "a-z, 0-9")


@pytest.mark.parametrize(("text", "key"), [
    ('[audio]\nclips = "a\\u0000b"', "audio.clips"),
    ('[audio]\nsink = "wav://a\\u0000b"', "audio.sink"),
    ('[[displays]]\nurl = "/dev/tty\\u0000S0"\nprotocol = "cd5220"', "displays[0].url"),
])
def test_nul_in_driver_paths(tmp_path: Path, text: str, key: str) -> None:
    refused(tmp_path, text + "\n", key, "NUL")


def test_kiosk_hash_pin_prints_a_hash_that_verifies(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    from kiosk import cli, staffpin

    monkeypatch.setattr(getpass, "getpass", lambda _prompt="": "2468")
    assert cli.main(["hash-pin"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith('staff_pin_hash = "scrypt$')
    stored = line.split('"')[1]
    assert staffpin.verify_pin("2468", stored) and not staffpin.verify_pin("2469", stored)
    assert "2468" not in line  # never the PIN itself


# ------------------------------------------------------- unknown keys, every table

_DISPLAY = '[[displays]]\nurl = "loop://"\nprotocol = "linetext"\n'
_BUTTONS = "[[buttons.counters]]\ncounter = 1\ncall_next = 17\n"
_SERVICE = ('[[services]]\nprefix = "A"\nname_zh = "x"\nname_en = "x"\navg_minutes = 5\n'
            'documents = [{zh = "x", en = "x"%s}]\n%s'
            '[[counters]]\nid = 1\nservices = ["A"]\n')
UNKNOWN_KEYS = [  # (model class, TOML with a key "colour" in that table, the key named)
    ("ConfigFile", 'colour = "blue"\n', "colour"),
    ("Branch", '[branch]\ncolour = "blue"\n', "branch.colour"),
    ("ClockTable", '[clock]\ncolour = "blue"\n', "clock.colour"),
    ("Rules", '[queue]\ncolour = "blue"\n', "queue.colour"),
    ("StorageTable", '[storage]\ncolour = "blue"\n', "storage.colour"),
    ("ControlTable", '[control]\ncolour = "blue"\n', "control.colour"),
    ("HoursTable", '[hours]\ncolour = "blue"\n', "hours.colour"),
    ("Service", _SERVICE % ("", 'colour = "blue"\n'), "services[0].colour"),
    ("Document", _SERVICE % (', colour = "blue"', ""), "services[0].documents[0].colour"),
    ("Counter", _SERVICE % ("", "") + 'colour = "blue"\n', "counters[0].colour"),
    ("MqttSettings", '[mqtt]\ncolour = "blue"\n', "mqtt.colour"),
    ("UiSettings", '[ui]\ncolour = "blue"\n', "ui.colour"),
    ("Elsewhere", '[[ui.elsewhere]]\nname_zh = "x"\nname_en = "x"\nwhere_zh = "x"\n'
     'where_en = "x"\ncolour = "blue"\n', "ui.elsewhere[0].colour"),
    ("PrinterSettings", '[printer]\ncolour = "blue"\n', "printer.colour"),
    ("DisplaySpec", _DISPLAY + 'colour = "blue"\n', "displays[0].colour"),
    ("ButtonsSpec", '[buttons]\ncolour = "blue"\n', "buttons.colour"),
    ("CounterButtons", _BUTTONS + 'colour = "blue"\n', "buttons.counters[0].colour"),
    ("Evaluator", _BUTTONS + 'evaluator = {good = 5, fair = 6, poor = 13, colour = 7}\n',
     "buttons.counters[0].evaluator.colour"),
    ("AudioSpec", '[audio]\ncolour = "blue"\n', "audio.colour"),
    ("ReportSettings", '[report]\ncolour = "blue"\n', "report.colour"),
]


@pytest.mark.parametrize(("table", "text", "key"), UNKNOWN_KEYS,
                         ids=[case[0] for case in UNKNOWN_KEYS])
def test_every_table_refuses_an_unknown_key(tmp_path: Path, table: str, text: str,
                                            key: str) -> None:
    # the text comes first, so a top-level key stays top-level; the store and the socket
    # go in tmp_path, inside the case's own [storage] / [control] when it has one
    paths = {"storage": f'path = "{tmp_path}/kiosk.db"\n',
             "control": f'socket = "{tmp_path}/c.sock"\n'}
    for section, line in paths.items():
        head = f"[{section}]\n"
        text = text.replace(head, head + line) if head in text else text + head + line
    f = tmp_path / "kiosk.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        bootstrap.validate_drivers(config.load(f))
    assert err.value.key == key, str(err.value)
    assert "not a known setting" in str(err.value) and "known here" in str(err.value)


def test_the_unknown_key_cases_cover_every_table_of_the_model() -> None:
    """A table added to the model without a case here fails this test."""
    import msgspec

    from kiosk.settings import ConfigFile

    seen: set[str] = set()
    todo: list[object] = [msgspec.inspect.type_info(ConfigFile)]
    while todo:
        t = todo.pop()
        if isinstance(t, msgspec.inspect.StructType) and t.cls.__name__ not in seen:
            seen.add(t.cls.__name__)
            todo.extend(f.type for f in t.fields)
        for name in ("type", "item_type", "value_type"):
            if (inner := getattr(t, name, None)) is not None:
                todo.append(inner)
        todo.extend(getattr(t, "types", ()))
    assert seen == {case[0] for case in UNKNOWN_KEYS}
