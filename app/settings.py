"""One settings class, read from the environment and an optional `.env` file (python-dotenv)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-secret-key-change-me"  # nosec B105  # public on purpose; production refuses it (below)
MIN_SECRET_KEY_LENGTH = 32
MIN_OPERATOR_TOKEN_LENGTH = 24


class Settings(BaseSettings):
    """Every setting the app reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # Production unless said otherwise: a forgotten APP_ENV must not run with the public dev SECRET_KEY.
    app_env: Literal["dev", "test", "production"] = "production"
    database_url: str = "sqlite:///./nevermisscall.db"
    secret_key: str = DEV_SECRET_KEY
    public_base_url: str = "http://127.0.0.1:8000"
    operator_token: str = ""

    session_ttl_seconds: int = 8 * 3600
    jwt_issuer: str = "nevermisscall"
    jwt_audience: str = "nevermisscall-web"
    # argon2 cost; tests and the e2e stack lower it so seeding a tenant stays fast.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)  # argon2 needs 8 KiB per lane (checked below)
    # argon2 lanes: 4 threads per hash by default; a test stack hashing 1 MiB is faster on one (0.7 vs 1.8 ms).
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    login_ip_max_failures: int = 20  # failed sign-ins per client address (all emails) within the window
    login_ip_window_seconds: int = 600
    max_body_bytes: int = 1_000_000

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base: str = ""
    twilio_http_timeout_seconds: float = 5.0
    # Trust Hub bundles that A2P brand registrations reference (any value works against the fake).
    twilio_customer_profile_sid: str = ""
    twilio_a2p_profile_sid: str = ""
    # A `completed` call shorter than this many seconds counts as missed (the caller hung up on the
    # greeting); 0 = off, only no-answer / busy / failed are missed calls.
    missed_call_short_completed_seconds: int = Field(default=0, ge=0)

    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_price_id: str = ""

    # Google Calendar (app/calendars): empty base URLs mean Google itself; the stack points them at the fake.
    google_client_id: str = ""
    google_client_secret: str = ""
    google_api_base: str = "https://www.googleapis.com"
    google_oauth_base: str = "https://accounts.google.com"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_http_timeout_seconds: float = 5.0
    # Jobber (app/calendars/jobber.py): OAuth and GraphQL live under one base URL; the stack points it at the fake.
    # The client secret also verifies Jobber's webhooks (X-Jobber-Hmac-SHA256).
    jobber_client_id: str = ""
    jobber_client_secret: str = ""
    jobber_api_base: str = "https://api.getjobber.com"
    jobber_graphql_version: str = "2025-04-16"  # X-JOBBER-GRAPHQL-VERSION: the schema version the app was written for
    jobber_http_timeout_seconds: float = 5.0
    calendar_poll_interval_seconds: int = Field(default=300, ge=1)
    calendar_poll_tick_seconds: float = Field(default=1.0, gt=0)  # how often due polls are looked for

    # How often the inbox and an open conversation ask for news; unset: 3 s and 1.5 s (messaging.js).
    page_poll_interval_ms: int | None = Field(default=None, ge=100, le=60000)

    outbox_poll_interval_seconds: float = 0.5  # the longest an idle worker waits (it wakes at commits and retries)
    outbox_batch_size: int = 20
    outbox_max_attempts: int = 8
    outbox_backoff_base_seconds: float = 0.2
    outbox_backoff_cap_seconds: float = 30.0
    outbox_lease_seconds: float = 30.0
    outbox_rng_seed: int | None = None
    run_worker_in_process: bool = True

    log_level: str = "INFO"
    log_file: str = Field(default="", description="JSON log lines are appended here when set")

    @model_validator(mode="after")
    def _argon2_memory_covers_its_lanes(self) -> Settings:
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError(f"PASSWORD_HASH_MEMORY_KIB must be at least 8 x PASSWORD_HASH_PARALLELISM "
                             f"({8 * self.password_hash_parallelism}) for argon2")
        return self

    @model_validator(mode="after")
    def _refuse_guessable_secrets(self) -> Settings:
        # The operator token creates tenants and mints sessions for any user: never short, in any environment.
        if self.operator_token and len(self.operator_token) < MIN_OPERATOR_TOKEN_LENGTH:
            raise ValueError(f"OPERATOR_TOKEN must be {MIN_OPERATOR_TOKEN_LENGTH}+ characters (or empty: no operator API)")
        if self.app_env == "production" and (self.secret_key == DEV_SECRET_KEY
                                             or len(self.secret_key) < MIN_SECRET_KEY_LENGTH):
            raise ValueError(f"SECRET_KEY must be set to a random value of {MIN_SECRET_KEY_LENGTH}+ characters "
                             "(APP_ENV is production unless set to dev or test; the dev key is public)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
