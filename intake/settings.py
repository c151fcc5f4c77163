"""One typed settings object, so nothing else in the code reads the environment."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
SECRET_KEYS = ("public_secret_key", "review_secret_key", "rate_limit_secret")
DEV_SECRET_MARKERS = ("", "CHANGE-ME", "dev", "development", "secret", "changeme")


# Pillow's own decompression-bomb guard (intake.attachments.images) stops above this.
MAX_IMAGE_PIXELS_CEILING = 128_000_000


class SettingsError(RuntimeError):
    """Raised with a message an operator can act on when the configuration is unusable."""


@dataclass(frozen=True)
class Settings:
    """Every setting of both apps; built by `load_settings` from config/ and INTAKE_*."""

    env: str
    data_dir: Path
    database_url: str
    public_host: str
    public_port: int
    review_host: str
    review_port: int
    public_secret_key: str
    review_secret_key: str
    rate_limit_secret: str
    behind_tls: bool
    site_name: str
    organisation_name: str
    organisation_contact_url: str
    usual_reply_days: int
    quick_exit_url: str
    max_report_chars: int
    max_file_mb: int
    max_request_mb: int
    max_image_pixels: int
    max_request_pixels: int
    cleaning_slots: int
    staff_kdf_time_cost: int
    staff_kdf_memory_kib: int
    staff_kdf_parallelism: int
    receipt_kdf_time_cost: int
    receipt_kdf_memory_kib: int
    receipt_kdf_parallelism: int
    session_idle_minutes: int
    session_absolute_hours: int
    login_free_failures: int
    login_delay_seconds: int
    login_max_delay_hours: int
    webauthn_rp_id: str
    webauthn_origin: str
    admins_need_security_key: bool
    ack_due_days: int
    response_due_days: int
    verify_from_new: bool
    stats_threshold: int
    stats_epsilon: float
    transparency_page: bool
    retention_days: int
    backup_recipients: tuple[str, ...]
    rate_limit_storage: str
    rate_limit_submit: str
    rate_limit_receipt: str
    rate_limit_login: str
    rate_limit_receipt_site: str
    trusted_proxy: tuple[str, ...]
    regions: tuple[str, ...]
    smtp_host: str
    smtp_port: int
    smtp_from: str
    smtp_tls: str
    smtp_ca_file: str
    notify_batch_minutes: int
    convert_max_pages: int
    convert_seconds: int
    convert_memory_mb: int
    convert_dpi: int
    urgent_escalate_minutes: int
    time_zone: str

    @property
    def production(self) -> bool:
        """Production mode turns on the strict secret checks."""
        return self.env == "production"

    @property
    def blob_dir(self) -> Path:
        """Encrypted attachments live here under random names."""
        return self.data_dir / "blobs"

    @property
    def log_dir(self) -> Path:
        """Application logs (never request data) live here."""
        return self.data_dir / "logs"

    def replace(self, **changes: Any) -> Settings:
        """Tests and the CLI derive variants without touching the environment."""
        return dataclasses.replace(self, **changes)


def _coerce(name: str, raw: str, template: Any) -> Any:
    """Turn an environment string into the type the default has."""
    try:
        if isinstance(template, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if isinstance(template, int):
            return int(raw)
        if isinstance(template, float):
            return float(raw)
        if isinstance(template, list | tuple):
            if raw.strip().startswith("["):
                return list(json.loads(raw))
            return [part.strip() for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise SettingsError(f"INTAKE_{name.upper()}={raw!r} is not a valid value") from exc
    return raw


def _read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file and name it in the error an operator sees."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read configuration file {path}: {exc}") from exc


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    """Development instances keep generated secrets in the data dir so restarts keep sessions."""
    path = data_dir / "secrets.toml"
    if path.exists():
        return {k: str(v) for k, v in _read_toml(path).items()}
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    values = {key: secrets.token_urlsafe(48) for key in SECRET_KEYS}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# Generated development secrets. Never use in production.\n")
        for key, value in values.items():
            fh.write(f'{key} = "{value}"\n')
    return values


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Merge config/defaults.toml, the INTAKE_CONFIG file, INTAKE_* variables and overrides."""
    env = dict(os.environ if environ is None else environ)
    values = _read_toml(CONFIG_DIR / "defaults.toml")
    if env.get("INTAKE_CONFIG"):
        values.update(_read_toml(Path(env["INTAKE_CONFIG"])))
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    for name in known:
        raw = env.get(f"INTAKE_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw, values.get(name, ""))
    values.update(overrides)
    values["data_dir"] = Path(values["data_dir"]).resolve()
    values["regions"] = tuple(values["regions"])
    values["trusted_proxy"] = tuple(str(entry) for entry in values["trusted_proxy"])
    values["backup_recipients"] = tuple(str(p) for p in values["backup_recipients"])
    if values["env"] not in ("development", "production"):
        raise SettingsError("env must be 'development' or 'production'")
    missing = [k for k in SECRET_KEYS if str(values.get(k, "")) in DEV_SECRET_MARKERS]
    if missing and values["env"] == "production":
        names = ", ".join(f"INTAKE_{k.upper()}" for k in missing)
        raise SettingsError(
            f"production mode refuses to start: set strong values for {names} "
            "(see config/production.example.toml)"
        )
    if missing:
        generated = _dev_secrets(values["data_dir"])
        for key in missing:
            values[key] = generated[key]
    if values["env"] == "production":
        short = [k for k in SECRET_KEYS if len(str(values[k])) < 32]
        if short:
            raise SettingsError(f"production secrets must be at least 32 characters: {short}")
        if len({values[k] for k in SECRET_KEYS}) < len(SECRET_KEYS):
            raise SettingsError("production secrets must all be different")
    if not 1 <= int(values["max_image_pixels"]) <= MAX_IMAGE_PIXELS_CEILING:
        raise SettingsError(
            f"max_image_pixels must be between 1 and {MAX_IMAGE_PIXELS_CEILING}")
    if int(values["cleaning_slots"]) < 1 or int(values["max_request_pixels"]) < 1:
        raise SettingsError("cleaning_slots and max_request_pixels must be at least 1")
    contact = str(values.get("organisation_contact_url", ""))
    if contact and not contact.startswith(("https://", "http://")):
        # Rendered as a link on the public form: never a javascript: or data: URL.
        raise SettingsError("organisation_contact_url must start with https:// or http://")
    if int(values.get("usual_reply_days", 0)) < 0:
        raise SettingsError("usual_reply_days must not be negative")
    _check_zone(str(values.get("time_zone", "")))
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{values['data_dir'] / 'intake.db'}"
    _check_smtp_tls(values)
    return Settings(**values)


def _check_zone(name: str) -> None:
    """The instance's display zone must be a zone this system knows (IANA name)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"time_zone {name!r} is not a known IANA time zone "
                            "(e.g. Asia/Bishkek)") from exc


SMTP_TLS_MODES = ("starttls", "implicit", "local-plain")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _check_smtp_tls(values: dict[str, Any]) -> None:
    """Notification mail is never sent in clear across a network: 'local-plain' only to a
    relay on this machine (which then does TLS onward)."""
    mode = values.get("smtp_tls")
    if mode not in SMTP_TLS_MODES:
        raise SettingsError(f"smtp_tls must be one of {', '.join(SMTP_TLS_MODES)}")
    if mode == "local-plain" and values.get("smtp_host") and \
            values["smtp_host"] not in LOOPBACK_HOSTS:
        raise SettingsError("smtp_tls = 'local-plain' is allowed only for a relay on this "
                            "machine (smtp_host 127.0.0.1, ::1 or localhost)")
