"""gunicorn's settings for the tracker: `gunicorn -c deploy/gunicorn.conf.py` from the repository's folder
(deploy/tracker.service does that). Every value can be changed from the environment (the unit's
EnvironmentFile) without editing this file; see docs/operations.md.

Sync workers: a request is a short transaction (a scan, a form), and a worker per request keeps a slow one
from holding up others on the same thread. The app is not preloaded: each worker makes its own database
engine and connection pool after the fork (a pool shared across a fork hands one connection to two
processes)."""

import multiprocessing
import os

wsgi_app = "app:app"
# Only the reverse proxy on this machine talks to gunicorn (deploy/nginx.conf); never bind it to 0.0.0.0.
bind = os.environ.get("TRACKER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(2 * multiprocessing.cpu_count() + 1, 9))))
worker_class = "sync"
preload_app = False
# A PDF report or an audit export of a big trial takes a while; a hung worker is replaced after this long.
timeout = int(os.environ.get("TRACKER_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (plus a random few, so that they do not all restart at once).
max_requests = 2000
max_requests_jitter = 200

# The forwarded headers are the app's business alone (TRUSTED_PROXY_HOPS, werkzeug's ProxyFix): gunicorn's own
# reading of X-Forwarded-Proto is turned off so that there is one place that decides whom to believe.
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = "127.0.0.1,::1"

# Logs go to standard output and error: journald keeps them (journalctl -u tracker).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("TRACKER_LOG_LEVEL", "info")
# The client as the proxy saw it, and no query string: a search for a participant stays out of the logs.
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
proc_name = "tracker"
# gunicorn's control socket (gunicornc: add workers, reload) is not used: systemd reloads with HUP
# (deploy/tracker.service). Off, so that no second way to manage the server sits in the service's home, and
# two instances of one user do not share one socket.
control_socket_disable = True
