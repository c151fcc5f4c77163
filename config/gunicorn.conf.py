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
# Behind a local reverse proxy only; never trust forwarded headers from elsewhere.
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"
# Request line and header limits: malformed floods are cut early.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Let the app decide body limits (MAX_CONTENT_LENGTH); stream uploads, never buffer to disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket: two masters (public, review) would fight over one path,
# and nothing needs to steer the server at run time.
control_socket_disable = True
