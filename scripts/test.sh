#!/usr/bin/env bash
# The whole suite: lint, then pytest on SQLite and on PostgreSQL.
# Starts PostgreSQL and Redis where their binaries exist but they are not running; under CI=true a
# missing service fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export SECRET_KEY=${SECRET_KEY:-tests-only-not-a-secret}
export DEBUG=0

fail_or_skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: $1 (CI=true: a missing service fails the run)" >&2
    exit 1
  fi
  echo "WARNING: $1; skipping what needs it" >&2
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! postgres_up && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do postgres_up && break; sleep 1; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --port 6379 --save "" --appendonly no || true
  for _ in $(seq 30); do redis_up && break; sleep 1; done
fi
redis_up || fail_or_skip "Redis is not running on 127.0.0.1:6379"
# The browser tests drive Debian's Chromium, with a Chinese font so pictures and documents show Chinese; the
# 舆情专报 tests read the PDF's text with poppler's pdftotext, whose poppler-data maps its Chinese font (Adobe-GB1)
# to text. Root may install them all, anyone else runs without them.
has_cjk_font() { fc-list :lang=zh 2>/dev/null | grep -q .; }
has_pdftotext() { command -v pdftotext >/dev/null && [ -d /usr/share/poppler/cMap/Adobe-GB1 ]; }
if { [ ! -x /usr/bin/chromium ] || ! has_cjk_font || ! has_pdftotext; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils poppler-data >/dev/null) || true
fi
[ -x /usr/bin/chromium ] || fail_or_skip "Chromium is missing at /usr/bin/chromium"
# Programs taken out of Debian's packages into .venv/<package> without installing the package, so nothing is set up
# or started: a package's files, downloaded (apt-get download needs no root) and unpacked.
take_from_debian() {
  local download
  download=$(mktemp -d)
  chmod a+rwx "$download"  # apt downloads as its own user
  (cd "$download" && apt-get download -qq "$1" && dpkg -x "$1"_*.deb "$OLDPWD/.venv/$1")
  local taken=$?
  rm -rf "$download"
  return $taken
}
# take PACKAGE CHECK: the package's files unless CHECK already succeeds, the package lists updated first if need be.
take() {
  if ! "$2" && command -v apt-get >/dev/null; then
    take_from_debian "$1" || { [ "$(id -u)" = 0 ] && apt-get update -qq && take_from_debian "$1"; } || true
  fi
}
# The delivery benchmark's mail sink in C (bench/delivery.py --smtp-sink): Postfix's smtp-sink, without Postfix.
SMTP_SINK=.venv/postfix/usr/sbin/smtp-sink
# Runs: it prints its usage when asked nothing (not "error while loading shared libraries").
smtp_sink_runs() { [[ "$(LD_LIBRARY_PATH=.venv/postfix/usr/lib/postfix "$SMTP_SINK" 2>&1)" == *usage:* ]]; }
take postfix smtp_sink_runs
smtp_sink_runs || fail_or_skip "Postfix's smtp-sink, taken out of Debian's postfix package into .venv/postfix, does not run"
# promtool, which runs the example alert rules' unit tests (tests/web/alert_rules_test.yml), without Prometheus.
promtool_runs() { .venv/prometheus/usr/bin/promtool --version >/dev/null 2>&1; }
take prometheus promtool_runs
promtool_runs || fail_or_skip "promtool, taken out of Debian's prometheus package into .venv/prometheus, does not run"
has_pdftotext || fail_or_skip "pdftotext (poppler-utils) or poppler-data is missing: the PDF text of the 舆情专报"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache  # the dependency rule (.importlinter)
.venv/bin/mypy  # the domain core's types ([tool.mypy] in pyproject.toml)
DATABASE_URL=sqlite://:memory: "$PY" manage.py makemigrations --check --dry-run

echo "== tests on SQLite =="
"$PY" -m pytest "$@"

if postgres_up; then
  echo "== tests on PostgreSQL =="
  DATABASE_URL="$PG_URL" "$PY" -m pytest "$@"
else
  fail_or_skip "PostgreSQL is not running on 127.0.0.1:5432"
fi
