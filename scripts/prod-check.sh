#!/usr/bin/env bash
# Production check without Docker: the same steps as the Dockerfile, then the bundle is started in
# replay mode and must answer /health and shut down cleanly on SIGTERM. Prints PASS/FAIL per step and
# exits non-zero when any step fails. Run from anywhere: `bash scripts/prod-check.sh`.
#
# Environment (all optional):
#   PROD_CHECK_DATA         candle folder to replay (default: the first 3 days of
#                           ../shared/data/ohlcv/binance-spot/BTCUSDT-1m, sliced into a temp folder)
#   PROD_CHECK_KEEP=1       keep the temp folder (bundle, data, app.log) for inspection
#   PROD_CHECK_HEALTH_WAIT  seconds to wait for /health 200 (default 180)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smc-prod-check.XXXXXX")
APP="$WORK/app"
LOG="$WORK/app.log"
HEALTH_WAIT=${PROD_CHECK_HEALTH_WAIT:-180}
STOP_WAIT=15
# Fake credentials: paper mode never uses them, and neither may appear in the logs.
FAKE_KEY="prodcheckKEY7f3a9c1e"
FAKE_SECRET="prodcheckSECRETd41b88e02c"
export ONNXRUNTIME_NODE_INSTALL=skip NO_COLOR=1 npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

failures=0
app_pid=""

