"""Password hashing, the signed session token (JWT) and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.db import utcnow
from app.errors import NotAuthenticated
from app.settings import Settings

SESSION_COOKIE = "nmc_session"
CSRF_COOKIE = "nmc_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(time_cost=settings.password_hash_time_cost, memory_cost=settings.password_hash_memory_kib,
                          parallelism=settings.password_hash_parallelism)


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    try:
        return password_hasher(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash(settings: Settings) -> str:
    """A valid hash of a random password, computed once per argon2 cost.

    Verifying against it when the email is unknown makes that path do exactly the work of a wrong password
    for a known email (one argon2 verify at the same cost), so the form does not reveal which emails exist.
    Hashing afresh on each call would add a second argon2 run to the unknown-email path only.
    """
    return _dummy_hash(settings.password_hash_time_cost, settings.password_hash_memory_kib,
                       settings.password_hash_parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SessionClaims:
    user_id: str
    tenant_id: str
    role: str
    jti: str
    session_version: int


def issue_session_token(settings: Settings, *, user_id: str, tenant_id: str, role: str, session_version: int,
                        ttl_seconds: int | None = None) -> str:
    """A session for SESSION_TTL_SECONDS, or `ttl_seconds` (the operator API's sessions for tests)."""
    now = utcnow()
    ttl = settings.session_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims = {
        "sub": user_id,
        "tid": tenant_id,
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now - timedelta(seconds=5),  # small leeway for clock differences between hosts
        "exp": now + timedelta(seconds=ttl),
        "jti": secrets.token_hex(8),
        "sv": session_version,  # the user's session version: logout bumps it (deps.load_auth compares)
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def decode_session_token(settings: Settings, token: str) -> SessionClaims:
    """Checks signature, issuer, audience, exp and nbf; any failure is a 401."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "nbf", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("session expired", code="token_expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise NotAuthenticated("session not yet valid", code="token_not_yet_valid") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("invalid session token", code="invalid_token") from exc
    version = claims.get("sv", 0)  # tokens issued before session versions existed: version 0 until a logout
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotAuthenticated("invalid session token", code="invalid_token")
    return SessionClaims(
        user_id=str(claims["sub"]), tenant_id=str(claims.get("tid", "")), role=str(claims.get("role", "")),
        jti=str(claims.get("jti", "")), session_version=version,
    )


def new_csrf_token(settings: Settings) -> str:
    """A random nonce plus its HMAC: the cookie and the form field must carry the same signed value."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_csrf_sig(settings, nonce)}"


def csrf_token_valid(settings: Settings, token: str | None) -> bool:
    if not token or "." not in token:
        return False
    nonce, sig = token.rsplit(".", 1)
    return hmac.compare_digest(sig, _csrf_sig(settings, nonce))


def _csrf_sig(settings: Settings, nonce: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]
