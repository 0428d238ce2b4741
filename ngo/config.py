"""Settings come from environment variables only; every default works on a laptop with no service.

NGO_ENV                development (default) or production
DATABASE_URL           default sqlite:///<instance>/ngo.sqlite; production: postgresql://...
CELERY_BROKER_URL      default sqla+sqlite:///<instance>/broker.sqlite; production: redis://...
MAIL_URL               default file://<instance>/outbox (.eml files); production: smtp://...
                       (smtp:// upgrades with STARTTLS when offered, ?starttls=required
                       refuses to send without it; smtps:// is TLS from the start;
                       user:password@ signs in)
MAIL_FROM              sender address, default "ngo <no-reply@localhost>"; its domain is
                       the domain of every Message-ID
NGO_TASK_SOFT_TIME_LIMIT  seconds a task may run before it is interrupted with an error it
                       can record (default 120)
NGO_TASK_TIME_LIMIT    seconds after which the worker kills the task's process (default 150)
NGO_OUTBOX_LEASE_SECONDS  how long a worker's claim on an outbox message holds; another worker
                       takes the message over only after it ran out, so it must exceed
                       NGO_TASK_TIME_LIMIT (default 300)
NGO_OUTBOX_MAX_ATTEMPTS  attempts of an outbox message before it is dead (default 8)
NGO_OUTBOX_RETRY_BASE_SECONDS  wait before the second attempt, doubled for each further one
                       (less a random part of up to half, so failures spread out) (default 30)
NGO_OUTBOX_RETRY_MAX_SECONDS  the longest wait between two attempts (default 3600)
NGO_OUTBOX_RELAY_SECONDS  how often beat runs the outbox relay (default 30)
NGO_OUTBOX_SWEEP_AFTER_SECONDS  beat's relay hands the broker again every message due for
                       longer than this and not running (default 60)
NGO_OUTBOX_PUBLISH_WINDOW_MS  a thread of each process hands the broker the messages of the
                       commits of this many milliseconds as one task, so that a request does
                       not wait for the broker; 0 publishes in the request (default 50)
NGO_BROKER_VISIBILITY_TIMEOUT  Redis: seconds after which a task a worker took but never
                       acknowledged (it died) is handed out again; must exceed
                       NGO_OUTBOX_RETRY_MAX_SECONDS, since a retry waits in the worker
                       unacknowledged (default 7200)
SECRET_KEY             signs sessions and links. Like every key below: outside production, when
                       unset, generated on the first start into <instance>/keys/SECRET_KEY
                       (mode 0600) and read from there by every later process; production
                       refuses to start without it and never reads the generated files
NGO_DATA_KEYS          Fernet keys, newest first, encrypting personal data (generated likewise)
NGO_INDEX_KEY          keys the blind indexes used to search encrypted names (generated likewise).
                       Kept apart from the data keys so that rotating those needs no re-indexing
NGO_AUDIT_KEY          HMAC key of the audit log's hash chain, at least 32 characters (generated
                       likewise): without it nobody can rewrite the log unnoticed
NGO_AUDIT_SIGNING_KEY  Ed25519 private key signing the audit checkpoints: base64 of 32 random
                       bytes or a PEM block (generated likewise); `flask --app ngo audit
                       public-key` prints the public key that checks them
NGO_FILES_PATH         folder for encrypted evidence files (default <instance>/files)
NGO_MAX_IMAGE_PIXELS   largest uploaded image, width times height, read from the file's header
                       before anything decodes it (default 40000000: 40 megapixels)
NGO_VERIFICATION_VALID_DAYS  how long a story verification holds (default 365)
NGO_DISBURSEMENT_APPROVAL_MINOR  a disbursement above this many minor units of the appeal's
                       currency needs a second person's approval (default 50000: 500.00)
RATELIMIT_STORAGE_URI  default memory://; production: ngo+redis://host:6379/1, shared by all web
                       workers (redis:// with the public reading budget counted in batches:
                       ngo/rate_limits.py); redis://... counts every request in Redis
NGO_PORT               port `make run` serves on (default 8000)
NGO_BASE_URL           base of the links the app writes (e-mails, canonical and og:url), default
                       http://127.0.0.1:${NGO_PORT:-8000}
NGO_INSTANCE_PATH      folder (mode 0700) for generated keys, SQLite files, the mail outbox and the
                       beat schedule; every process creates its files there with mode 0600
NGO_PROXY_HOPS         number of trusted reverse proxies in front of the app (default 0)
NGO_PUBLIC_PAGE_CACHE  rendered public pages each web worker keeps (default 512; 0 turns it off)
NGO_PUBLIC_RATE_LIMIT  per-client limit of public pages and the API together, against bulk
                       scraping (default "300 per minute;5000 per hour": generous for readers)
NGO_WEBHOOK_RATE_LIMIT limit of Stripe's webhook (/webhooks/stripe) per sending address
                       (default "600 per minute": room for Stripe's bursts); bench/ lifts it
NGO_STAFF_IDLE_MINUTES a signed-in session ends after this many minutes without a request
                       (default 30)
NGO_SESSION_MAX_HOURS  and this many hours after sign-in however active (default 12)
NGO_MANUAL_GIFT_APPROVAL_MINOR  a gift a treasurer enters by hand (cash, other) above this amount,
                       in minor units of the appeal's currency, waits for a second person's
                       approval (default 50000: 500.00 EUR; 0 sends every such gift to approval)
NGO_MANUAL_GIFT_MAX_MINOR  and none above this is accepted at all, a slipped key caught
                       (default 10000000: 100 000.00 EUR)
NGO_ECB_RATES_URL      where the beat task fetches the ECB's euro reference rates (default
                       https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml); "off"
                       turns fetching off (rates then come from `flask --app ngo donations
                       import-rates FILE` or are entered by hand)
NGO_EXCHANGE_RATE_MAX_AGE_DAYS  a conversion uses a rate at most this many days older than
                       the day converted (default 10: the ECB publishes on working days only)
STRIPE_SECRET_KEY      Stripe's secret API key; unset, the donate form offers bank transfer only
STRIPE_WEBHOOK_SECRET  the signing secret of the Stripe webhook endpoint (/webhooks/stripe);
                       online giving is offered only when both Stripe settings are set
STRIPE_API_BASE        where the Stripe library sends API calls (default Stripe's own; the tests
                       point it at a local stub)
NGO_FEE_RULE           the online payment fee a donor may choose to cover, per currency:
                       basis points + fixed minor units (default
                       "EUR=150+25,PLN=150+100,USD=290+30,GBP=150+20")
NGO_MAX_DONATION_MINOR the largest gift the donate form accepts, in minor units of the gift's
                       currency (default 1000000: 10 000.00); "EUR=500000,PLN=2000000" sets it
                       per currency
NGO_STATEMENT_DESCRIPTOR  what a donor's card statement says when the organisation has no short
                       name: 5 to 22 Latin letters, digits and spaces, neutral (default DONATION)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Development keys that earlier versions published in the source code. Nothing uses them any
# more (development generates its own, see ngo/keyfiles.py); production refuses them, since an
# old .env file or deployment guide may still carry them.
RETIRED_DEVELOPMENT_KEYS = frozenset(
    {
        "dev-secret-key-not-for-production",
        "bmdvLWRldmVsb3BtZW50LWRhdGEta2V5LXB1YmxpYyE=",
        "development-blind-index-key-not-for-production",
    }
)

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"

LANGUAGES = {
    "en": "English",
    "pl": "Polski",
    "be": "Беларуская",
    "ru": "Русский",
    "uk": "Українська",
}


class ConfigurationError(RuntimeError):
    """Raised at start-up when the environment cannot run the application safely."""


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str
    help: str


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _positive_int(name: str, default: str, unit: str = "days") -> int:
    value = _env(name, default)
    if not value.isdigit() or int(value) == 0:
        raise ConfigurationError(f"{name} must be a whole number of {unit} above 0, not {value!r}.")
    return int(value)


def _rate_limit(name: str, default: str) -> str:
    """A Flask-Limiter limit such as "600 per minute" or "10/second;100/hour", checked here so
    that a typo stops the start instead of the first request."""
    from limits import parse_many

    value = _env(name, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigurationError(
            f'{name} must be a rate limit such as "600 per minute", not {value!r}.'
        ) from None
    return value


def _ecb_rates_url() -> str:
    url = _env("NGO_ECB_RATES_URL", ECB_DAILY_URL)
    if url == "off":
        return ""
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"NGO_ECB_RATES_URL must be an http(s) address or off, not {url!r}."
        )
    return url


def _seconds(name: str, default: str) -> float:
    value = _env(name, default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 10**7:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}.")
    return seconds


def _worker_settings() -> dict[str, object]:
    """Time limits, leases and retries of the worker, checked against each other."""
    soft = _seconds("NGO_TASK_SOFT_TIME_LIMIT", "120")
    hard = _seconds("NGO_TASK_TIME_LIMIT", "150")
    lease = _seconds("NGO_OUTBOX_LEASE_SECONDS", "300")
    retry_max = _seconds("NGO_OUTBOX_RETRY_MAX_SECONDS", "3600")
    visibility = _seconds("NGO_BROKER_VISIBILITY_TIMEOUT", "7200")
    if soft >= hard:
        raise ConfigurationError("NGO_TASK_SOFT_TIME_LIMIT must be below NGO_TASK_TIME_LIMIT.")
    if lease <= hard:
        raise ConfigurationError(
            "NGO_OUTBOX_LEASE_SECONDS must exceed NGO_TASK_TIME_LIMIT: a second worker would "
            "otherwise take over a message that is still running."
        )
    if visibility <= retry_max:
        raise ConfigurationError(
            "NGO_BROKER_VISIBILITY_TIMEOUT must exceed NGO_OUTBOX_RETRY_MAX_SECONDS: Redis "
            "would otherwise hand a waiting retry to a second worker."
        )
    return {
        "TASK_SOFT_TIME_LIMIT": soft,
        "TASK_TIME_LIMIT": hard,
        "OUTBOX_LEASE_SECONDS": lease,
        "OUTBOX_MAX_ATTEMPTS": _positive_int("NGO_OUTBOX_MAX_ATTEMPTS", "8", unit="attempts"),
        "OUTBOX_RETRY_BASE_SECONDS": _seconds("NGO_OUTBOX_RETRY_BASE_SECONDS", "30"),
        "OUTBOX_RETRY_MAX_SECONDS": retry_max,
        "OUTBOX_SWEEP_AFTER_SECONDS": _seconds("NGO_OUTBOX_SWEEP_AFTER_SECONDS", "60"),
        "OUTBOX_PUBLISH_WINDOW_MS": _non_negative_int("NGO_OUTBOX_PUBLISH_WINDOW_MS", "50"),
        "BROKER_VISIBILITY_TIMEOUT": visibility,
    }


def _non_negative_int(name: str, default: str) -> int:
    value = _env(name, default)
    if not value.isdigit():
        raise ConfigurationError(f"{name} must be a whole number (0 or more), not {value!r}.")
    return int(value)


def _port(name: str, default: str) -> str:
    value = _env(name, default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigurationError(f"{name} must be a port number (1 to 65535), not {value!r}.")
    return value


def normalise_database_url(url: str) -> str:
    """Let operators write the usual postgresql:// URL; we talk to it through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: str) -> dict[str, object]:
    instance = Path(instance_path)
    env = _env("NGO_ENV", "development")
    if env not in ("development", "production", "testing"):
        raise ConfigurationError(
            f"NGO_ENV must be development, production or testing, not {env!r}."
        )
    production = env == "production"
    port = _port("NGO_PORT", "8000")
    database_url = normalise_database_url(
        _env("DATABASE_URL", f"sqlite:///{instance / 'ngo.sqlite'}")
    )
    return {
        "NGO_ENV": env,
        # Empty when unset: ngo.keyfiles.resolve_keys fills them in after the app's overrides.
        "SECRET_KEY": _env("SECRET_KEY", ""),
        "NGO_DATA_KEYS": _env("NGO_DATA_KEYS", ""),
        "NGO_INDEX_KEY": _env("NGO_INDEX_KEY", ""),
        "NGO_AUDIT_KEY": _env("NGO_AUDIT_KEY", ""),
        "NGO_AUDIT_SIGNING_KEY": _env("NGO_AUDIT_SIGNING_KEY", ""),
        "NGO_FILES_PATH": _env("NGO_FILES_PATH", str(instance / "files")),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CELERY_BROKER_URL": _env(
            "CELERY_BROKER_URL", f"sqla+sqlite:///{instance / 'broker.sqlite'}"
        ),
        "MAIL_URL": _env("MAIL_URL", f"file://{instance / 'outbox'}"),
        "MAIL_FROM": _env("MAIL_FROM", "ngo <no-reply@localhost>"),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        # `make run` on another port must not send links to port 8000.
        "NGO_BASE_URL": _env("NGO_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        # Forms are small. An upload route raises it for its own request, and only once the
        # user is known to be allowed to upload there (accounts.access.allow_larger_body).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Statement parameters may be personal data: keep them out of exceptions and logs.
        # A ping before each checkout finds connections a database server dropped; a SQLite
        # file drops none, and there the ping was one more statement on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": not database_url.startswith("sqlite"),
            "hide_parameters": True,
        },
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": LANGUAGES,
        "LOGIN_RATE_LIMIT": "10 per minute;60 per hour",
        "PUBLIC_RATE_LIMIT": _env("NGO_PUBLIC_RATE_LIMIT", "300 per minute;5000 per hour"),
        "WEBHOOK_RATE_LIMIT": _rate_limit("NGO_WEBHOOK_RATE_LIMIT", "600 per minute"),
        # How long browsers, proxies and the page cache may reuse a public page or API answer:
        # money figures (raised, funded, spent) are at most this many seconds stale, since a
        # gift changes no page's version (that would empty the page cache every few seconds).
        "PUBLIC_CACHE_SECONDS": 10,
        "PUBLIC_PAGE_CACHE_SIZE": _non_negative_int("NGO_PUBLIC_PAGE_CACHE", "512"),
        "LOGIN_LOCKOUT_THRESHOLD": 5,
        "INVITATION_TTL_HOURS": 72,
        "PASSWORD_RESET_TTL_MINUTES": 60,
        "OUTBOX_RELAY_SECONDS": _seconds("NGO_OUTBOX_RELAY_SECONDS", "30"),
        **_worker_settings(),
        "EVIDENCE_MAX_BYTES": 20 * 1024 * 1024,
        # Decoded, 40 megapixels take 120-160 MB per copy; a larger image is refused unread.
        "MAX_IMAGE_PIXELS": _positive_int("NGO_MAX_IMAGE_PIXELS", "40000000", unit="pixels"),
        "VERIFICATION_VALID_DAYS": _positive_int("NGO_VERIFICATION_VALID_DAYS", "365"),
        "DISBURSEMENT_APPROVAL_MINOR": _non_negative_int(
            "NGO_DISBURSEMENT_APPROVAL_MINOR", "50000"
        ),
        "CELERY_TASK_ALWAYS_EAGER": False,
        # Accounts: how long a signed-in session lasts, and the temporary lock-out after
        # wrong passwords or codes (the first lasts LOGIN_LOCKOUT_FIRST_SECONDS, each further
        # one twice as long, up to LOGIN_LOCKOUT_MAX_SECONDS).
        "STAFF_IDLE_MINUTES": _positive_int("NGO_STAFF_IDLE_MINUTES", "30", unit="minutes"),
        "SESSION_MAX_HOURS": _positive_int("NGO_SESSION_MAX_HOURS", "12", unit="hours"),
        "MANUAL_GIFT_APPROVAL_MINOR": _non_negative_int("NGO_MANUAL_GIFT_APPROVAL_MINOR", "50000"),
        "MANUAL_GIFT_MAX_MINOR": _positive_int(
            "NGO_MANUAL_GIFT_MAX_MINOR", "10000000", unit="minor units"
        ),
        "ECB_RATES_URL": _ecb_rates_url(),
        "EXCHANGE_RATE_MAX_AGE_DAYS": _positive_int("NGO_EXCHANGE_RATE_MAX_AGE_DAYS", "10"),
        # Giving online: without both Stripe keys only bank transfer is offered.
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": _env("STRIPE_API_BASE", "").rstrip("/"),
        "FEE_RULE": _env("NGO_FEE_RULE", "EUR=150+25,PLN=150+100,USD=290+30,GBP=150+20"),
        "MAX_DONATION_MINOR": _env("NGO_MAX_DONATION_MINOR", "1000000"),
        "STATEMENT_DESCRIPTOR": _env("NGO_STATEMENT_DESCRIPTOR", "DONATION"),
        "LOGIN_LOCKOUT_FIRST_SECONDS": 60,
        "LOGIN_LOCKOUT_MAX_SECONDS": 3600,
    }


def check_production_safety(config: dict[str, object]) -> None:
    """Refuse to run production with short keys or keys that were published in the source code.
    (Missing and malformed keys were refused before, by ngo.keyfiles.resolve_keys.)"""
    if config["NGO_ENV"] != "production":
        return
    for name in ("SECRET_KEY", "NGO_INDEX_KEY", "NGO_AUDIT_KEY"):
        value = str(config[name])
        if value in RETIRED_DEVELOPMENT_KEYS or len(value) < 32:
            raise ConfigurationError(
                f"NGO_ENV=production needs {name}: set it to a random string of at least 32 "
                'characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
    keys = [k.strip() for k in str(config["NGO_DATA_KEYS"]).split(",") if k.strip()]
    if RETIRED_DEVELOPMENT_KEYS.intersection(keys):
        raise ConfigurationError(
            "NGO_ENV=production needs NGO_DATA_KEYS without the published development data key: "
            "set it to one or more Fernet keys, newest first, e.g. python3 -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
