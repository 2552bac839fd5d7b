"""Provider tokens (Google's and Jobber's OAuth access and refresh tokens) are stored encrypted: Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key derived from SECRET_KEY with HKDF, so a copy
of the database alone gives no access to anyone's calendar. Tokens are never logged.

Stored values start with `fernet:`. A value without it is a token from before encryption: it is still read,
and sealed the next time the connection is written (every sync does). If SECRET_KEY changes, stored tokens
cannot be read any more: the sync fails with a CalendarRefused asking the owner to connect again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.calendars.http import CalendarRefused
from app.calendars.models import CalendarConnection
from app.settings import Settings

PREFIX = "fernet:"
# A key of its own for this purpose: SECRET_KEY also signs sessions, and HKDF's `info` keeps the uses apart.
_PURPOSE = b"nevermisscall/calendar-provider-tokens/v1"


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, token: str) -> str:
    return PREFIX + _fernet(settings.secret_key).encrypt(token.encode()).decode()


def reveal(settings: Settings, stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # from before encryption; sealed at the connection's next write
    try:
        return _fernet(settings.secret_key).decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise CalendarRefused("the stored sign-in cannot be read (the server's secret key changed): "
                              "connect the calendar again") from None


def store(settings: Settings, connection: CalendarConnection, *, access_token: str, refresh_token: str | None) -> None:
    """Sets both tokens, sealed; a missing refresh token keeps the one stored."""
    connection.access_token = seal(settings, access_token)
    if refresh_token:
        connection.refresh_token = seal(settings, refresh_token)


def access_token(settings: Settings, connection: CalendarConnection) -> str:
    return reveal(settings, connection.access_token)


def refresh_token(settings: Settings, connection: CalendarConnection) -> str | None:
    return reveal(settings, connection.refresh_token) if connection.refresh_token else None


def seal_legacy(settings: Settings, connection: CalendarConnection) -> None:
    """Seals tokens stored before encryption (a no-op once they are)."""
    if connection.access_token and not connection.access_token.startswith(PREFIX):
        connection.access_token = seal(settings, connection.access_token)
    if connection.refresh_token and not connection.refresh_token.startswith(PREFIX):
        connection.refresh_token = seal(settings, connection.refresh_token)
