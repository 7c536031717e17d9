"""Bearer tokens (argon2 hashes only) and the Fernet key that encrypts key-safe codes.

A token reads ``nzt_<user id>_<43 random characters>``: the id finds the user's row, the
argon2 hash of the whole token proves it. A verified token is remembered in memory (keyed by
a keyed BLAKE2 digest, never the token) so a nurse's phone does not pay argon2 on every
request; nothing of it is written anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from ..exceptions import InputError

_HASHER = PasswordHasher()
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


class TokenVerifier:
    """argon2 verification with an in-memory memo of tokens already verified (bounded)."""

    def __init__(self, *, size: int = 1024) -> None:
        self._key = secrets.token_bytes(32)
        self._memo: OrderedDict[bytes, tuple[int, str]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def _digest(self, token: str) -> bytes:
        return hashlib.blake2b(token.encode(), key=self._key, digest_size=32).digest()

    def verify(self, token: str, user_id: int, token_hash: str) -> bool:
        """True when ``token`` matches ``token_hash`` (the stored hash of ``user_id``)."""
        d = self._digest(token)
        with self._lock:
            hit = self._memo.get(d)
            if hit is not None and hit == (user_id, token_hash):
                self._memo.move_to_end(d)
                return True
        try:
            _HASHER.verify(token_hash, token)
        except (VerificationError, InvalidHashError):
            return False
        with self._lock:
            self._memo[d] = (user_id, token_hash)
            if len(self._memo) > self._size:
                self._memo.popitem(last=False)
        return True


class KeyError_(InputError):
    """The key-safe encryption key is missing or malformed."""


def load_fernet(secret_key: str | None, data_dir: Path) -> Fernet:
    """The Fernet of ``secret_key``, else of ``data_dir/secret.key`` (created 0600 if missing)."""
    if secret_key:
        try:
            return Fernet(secret_key.encode())
        except (ValueError, TypeError):
            raise KeyError_("NACHTZORG_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from None
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(key)
    try:
        return Fernet(path.read_bytes().strip())
    except (ValueError, OSError):
        raise KeyError_(f"{path} does not hold a Fernet key") from None


def encrypt(fernet: Fernet, text: str) -> bytes:
    return fernet.encrypt(text.encode("utf-8"))


def decrypt(fernet: Fernet, blob: bytes) -> str:
    try:
        return fernet.decrypt(blob).decode("utf-8")
    except InvalidToken:
        raise KeyError_("a key-safe code cannot be decrypted with this service's key") from None
