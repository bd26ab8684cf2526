#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, starting
# them the way this machine starts them when they are down. Says clearly what is
# missing when it cannot. The tests need both: they fail rather than skip.
set -u

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local port=$1 i
  for i in $(seq 50); do listening "$port" && return 0; sleep 0.2; done
  return 1
}

missing=0

if ! listening 5432; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it" >&2
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >&2 || true
  fi
  if ! wait_for 5432; then
    echo "MISSING: PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres, database test)." >&2
    echo "  Install it (apt-get install postgresql) or set AIGW_TEST_POSTGRES_URL to a server the tests may use." >&2
    missing=1
  fi
fi

if ! listening 6379; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it" >&2
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2 || true
  fi
  if ! wait_for 6379; then
    echo "MISSING: Redis on 127.0.0.1:6379." >&2
    echo "  Install it (apt-get install redis-server) or set AIGW_TEST_REDIS_URL." >&2
    missing=1
  fi
fi

exit $missing
