"""What a test gets back for a seeded tenant: ids, number, credentials, and ready-made browser sessions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from seed.factories import CatalogItem


@dataclass(frozen=True)
class MintedSession:
    """A session the operator API minted for one user (POST /api/operator/tenants/{id}/sessions)."""

    user_id: str
    cookie_name: str
    cookie_value: str
    token: str  # the same JWT, for `Authorization: Bearer` API calls
    expires_at: datetime

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> MintedSession:
        """From the operator API's SessionOut (the sessions route, or users[].session of a create)."""
        return cls(user_id=data["user_id"], cookie_name=data["cookie_name"], cookie_value=data["cookie_value"],
                   token=data["token"], expires_at=datetime.fromisoformat(data["expires_at"]))


@dataclass(frozen=True)
class UserCredentials:
    user_id: str
    email: str
    password: str
    name: str
    role: str  # OWNER | TECH
    session: MintedSession


def storage_state(base_url: str, session: MintedSession) -> dict[str, Any]:
    """A Playwright storage state holding the session cookie, so a context starts logged in.

    Only the session cookie is set: the app hands out its CSRF cookie on the first page view, the same
    way it does for a person.
    """
    parts = urlsplit(base_url)
    return {
        "cookies": [{
            "name": session.cookie_name,
            "value": session.cookie_value,
            "domain": parts.hostname or "127.0.0.1",
            "path": "/",
            "expires": session.expires_at.timestamp(),
            "httpOnly": True,
            "secure": parts.scheme == "https",
            "sameSite": "Lax",
        }],
        "origins": [],
    }


@dataclass(frozen=True)
class TenantHandle:
    """A tenant created for one test. Frozen: tests read it, the seeder owns its lifecycle."""

    id: str
    name: str
    timezone: str
    phone_number: str
    base_url: str
    owner: UserCredentials
    techs: tuple[UserCredentials, ...]
    compliance: str  # what the test asked for: approved | pending | none
    compliance_status: str  # what the app reports right after creation
    billing_state: str
    catalog: tuple[CatalogItem, ...]
    business_hours: dict[str, list[str]]
    labels: dict[str, str]
    expires_at: datetime | None
    seed_key: str
    extra: dict[str, Any] = field(default_factory=dict)  # what the app's domain provisioners reported

    @property
    def tech(self) -> UserCredentials:
        if not self.techs:
            raise LookupError(f"tenant {self.name!r} has no TECH user: ask for one with @pytest.mark.tenant(techs=1)")
        return self.techs[0]

    @property
    def owner_storage_state(self) -> dict[str, Any]:
        return storage_state(self.base_url, self.owner.session)

    def storage_state_for(self, user: UserCredentials) -> dict[str, Any]:
        return storage_state(self.base_url, user.session)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for failure bundles (credentials included: they are throwaway test data)."""
        data = asdict(self)
        for user in [data["owner"], *data["techs"]]:
            user["session"] = {"user_id": user["session"]["user_id"], "expires_at": str(user["session"]["expires_at"])}
        data["expires_at"] = str(self.expires_at) if self.expires_at else None
        return data