pass() { printf 'PASS  %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1"; failures=$((failures + 1)); }
info() { printf '      %s\n' "$1"; }
show_log() { [ -f "$LOG" ] && { info "last lines of $LOG:"; tail -n "${1:-25}" "$LOG" | sed 's/^/      | /'; }; }
finish() {
  if [ "$failures" -eq 0 ]; then echo "prod-check: all steps passed"; else echo "prod-check: $failures step(s) failed"; fi
  exit $((failures > 0))
}
cleanup() {
  # only the process this script started, by its pid
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill -KILL "$app_pid" 2>/dev/null; fi
  if [ "${PROD_CHECK_KEEP:-0}" = 1 ]; then echo "prod-check: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "prod-check: repo $ROOT, work dir $WORK"
mkdir -p "$APP"

# 1. Build the production bundle (as the Dockerfile's build stage). Into the temp dir, not the
#    repo's dist/: bin/smc.js prefers dist/ when it exists, so a stale build there would shadow the
#    sources for everyone working in the checkout.
if (cd "$ROOT" && npm run --silent build -- --outDir "$APP/dist") >"$WORK/build.log" 2>&1 \
  && [ -f "$APP/dist/src/cli/main.js" ]; then
  pass "build: npm run build -> dist/src/cli/main.js"
else
  fail "build: npm run build failed"; sed 's/^/      | /' "$WORK/build.log" | tail -n 30; finish
fi

# 2. Assemble the bundle exactly as the runtime image does.
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$APP/" && cp -R "$ROOT/bin" "$ROOT/sql" "$APP/"
[ -d "$ROOT/models" ] && cp -R "$ROOT/models" "$APP/"
pass "bundle: package.json, package-lock.json, dist/, sql/, bin/ copied to a clean folder"

# 3. Production dependencies only.
if (cd "$APP" && npm ci --omit=dev --no-audit --no-fund --loglevel=error --prefer-offline) >"$WORK/npm.log" 2>&1; then
  pass "install: npm ci --omit=dev (ONNXRUNTIME_NODE_INSTALL=skip)"
else
  fail "install: npm ci --omit=dev failed"; tail -n 30 "$WORK/npm.log" | sed 's/^/      | /'; finish
fi

# 4. No development tooling in the bundle.
present=""
for dev in vitest typescript fast-check @vitest/runner; do
  [ -e "$APP/node_modules/$dev" ] && present="$present $dev"
done
if [ -z "$present" ]; then pass "dev dependencies absent (vitest, typescript, fast-check)"; else fail "dev dependencies installed:$present"; fi

# 5. Prune onnxruntime-node to this platform (as the image does) and prove the binding still loads.
if bash "$ROOT/scripts/prune-onnxruntime.sh" "$APP/node_modules" >"$WORK/prune.log" 2>&1 \
  && (cd "$APP" && node -e "require('onnxruntime-node'); const p=require('node:fs').readdirSync('node_modules/onnxruntime-node/bin/napi-v6'); if (p.join()!=='linux') throw new Error('left: '+p)") >>"$WORK/prune.log" 2>&1; then
  pass "onnxruntime-node pruned to linux/$(node -p process.arch) and loads ($(du -sh "$APP/node_modules/onnxruntime-node" | cut -f1))"
else
  fail "onnxruntime-node prune/load"; sed 's/^/      | /' "$WORK/prune.log"
fi
info "bundle size: $(du -sh "$APP" | cut -f1) (node_modules $(du -sh "$APP/node_modules" | cut -f1))"

# 6. A small real data set: the first 3 days of BTCUSDT 1m.
DATA=${PROD_CHECK_DATA:-}
if [ -z "$DATA" ]; then
  src="$ROOT/../shared/data/ohlcv/binance-spot/BTCUSDT-1m.csv.gz"
  DATA="$WORK/candles"
  mkdir -p "$DATA"
  # head closes the pipe early, so gzip -dc ends by SIGPIPE: judge the result by its line count
  if [ -f "$src" ] && { (set +o pipefail; gzip -dc "$src" 2>/dev/null | head -n $((1 + 3 * 1440))) | gzip >"$DATA/BTCUSDT-1m.csv.gz"; } \
    && [ "$(gzip -dc "$DATA/BTCUSDT-1m.csv.gz" | wc -l)" -eq $((1 + 3 * 1440)) ]; then
    pass "data: first 3 days of binance-spot BTCUSDT-1m (4320 candles)"
  else
    fail "data: cannot slice $src"; finish
  fi
else
  info "data: $DATA (PROD_CHECK_DATA)"
fi

# 7. Start the bundle in replay mode with a production-like environment (nothing inherited but PATH).
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$WORK/data"
(cd "$APP" && exec env -i PATH="$PATH" HOME="$WORK" NODE_ENV=production PORT="$PORT" DATA_DIR="$WORK/data" \
  TRADING_MODE=paper SYMBOLS=BTCUSDT LOG_LEVEL=info BYBIT_API_KEY="$FAKE_KEY" BYBIT_API_SECRET="$FAKE_SECRET" \
  node bin/smc.js replay --data "$DATA" --speed 0 --hold) >"$LOG" 2>&1 &
app_pid=$!
info "started: node bin/smc.js replay --data $DATA --speed 0 --hold (pid $app_pid, PORT=$PORT)"

# 8. /health must answer 200 with a JSON object.
body=""; code=""; deadline=$((SECONDS + HEALTH_WAIT))
while [ $SECONDS -lt $deadline ]; do
  if ! kill -0 "$app_pid" 2>/dev/null; then break; fi
  out=$(node -e "
    fetch('http://127.0.0.1:$PORT/health').then(async r => console.log(r.status + ' ' + (r.headers.get('content-type')||'') + '\n' + await r.text()), () => console.log('000'))" 2>/dev/null)
  code=${out%% *}; body=$(printf '%s\n' "$out" | sed -n '2,$p')
  [ "$code" = 200 ] && break
  sleep 1
done
if [ "$code" = 200 ] && printf '%s' "$body" | node -e "
    let s=''; process.stdin.on('data', d => s += d).on('end', () => {
      const j = JSON.parse(s);
      if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error('not a JSON object');
      if ('status' in j && j.status !== 'ok') throw new Error('status ' + j.status);
    })" 2>"$WORK/health.err"; then
  pass "/health: 200 with JSON $(printf '%s' "$body" | head -c 300)"
else
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid"; rc=$?; app_pid=""
    fail "/health: the process exited (code $rc) before /health answered 200"
  else
    fail "/health: no 200 with a JSON object within ${HEALTH_WAIT}s (last: ${code:-none} ${body:0:300} $(cat "$WORK/health.err" 2>/dev/null | tail -n 1))"
  fi
  show_log; finish
fi

# 9. SIGTERM: exit code 0 within 15 s, a clean-shutdown line in the log, the data-dir lock released.
kill -TERM "$app_pid"
stop_deadline=$((SECONDS + STOP_WAIT)); rc=""
while [ $SECONDS -le $stop_deadline ]; do
  if ! kill -0 "$app_pid" 2>/dev/null; then wait "$app_pid"; rc=$?; break; fi
  sleep 0.2
done
if [ -z "$rc" ]; then
  fail "SIGTERM: still running after ${STOP_WAIT}s"; show_log; finish
fi
app_pid=""
if [ "$rc" -eq 0 ]; then pass "SIGTERM: exited with code 0 within ${STOP_WAIT}s"; else fail "SIGTERM: exit code $rc"; show_log; fi
if grep -Eiq 'shutdown complete|clean shutdown|graceful shutdown' "$LOG"; then
  pass "clean-shutdown log line: $(grep -Eio '[^"]*(shutdown complete|clean shutdown|graceful shutdown)[^"]*' "$LOG" | head -n 1)"
else
  fail "no clean-shutdown line ('shutdown complete') in the log"; show_log
fi
if [ -e "$WORK/data/smc.lock" ]; then fail "DATA_DIR lock file left behind after shutdown"; else pass "DATA_DIR lock released"; fi

# 10. Start-up banner and secrets: the variables in use are printed, secrets only masked.
if grep -Fq "$FAKE_KEY" "$LOG" || grep -Fq "$FAKE_SECRET" "$LOG"; then
  fail "a secret (BYBIT_API_KEY/BYBIT_API_SECRET) appears in the log"
elif grep -q 'TRADING_MODE' "$LOG" && grep -Fq "${FAKE_KEY: -4}" "$LOG"; then
  pass "start-up banner lists the variables used with secrets masked (****${FAKE_KEY: -4})"
else
  fail "start-up banner: expected the variables in use (TRADING_MODE, BYBIT_API_KEY masked as ****${FAKE_KEY: -4}) in the log"; show_log 40
fi

finish
