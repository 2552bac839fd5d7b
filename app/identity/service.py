"""User operations: create, authenticate (with lockout), look up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Forbidden, NotAuthenticated, NotFound, TooManyRequests, ValidationFailed
from app.identity import security
from app.identity.models import LoginThrottle, Role, User
from app.settings import Settings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(f"{email!r} is not a valid email address")
    return email


@dataclass(frozen=True)
class NewUser:
    email: str
    password: str
    name: str
    role: str


def create_user(
    *, db: Session, settings: Settings, tenant_id: str, email: str, password: str, name: str, role: str
) -> User:
    """Creates a user with a hashed password; emails are unique across the service (409)."""
    [user] = create_users(db=db, settings=settings, tenant_id=tenant_id,
                          users=[NewUser(email=email, password=password, name=name, role=role)])
    return user


def create_users(*, db: Session, settings: Settings, tenant_id: str, users: list[NewUser]) -> list[User]:
    """Creates several users of one tenant with one lookup and one insert (a new tenant's owner and techs).

    Everything is checked before anything is added: a bad role or password, or an email that is taken
    (by anyone, or twice in `users`), refuses them all.
    """
    emails: list[str] = []
    for new in users:
        if new.role not in (Role.OWNER, Role.TECH):
            raise ValidationFailed("role must be OWNER or TECH")
        if len(new.password or "") < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
        email = normalize_email(new.email)
        if email in emails:
            raise Conflict(f"a user with email {email} already exists", code="email_taken")
        emails.append(email)
    taken = db.scalar(select(User.email).where(User.email.in_(emails)).limit(1)) if emails else None
    if taken is not None:
        raise Conflict(f"a user with email {taken} already exists", code="email_taken")
    created = [
        User(tenant_id=tenant_id, email=email, name=new.name.strip() or email, role=str(new.role),
             password_hash=security.hash_password(settings, new.password))
        for new, email in zip(users, emails, strict=True)
    ]
    db.add_all(created)
    db.flush()
    return created


def get_user(*, db: Session, user_id: str) -> User | None:
    return db.get(User, user_id)


def find_tenant_user(*, db: Session, tenant_id: str, email_or_id: str) -> User:
    """Finds a tenant's user by id or email (the operator API accepts either)."""
    user = db.get(User, email_or_id)
    if user is None:
        user = db.scalar(select(User).where(User.email == email_or_id.strip().lower()))
    if user is None or user.tenant_id != tenant_id:
        raise NotFound("user not found in this tenant")
    return user


def users_of(*, db: Session, tenant_id: str) -> list[User]:
    return list(db.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.created_at)))


def set_active(*, db: Session, user: User, active: bool) -> None:
    user.active = active
    db.flush()


def authenticate(*, db: Session, settings: Settings, email: str, password: str) -> User:
    """Checks email and password; repeated failures lock the email out for a while (429)."""
    email = (email or "").strip().lower()
    throttle = db.get(LoginThrottle, email) if email else None
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise TooManyRequests(
            f"Too many failed sign-in attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            code="login_locked",
        )
    user = db.scalar(select(User).where(User.email == email)) if email else None
    # Exactly one argon2 verify whether the email exists or not (against a hash computed once when it does
    # not), so the time taken does not tell which emails have accounts.
    hashed = user.password_hash if user else security.dummy_hash(settings)
    password_ok = security.verify_password(settings, hashed, password or "")
    if user is None or not password_ok:
        _record_failure(db=db, settings=settings, email=email, throttle=throttle)
        raise NotAuthenticated("Wrong email or password.", code="invalid_credentials")
    if not user.active:
        raise Forbidden("This account has been deactivated.", code="user_inactive")
    if throttle:
        db.delete(throttle)
    db.flush()
    return user


def end_sessions(*, db: Session, settings: Settings, token: str) -> None:
    """Signing out: every session token the user holds stops working (their session version moves on).

    A token that is already invalid or expired ends nothing. Only the version the token carries is bumped
    (compare-and-set), so an old token replayed at /logout after a newer sign-in cannot sign that one out.
    """
    try:
        claims = security.decode_session_token(settings, token)
    except NotAuthenticated:
        return
    db.execute(update(User).where(User.id == claims.user_id, User.session_version == claims.session_version)
               .values(session_version=User.session_version + 1))
    db.commit()


def _record_failure(*, db: Session, settings: Settings, email: str, throttle: LoginThrottle | None) -> None:
    if not email:
        return
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0)
        db.add(throttle)
    throttle.failures += 1
    throttle.updated_at = utcnow()
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = utcnow() + timedelta(seconds=settings.login_lockout_seconds)
        throttle.failures = 0
    # Failures must be remembered even though the request fails.
    db.commit()
