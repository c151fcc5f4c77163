"""Gunicorn settings shipped for both apps: no access log, no client address anywhere."""

import os

workers = int(os.environ.get("INTAKE_GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("INTAKE_GUNICORN_THREADS", "4"))
timeout = 120
graceful_timeout = 30
# No access log at all: an access line would carry the client address and user agent.
accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
loglevel = "warning"
# Only for X-Forwarded-Proto (the URL scheme). Which client a request counts as is the
# app's `trusted_proxy` setting (intake.web.ratelimit), not gunicorn's.
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"
# Request line and header limits: malformed floods are cut early.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Let the app decide body limits (MAX_CONTENT_LENGTH); stream uploads, never buffer to disk.
# The heartbeat file of each worker, in RAM; it holds no data.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# No runtime control socket: two masters (public, review) would fight over one path,
# and nothing needs to steer the server at run time.
control_socket_disable = True


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse to start production with per-worker rate-limit counters and several workers."""
    from intake.settings import SettingsError, load_settings
    from intake.web.ratelimit import require_shared_counters

    try:
        require_shared_counters(load_settings(), server.cfg.workers)
    except SettingsError as exc:
        server.log.error("%s", exc)
        raise SystemExit(3) from exc


# Gunicorn itself names the peer in some warnings ("Invalid request from ip=…"). The
# logger below blanks anything shaped like an IP address before a line is written, and
# never writes an access line, whatever other settings say.
import logging  # noqa: E402
import re  # noqa: E402

from gunicorn import glogging  # noqa: E402

_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_TIME = re.compile(r"\d{1,2}:\d{2}:\d{2}")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])")


def _redact(text: str) -> str:
    """Blank IPv4 and IPv6 addresses; clock times such as 12:30:00 stay readable."""
    text = _IPV4.sub("[address]", text)
    return _IPV6.sub(
        lambda m: m.group(0) if _TIME.fullmatch(m.group(0)) else "[address]", text)


class _NoAddresses(logging.Filter):
    """Rewrite each record's final message without addresses."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _redact(logging.Formatter().formatException(record.exc_info))
        return True


class NoAddressLogger(glogging.Logger):
    """Gunicorn's logger with no access log and every address blanked."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(_NoAddresses())

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        return None


logger_class = NoAddressLogger
