"""Bearer tokens (argon2 hashes only) and the Fernet key that encrypts key-safe codes.

A token reads ``nzt_<user id>_<43 random characters>``: the id finds the user's row, the
argon2 hash of the whole token proves it. A verified token is remembered in memory for a few
minutes with the user it belongs to (keyed by a keyed BLAKE2 digest, never the token), so a
nurse's phone does not pay argon2 and a database read on every request; nothing of it is
written anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from ..exceptions import InputError

#: argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): the tokens carry 256
#: random bits, so the hash guards a leaked table, not a guessable password (~0.1 s a check here).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
TOKEN_RE = re.compile(r"^nzt_([0-9]{1,12})_[A-Za-z0-9_\-]{43}$")


def new_token(user_id: int) -> str:
    """A fresh bearer token for ``user_id`` (256 random bits)."""
    return f"nzt_{user_id}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return _HASHER.hash(token)


def token_user_id(token: str) -> int | None:
    """The user id a well-formed token names, else None."""
    m = TOKEN_RE.match(token)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Principal:
    """Who a request is from (a snapshot of the user's row)."""

    id: int
    name: str
    role: str
    organisation: str | None
    nurse_shift: str | None


class TokenVerifier:
    """argon2 verification with a bounded in-memory memo of tokens already verified."""

    def __init__(self, *, size: int = 1024, ttl_s: float = 300.0) -> None:
        self._key = secrets.token_bytes(32)
        self._memo: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._size, self._ttl = size, ttl_s
        self._lock = threading.Lock()

    def _digest(self, token: str) -> bytes:
        return hashlib.blake2b(token.encode(), key=self._key, digest_size=32).digest()

    def remembered(self, token: str) -> Principal | None:
        """The user of a token verified less than ``ttl_s`` ago, else None."""
        d = self._digest(token)
        with self._lock:
            hit = self._memo.get(d)
            if hit is None or hit[0] < time.monotonic():
                return None
            self._memo.move_to_end(d)
            return hit[1]

    def verify(self, token: str, token_hash: str, who: Principal) -> bool:
        """True when ``token`` matches ``token_hash`` (then ``who`` is remembered for it)."""
        try:
            _HASHER.verify(token_hash, token)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            self._memo[self._digest(token)] = (time.monotonic() + self._ttl, who)
            if len(self._memo) > self._size:
                self._memo.popitem(last=False)
        return True


class SecretKeyError(InputError):
    """The key-safe encryption key is missing or malformed."""


def load_fernet(secret_key: str | None, data_dir: Path) -> Fernet:
    """The Fernet of ``secret_key``, else of ``data_dir/secret.key`` (created 0600 if missing)."""
    if secret_key:
        try:
            return Fernet(secret_key.encode())
        except (ValueError, TypeError):
            raise SecretKeyError("NACHTZORG_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from None
    path = data_dir / "secret.key"
    if not path.exists():
        key = Fernet.generate_key()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        except OSError as e:
            raise SecretKeyError(f"cannot create the key file {path}: {e.strerror}; set NACHTZORG_DATA_DIR "
                                 "or NACHTZORG_SECRET_KEY") from None
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(key)
    try:
        return Fernet(path.read_bytes().strip())
    except (ValueError, OSError):
        raise SecretKeyError(f"{path} does not hold a Fernet key") from None


def encrypt(fernet: Fernet, text: str) -> bytes:
    return fernet.encrypt(text.encode("utf-8"))


def decrypt(fernet: Fernet, blob: bytes) -> str:
    try:
        return fernet.decrypt(blob).decode("utf-8")
    except InvalidToken:
        raise SecretKeyError("a key-safe code cannot be decrypted with this service's key") from None
