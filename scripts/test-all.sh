#!/usr/bin/env bash
# CI: install everything from scratch, start PostgreSQL, run the README's test command,
# and end with one plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true NO_COLOR=1 ONNXRUNTIME_NODE_INSTALL=skip
export DEBIAN_FRONTEND=noninteractive

echo "== node dependencies"
npm ci --no-audit --no-fund --loglevel=error

echo "== python dependencies (ml/)"
if [ -f ml/requirements.txt ]; then
  python3 -m pip install --quiet --disable-pip-version-check -r ml/requirements.txt
fi

echo "== PostgreSQL from Debian"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=$(mktemp -d /tmp/smc-ci-pg.XXXXXX)
PGPORT=${PGPORT:-$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")}
chown postgres "$PGDATA"
su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1' -l $PGDATA/server.log -w start" >/dev/null
trap 'su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -m fast stop" >/dev/null 2>&1 || true' EXIT
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
export SMC_PG_BIN="$PGBIN"

echo "== typecheck"
npx tsc --noEmit -p .

rm -f vitest-report.json pytest-report.xml
echo "== tests (TypeScript: vitest)"
set +e
npm test -- --reporter=default --reporter=json --outputFile=vitest-report.json
rc=$?
echo "== tests (Python: ml/)"
npm run --silent test:ml -- --junitxml=pytest-report.xml
rc_py=$?
set -e
node scripts/test-summary.mjs vitest-report.json pytest-report.xml
if [ $rc -ne 0 ]; then exit $rc; fi
exit $rc_py
