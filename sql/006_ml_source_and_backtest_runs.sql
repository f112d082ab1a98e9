-- ml_features gets the `source` trades and signals already have, so `smc ml export` can keep
-- backtest rows apart from live and paper ones; and backtests get a run identity (`run_id`, the
-- fingerprint of config + data window + symbols that `smc backtest --store` prints and writes in
-- summary.json), so two backtests with different configs keep both sets of rows and the views can
-- be read per run. Rows of the runtime (live, paper, replay, ...) have run_id NULL.

ALTER TABLE ml_features ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'live';
ALTER TABLE ml_features ADD COLUMN IF NOT EXISTS run_id TEXT;
ALTER TABLE trades ADD COLUMN IF NOT EXISTS run_id TEXT;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS run_id TEXT;

CREATE INDEX IF NOT EXISTS idx_ml_features_source ON ml_features (source, created_at);
CREATE INDEX IF NOT EXISTS idx_signals_source ON signals (source);
CREATE INDEX IF NOT EXISTS idx_trades_run_id ON trades (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_signals_run_id ON signals (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_ml_features_run_id ON ml_features (run_id) WHERE run_id IS NOT NULL;

-- Backfill rows written before this migration (they all got the default 'live').
-- 1. From their trade: ml_features.trade_id is the trade's row id, which is unique per source.
UPDATE ml_features m
SET source = t.source, run_id = t.run_id
FROM trades t
WHERE m.trade_id = t.id AND (m.source IS DISTINCT FROM t.source OR m.run_id IS DISTINCT FROM t.run_id);

-- 2. Rows without a stored trade, from their signal: ml_features.signal_id is the engine's id
--    `SYMBOL-direction-timeMs` while signals.id is a hash, so the engine id is rebuilt from the
--    signal row. Only where every stored signal with that engine id has the same source (a signal
--    seen by both a backtest and the live bot cannot be told apart here and stays 'live').
WITH by_engine_id AS (
    SELECT s.symbol || '-' || s.direction || '-' || round(extract(epoch FROM s.created_at) * 1000)::bigint::text AS engine_id,
        min(s.source) AS source
    FROM signals s
    GROUP BY 1
    HAVING count(DISTINCT s.source) = 1
)
UPDATE ml_features m
SET source = b.source
FROM by_engine_id b
WHERE m.signal_id = b.engine_id AND m.source = 'live' AND b.source <> 'live' AND m.run_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.id = m.trade_id);

-- The views of 003 grouped by run as well, under new names with run_id as their last column
-- (003's views keep their columns: every migration file must stay re-runnable, and 003 re-run
-- cannot drop a column a later file added). `WHERE source = 'backtest' AND run_id = '<run>'` gives
-- one backtest's numbers; runtime rows have run_id NULL and the same numbers as in 003's views,
-- which add up every backtest run of a source. The store reads these views.

CREATE OR REPLACE VIEW win_rate_by_confidence_by_run AS
SELECT
    t.source,
    b.confidence_bucket,
    b.bucket_min,
    COUNT(*)::int AS total_trades,
    (COUNT(*) FILTER (WHERE t.pnl_usd > 0))::int AS wins,
    ROUND((COUNT(*) FILTER (WHERE t.pnl_usd > 0))::numeric * 100 / NULLIF(COUNT(*), 0), 2) AS win_rate,
    ROUND(AVG(t.pnl_percent), 4) AS avg_pnl,
    t.run_id
FROM trades t
CROSS JOIN LATERAL (
    SELECT
        CASE
            WHEN t.confidence_score >= 95 THEN '95-100'
            WHEN t.confidence_score >= 90 THEN '90-94'
            WHEN t.confidence_score >= 85 THEN '85-89'
            WHEN t.confidence_score >= 80 THEN '80-84'
            ELSE '<80'
        END AS confidence_bucket,
        CASE
            WHEN t.confidence_score >= 95 THEN 95
            WHEN t.confidence_score >= 90 THEN 90
            WHEN t.confidence_score >= 85 THEN 85
            WHEN t.confidence_score >= 80 THEN 80
            ELSE 0
        END AS bucket_min
) b
WHERE t.exit_time IS NOT NULL
GROUP BY t.source, t.run_id, b.confidence_bucket, b.bucket_min
ORDER BY t.source, t.run_id, b.bucket_min DESC;

CREATE OR REPLACE VIEW performance_by_factor_by_run AS
SELECT
    t.source,
    f.factor,
    (COUNT(*) FILTER (WHERE f.had))::int AS trades_with,
    (COUNT(*) FILTER (WHERE NOT f.had))::int AS trades_without,
    ROUND((COUNT(*) FILTER (WHERE f.had AND t.pnl_usd > 0))::numeric * 100
        / NULLIF(COUNT(*) FILTER (WHERE f.had), 0), 2) AS win_rate_with,
    ROUND((COUNT(*) FILTER (WHERE NOT f.had AND t.pnl_usd > 0))::numeric * 100
        / NULLIF(COUNT(*) FILTER (WHERE NOT f.had), 0), 2) AS win_rate_without,
    ROUND(AVG(t.pnl_percent) FILTER (WHERE f.had), 4) AS avg_pnl_with,
    ROUND(AVG(t.pnl_percent) FILTER (WHERE NOT f.had), 4) AS avg_pnl_without,
    t.run_id
FROM trades t
CROSS JOIN LATERAL (VALUES
    (1, 'Order Block', COALESCE(t.had_order_block, FALSE)),
    (2, 'FVG', COALESCE(t.had_fvg, FALSE)),
    (3, 'Liquidity Sweep', COALESCE(t.had_liquidity_sweep, FALSE))
) AS f (ord, factor, had)
WHERE t.exit_time IS NOT NULL
GROUP BY t.source, t.run_id, f.ord, f.factor
ORDER BY t.source, t.run_id, f.ord;

-- A FULL JOIN needs an equality, so a missing run is '' inside and NULL again outside.
CREATE OR REPLACE VIEW daily_stats_by_run AS
WITH closed AS (
    SELECT
        source,
        (exit_time AT TIME ZONE 'UTC')::date AS date,
        COALESCE(run_id, '') AS run,
        COUNT(*)::int AS total_trades,
        (COUNT(*) FILTER (WHERE pnl_usd > 0))::int AS winning_trades,
        COALESCE(SUM(pnl_usd), 0) AS total_pnl_usd,
        COALESCE(SUM(pnl_percent), 0) AS total_pnl_percent,
        MAX(pnl_usd) AS best_trade_pnl,
        MIN(pnl_usd) AS worst_trade_pnl,
        ROUND(AVG(confidence_score), 2) AS avg_confidence,
        ROUND(AVG(duration_minutes), 2) AS avg_duration_minutes
    FROM trades
    WHERE exit_time IS NOT NULL
    GROUP BY 1, 2, 3
), generated AS (
    SELECT
        source,
        (created_at AT TIME ZONE 'UTC')::date AS date,
        COALESCE(run_id, '') AS run,
        COUNT(*)::int AS signals_generated,
        (COUNT(*) FILTER (WHERE was_executed))::int AS signals_executed
    FROM signals
    GROUP BY 1, 2, 3
)
SELECT
    COALESCE(c.date, g.date) AS date,
    COALESCE(c.source, g.source) AS source,
    COALESCE(c.total_trades, 0) AS total_trades,
    COALESCE(c.winning_trades, 0) AS winning_trades,
    COALESCE(c.total_trades - c.winning_trades, 0) AS losing_trades,
    ROUND(c.winning_trades::numeric * 100 / NULLIF(c.total_trades, 0), 2) AS win_rate,
    COALESCE(c.total_pnl_usd, 0) AS total_pnl_usd,
    COALESCE(c.total_pnl_percent, 0) AS total_pnl_percent,
    c.best_trade_pnl,
    c.worst_trade_pnl,
    c.avg_confidence,
    c.avg_duration_minutes,
    COALESCE(g.signals_generated, 0) AS signals_generated,
    COALESCE(g.signals_executed, 0) AS signals_executed,
    NULLIF(COALESCE(c.run, g.run), '') AS run_id
FROM closed c
FULL OUTER JOIN generated g ON g.source = c.source AND g.date = c.date AND g.run = c.run;

CREATE OR REPLACE VIEW coin_performance_by_run AS
WITH closed AS (
    SELECT
        source, COALESCE(run_id, '') AS run, symbol, pnl_usd, pnl_percent,
        CASE
            WHEN EXTRACT(HOUR FROM entry_time AT TIME ZONE 'UTC') < 8 THEN 'asia'
            WHEN EXTRACT(HOUR FROM entry_time AT TIME ZONE 'UTC') < 13 THEN 'london'
            WHEN EXTRACT(HOUR FROM entry_time AT TIME ZONE 'UTC') < 21 THEN 'new_york'
            ELSE 'late'
        END AS session
    FROM trades
    WHERE exit_time IS NOT NULL
), per_coin AS (
    SELECT
        source,
        run,
        symbol,
        COUNT(*)::int AS total_trades,
        ROUND((COUNT(*) FILTER (WHERE pnl_usd > 0))::numeric * 100 / NULLIF(COUNT(*), 0), 2) AS win_rate,
        ROUND(AVG(pnl_percent), 4) AS avg_pnl_percent,
        COALESCE(SUM(pnl_usd), 0) AS total_pnl_usd,
        ROUND(COALESCE(SUM(pnl_usd) FILTER (WHERE pnl_usd > 0), 0)
            / NULLIF(-SUM(pnl_usd) FILTER (WHERE pnl_usd < 0), 0), 4) AS profit_factor
    FROM closed
    GROUP BY source, run, symbol
), sessions AS (
    SELECT DISTINCT ON (source, run, symbol) source, run, symbol, session
    FROM closed
    GROUP BY source, run, symbol, session
    ORDER BY source, run, symbol, SUM(pnl_usd) DESC NULLS LAST, session
)
SELECT p.source, p.symbol, p.total_trades, p.win_rate, p.avg_pnl_percent, p.total_pnl_usd,
    p.profit_factor, s.session AS best_session, NULLIF(p.run, '') AS run_id
FROM per_coin p
LEFT JOIN sessions s ON s.source = p.source AND s.run = p.run AND s.symbol = p.symbol;

-- The lock-down of 005 for the new views: Supabase's default privileges hand every new object in
-- public to its anon and authenticated roles.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.tablename);
  END LOOP;
  REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO service_role;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM anon;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM anon;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM authenticated;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM authenticated;
  END IF;
END $$;
