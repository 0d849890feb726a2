"""The staff PIN of the touchscreen's staff page, kept only as an scrypt hash.

The config holds ``[ui] staff_pin_hash = "scrypt$N$r$p$SALT$HASH"`` (salt and hash in
base64), never the PIN itself. Make one with::

    kiosk hash-pin      # asks for the PIN twice, prints the line to paste

>>> stored = hash_pin("2468", n=2**10)
>>> verify_pin("2468", stored), verify_pin("1357", stored)
(True, False)
>>> problem("2468") is not None
True
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import os
import sys

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # hashlib's scrypt limits memory to 32 MiB; 16 MiB fits a Pi
HOW = "make one with: kiosk hash-pin"


def hash_pin(pin: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``pin`` with a fresh random salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"{SCHEME}${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def _fields(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != SCHEME:
        raise ValueError(scheme)
    return (int(n), int(r), int(p), base64.b64decode(salt, validate=True),
            base64.b64decode(digest, validate=True))


def problem(stored: str) -> str | None:
    """What is wrong with ``stored`` as a PIN hash, or None if it is well formed."""
    if stored.strip().isdigit():
        return "looks like a PIN in clear text; only its hash may be stored"
    try:
        n, r, p, salt, digest = _fields(stored)
    except (ValueError, binascii.Error):
        return 'is not "scrypt$N$r$p$SALT$HASH"'
    if n < 2**10 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16 or n * r > 2**18:
        return f"has unusable scrypt parameters N={n} r={r} p={p}"
    if len(salt) < 8 or len(digest) < 16:
        return "has a salt or hash that is too short"
    return None


def verify_pin(pin: str, stored: str) -> bool:
    """True if ``pin`` matches ``stored`` (compared in constant time)."""
    if problem(stored) is not None:
        return False
    n, r, p, salt, digest = _fields(stored)
    got = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(digest))
    return hmac.compare_digest(got, digest)


def main() -> int:
    pin = getpass.getpass("新的员工密码 / New staff PIN: ")
    if len(pin) < 4 or pin != getpass.getpass("再输入一次 / Once more: "):
        print("两次输入不一致或少于 4 位，请重试 / The PINs differ or are shorter than 4 "
              "characters; please try again", file=sys.stderr)
        return 2
    print(f'staff_pin_hash = "{hash_pin(pin)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
