#!/usr/bin/env bash
# The Postgres tests of the database layer and the worker's claims, once more through
# Debian's pgbouncer in transaction mode (the mode of Supabase's pooler and RDS Proxy):
# each transaction may get another server connection, so nothing may be prepared on the
# server or left in the session. The app's URL gets ?pooler=transaction (docs/deployment.md,
# "Connection poolers"); the tests' own CREATE/DROP DATABASE go straight to the server.
# Needs INFRASYNC_TEST_DATABASE_URL (a server the tests may create databases on).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${INFRASYNC_TEST_DATABASE_URL:-}" ]; then
  echo "test-pgbouncer: SKIPPED: INFRASYNC_TEST_DATABASE_URL is not set (the pgbouncer run" \
       "needs a Postgres server, e.g. INFRASYNC_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test)"
  exit 0
fi
started=$(date +%s)
read -r host port user < <(.venv/bin/python -c '
import os
from sqlalchemy.engine import make_url
url = make_url(os.environ["INFRASYNC_TEST_DATABASE_URL"])
print(url.host or "127.0.0.1", url.port or 5432, url.username or "postgres")')
listen=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
cat > "$work/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
printf '"%s" ""\n' "$user" > "$work/users.txt"
# pgbouncer will not run as root: -u drops to the postgres user (CI runs as root).
as_user=()
if [ "$(id -u)" = 0 ]; then chown -R postgres "$work"; as_user=(-u postgres); fi
pgbouncer -d "${as_user[@]}" "$work/pgbouncer.ini"
stop() { kill "$(cat "$work/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$listen" && break; sleep 0.1; done
pg_isready -h 127.0.0.1 -p "$listen"
echo "pgbouncer $(pgbouncer --version | head -1 | awk '{print $2}') in transaction mode on 127.0.0.1:$listen"
# The database layer (sessions, a dropped connection, /ready), the worker's claims and
# runs, and a worker delivering and handing back end to end: the code that talks to
# Postgres in ways a pooler could break. tests/test_db_pooler.py is left out: it checks
# the direct server's default behaviour.
worker=tests/delivery/test_worker_delivery.py
INFRASYNC_TEST_POOLER="127.0.0.1:$listen" .venv/bin/pytest -q -n "${TEST_WORKERS:-2}" \
  -m "not browser" -k postgres -p no:randomly \
  tests/scheduler tests/test_db_sessions.py tests/test_health.py \
  "$worker::test_a_due_monitor_is_delivered_once_to_each_of_its_channels" \
  "$worker::test_a_stopping_worker_hands_back_a_delivery_it_could_not_finish"
echo "test-pgbouncer: passed in $(( $(date +%s) - started )) s"
