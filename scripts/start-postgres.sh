#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the storage tests, so they run against a real server
# rather than a mock. Loopback only, data in a temp dir, idempotent: a second run finds the
# running server and just prints its URL. Writes the URL to .cache/postgres-url (gitignored).
#
# Env: ROUTING_STUDIO_PG_PORT (default 54329; another free port is picked if that one is taken
# by something else), ROUTING_STUDIO_PG_DIR (data dir, default ${TMPDIR:-/tmp}/routing-studio-pg).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
url_file="$repo/.cache/postgres-url"
data="${ROUTING_STUDIO_PG_DIR:-${TMPDIR:-/tmp}/routing-studio-pg}"
port="${ROUTING_STUDIO_PG_PORT:-54329}"
db=routing_studio_test
role=routing_studio

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "start-postgres: no PostgreSQL server binaries; run scripts/install-system-deps.sh" >&2
  exit 1
fi

# PostgreSQL refuses to run as root, so root runs it as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Superuser access goes through the Unix socket inside the data dir (trust auth, owner only).
admin_psql() {
  as_owner "$bindir/psql" -h "$data" -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "${@:2}"
}

running_port() {
  # Prints the port of the server running on $data, if there is one.
  as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 1
  sed -n 4p "$data/postmaster.pid"
}

port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

if [ ! -s "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data"; fi
  chmod 700 "$data"
  # No superuser password: the superuser is reachable only through the owner-only socket.
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale >/dev/null
  # The role's password lives inside the cluster dir so a later run can rebuild the URL.
  python3 -c 'import secrets; print(secrets.token_hex(16))' | as_owner tee "$data/routing-studio-password" >/dev/null
  chmod 600 "$data/routing-studio-password"
fi
password="$(cat "$data/routing-studio-password")"

if port_now="$(running_port)"; then
  port="$port_now"
else
  if ! port_free "$port"; then
    port="$(free_port)"
  fi
  as_owner "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$data' -c fsync=on" \
    start >/dev/null
fi

if [ "$(admin_psql "$port" -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
  admin_psql "$port" -c "CREATE ROLE $role LOGIN PASSWORD '$password'"
fi
if [ "$(admin_psql "$port" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  admin_psql "$port" -c "CREATE DATABASE $db OWNER $role"
fi

url="postgresql+psycopg://$role:$password@127.0.0.1:$port/$db"
mkdir -p "$(dirname "$url_file")"
printf '%s\n' "$url" > "$url_file"
echo "$url"
