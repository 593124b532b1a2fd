"""Service settings, read from the environment, with refusal of unsafe production values."""

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.alerts.notify import parse_api_key
from service.alerts.senders import TEMPLATE_SUBJECTS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{Path.cwd() / 'encompass.db'}"
    secret_key: str = DEFAULT_SECRET
    # Keys that encrypt credentials the service must read back (webhook signing secrets, TOTP secrets), comma separated,
    # newest first: the first encrypts, every one decrypts, so a new key goes in front and the old one leaves after
    # `encompass secrets reencrypt`. Unset, SECRET_KEY is used, so changing SECRET_KEY then needs this setting.
    encryption_keys: str = ""
    base_url: str = "http://127.0.0.1:8000"
    register_dir: Path = REPO_ROOT.parent / "shared" / "data" / "register"

    # Sessions and cookies (portal)
    cookie_secure: bool = True
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12

    # Police API limits
    max_body_bytes: int = 64 * 1024
    api_rate_per_minute: int = 600
    # Build the register's name index as the process starts (about 4 s for England), not on the first police request
    warm_register_index: bool = True

    # Alerts
    notify_api_key: str | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_templates: dict[str, str] = {}
    # 12 attempts span 2.5 to 5 hours of backoff, so a Notify outage of an hour or two delays alerts but never
    # dead-letters them; 8 spanned only 32 to 64 minutes, and a one-hour outage dead-lettered every alert.
    outbox_max_attempts: int = 12
    escalate_after_minutes: int = 120

    # Retention of child data after a notification is closed
    retention_days: int = Field(default=365 * 2, ge=1)
    # How long a police Idempotency-Key replays its first answer. Police clients retry within minutes or hours; a month
    # covers an outage on their side too. After it, the same body still gets the stored incident's answer.
    idempotency_replay_days: int = Field(default=30, ge=1)

    # Service pages (header, footer, phase banner, accessibility, privacy and cookies pages). GOV.UK's crown, logotype
    # and crown copyright belong only to services on GOV.UK: leave this false unless the service is on GOV.UK.
    service_on_govuk: bool = False
    feedback_url: str = "mailto:feedback@encompass.example.gov.uk?subject=Operation%20Encompass%20portal%20feedback"
    service_operator: str = "the Operation Encompass notification service team"  # who runs it: the data controller
    contact_email: str = "help@encompass.example.gov.uk"  # help with the portal, and accessibility problems
    data_protection_email: str = "dpo@encompass.example.gov.uk"  # questions about personal data

    # Logs: JSON lines on stdout at this level (DEBUG, INFO, WARNING, ERROR)
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(lambda level: str(level).upper())] = "INFO"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def at_rest_keys(self) -> list[str]:
        """The keys credentials are encrypted with at rest, newest first."""
        return [key.strip() for key in self.encryption_keys.split(",") if key.strip()] or [self.secret_key]

    @model_validator(mode="after")
    def refuse_unsafe_production(self) -> "Settings":
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.encryption_keys and any(key == DEFAULT_SECRET or len(key) < 32 for key in self.at_rest_keys):
            problems.append("ENCRYPTION_KEYS must hold random values of at least 32 characters each, comma separated")
        if self.is_sqlite:
            problems.append("DATABASE_URL must point at PostgreSQL, not SQLite")
        if not self.cookie_secure:
            problems.append("COOKIE_SECURE must be true")
        if not self.base_url.startswith("https://"):
            problems.append("BASE_URL must be an https:// address")
        problems.extend(self._notify_problems())
        if problems:
            raise ValueError("Refusing to start in production: " + "; ".join(problems))
        return self

    def _notify_problems(self) -> list[str]:
        """Production sends through Notify: the logging sender would settle every alert as sent and tell nobody."""
        problems = []
        if not self.notify_api_key:
            problems.append("NOTIFY_API_KEY must be set: in production alerts go through GOV.UK Notify, never only to the log")
        else:
            try:
                parse_api_key(self.notify_api_key)
            except ValueError as error:  # its message never quotes the key
                problems.append(f"NOTIFY_API_KEY is not usable: {error}")
        missing = sorted(set(TEMPLATE_SUBJECTS) - set(self.notify_templates))
        unknown = sorted(set(self.notify_templates) - set(TEMPLATE_SUBJECTS))
        if missing:
            problems.append(f"NOTIFY_TEMPLATES must give a Notify template id for each of {', '.join(missing)}")
        if unknown:
            problems.append(f"NOTIFY_TEMPLATES names templates the service does not send: {', '.join(unknown)}")
        return problems


def settings_problem(error: ValidationError) -> str:
    """A one-line reason the settings were refused, without echoing their values (which include the secret key)."""
    reasons = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in problem["loc"]).upper()
        reasons.append(f"{where}: {message}" if where else message)
    return "; ".join(reasons)


def listening_address(host: str, port: int) -> str:
    """The http:// address a browser on this machine reaches `serve --host H --port P` at."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def base_url_for_serving(settings: Settings, environ: Mapping[str, str], *, host: str, port: int) -> str | None:
    """The BASE_URL `serve` runs with, or None to keep the configured one.

    Links in emails are built from BASE_URL. In development, with BASE_URL not set, they follow the address actually
    served, so `serve --port 8183` does not email links to port 8000. Anywhere else BASE_URL is the operator's to set.
    """
    if settings.environment != "development" or environ.get("BASE_URL"):
        return None
    return listening_address(host, port)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def link_as_served(link: str, settings: Settings) -> str:
    """The link to send: in development, a link built for another port on this machine (by `encompass demo load`, say,
    before `serve --port 8183` started) points where the service is served now. Elsewhere links go as they were built."""
    if settings.environment != "development" or not link:
        return link
    built, served = urlsplit(link), urlsplit(settings.base_url)
    if built.scheme != "http" or built.hostname not in LOOPBACK_HOSTS or served.hostname not in LOOPBACK_HOSTS:
        return link
    return urlunsplit(built._replace(scheme=served.scheme, netloc=served.netloc))


@lru_cache
def get_settings() -> Settings:
    return Settings()
