-- Analytics in SQL so PGlite, PostgreSQL and Supabase return the same numbers.
-- Definitions: a trade is closed when exit_time is set; it counts on the UTC day it closed;
-- a win is pnl_usd > 0 (net of fees and funding); every other closed trade is a loss.
-- Fixes to the briefing's views (Teil 3.2): scores below 80 got their own '<80' bucket (they were
-- lumped into '80-84'); buckets sort by their lower bound (text order put '<80' first); rates divide
-- by NULLIF(count, 0); a NULL factor flag counts as "without" (it fell out of both sides); and every
-- view is grouped by source, so backtest rows never mix with live ones.

CREATE OR REPLACE VIEW win_rate_by_confidence AS
SELECT
    t.source,
    b.confidence_bucket,
    b.bucket_min,
    COUNT(*)::int AS total_trades,
    (COUNT(*) FILTER (WHERE t.pnl_usd > 0))::int AS wins,
    ROUND((COUNT(*) FILTER (WHERE t.pnl_usd > 0))::numeric * 100 / NULLIF(COUNT(*), 0), 2) AS win_rate,
    ROUND(AVG(t.pnl_percent), 4) AS avg_pnl
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
GROUP BY t.source, b.confidence_bucket, b.bucket_min
ORDER BY t.source, b.bucket_min DESC;

CREATE OR REPLACE VIEW performance_by_factor AS
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
    ROUND(AVG(t.pnl_percent) FILTER (WHERE NOT f.had), 4) AS avg_pnl_without
FROM trades t
CROSS JOIN LATERAL (VALUES
    (1, 'Order Block', COALESCE(t.had_order_block, FALSE)),
    (2, 'FVG', COALESCE(t.had_fvg, FALSE)),
    (3, 'Liquidity Sweep', COALESCE(t.had_liquidity_sweep, FALSE))
) AS f (ord, factor, had)
WHERE t.exit_time IS NOT NULL
GROUP BY t.source, f.ord, f.factor
ORDER BY t.source, f.ord;

CREATE OR REPLACE VIEW daily_stats_view AS
WITH closed AS (
    SELECT
        source,
        (exit_time AT TIME ZONE 'UTC')::date AS date,
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
    GROUP BY 1, 2
), generated AS (
    SELECT
        source,
        (created_at AT TIME ZONE 'UTC')::date AS date,
        COUNT(*)::int AS signals_generated,
        (COUNT(*) FILTER (WHERE was_executed))::int AS signals_executed
    FROM signals
    GROUP BY 1, 2
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
    COALESCE(g.signals_executed, 0) AS signals_executed
FROM closed c
FULL OUTER JOIN generated g ON g.source = c.source AND g.date = c.date;

-- Stores the view's numbers for one day in daily_stats (the daily report's record) and returns them.
CREATE OR REPLACE FUNCTION compute_daily_stats(day DATE)
RETURNS SETOF daily_stats
LANGUAGE sql
AS $$
    INSERT INTO daily_stats AS d (date, source, total_trades, winning_trades, losing_trades, win_rate,
        total_pnl_usd, total_pnl_percent, best_trade_pnl, worst_trade_pnl, avg_confidence,
        avg_duration_minutes, signals_generated, signals_executed, computed_at)
    SELECT v.date, v.source, v.total_trades, v.winning_trades, v.losing_trades, v.win_rate,
        v.total_pnl_usd, v.total_pnl_percent, v.best_trade_pnl, v.worst_trade_pnl, v.avg_confidence,
        v.avg_duration_minutes, v.signals_generated, v.signals_executed, now()
    FROM daily_stats_view v
    WHERE v.date = day
    ON CONFLICT (date, source) DO UPDATE SET
        total_trades = EXCLUDED.total_trades,
        winning_trades = EXCLUDED.winning_trades,
        losing_trades = EXCLUDED.losing_trades,
        win_rate = EXCLUDED.win_rate,
        total_pnl_usd = EXCLUDED.total_pnl_usd,
        total_pnl_percent = EXCLUDED.total_pnl_percent,
        best_trade_pnl = EXCLUDED.best_trade_pnl,
        worst_trade_pnl = EXCLUDED.worst_trade_pnl,
        avg_confidence = EXCLUDED.avg_confidence,
        avg_duration_minutes = EXCLUDED.avg_duration_minutes,
        signals_generated = EXCLUDED.signals_generated,
        signals_executed = EXCLUDED.signals_executed,
        computed_at = EXCLUDED.computed_at
    RETURNING d.*;
$$;

CREATE OR REPLACE VIEW coin_performance_view AS
WITH closed AS (
    SELECT
        source, symbol, pnl_usd, pnl_percent,
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
        symbol,
        COUNT(*)::int AS total_trades,
        ROUND((COUNT(*) FILTER (WHERE pnl_usd > 0))::numeric * 100 / NULLIF(COUNT(*), 0), 2) AS win_rate,
        ROUND(AVG(pnl_percent), 4) AS avg_pnl_percent,
        COALESCE(SUM(pnl_usd), 0) AS total_pnl_usd,
        ROUND(COALESCE(SUM(pnl_usd) FILTER (WHERE pnl_usd > 0), 0)
            / NULLIF(-SUM(pnl_usd) FILTER (WHERE pnl_usd < 0), 0), 4) AS profit_factor
    FROM closed
    GROUP BY source, symbol
), sessions AS (
    SELECT DISTINCT ON (source, symbol) source, symbol, session
    FROM closed
    GROUP BY source, symbol, session
    ORDER BY source, symbol, SUM(pnl_usd) DESC NULLS LAST, session
)
SELECT p.source, p.symbol, p.total_trades, p.win_rate, p.avg_pnl_percent, p.total_pnl_usd,
    p.profit_factor, s.session AS best_session
FROM per_coin p
LEFT JOIN sessions s ON s.source = p.source AND s.symbol = p.symbol;

-- Copies the view into coin_performance (the briefing's table) and returns the stored rows.
CREATE OR REPLACE FUNCTION refresh_coin_performance()
RETURNS SETOF coin_performance
LANGUAGE sql
AS $$
    INSERT INTO coin_performance AS c (symbol, source, total_trades, win_rate, avg_pnl_percent,
        total_pnl_usd, profit_factor, best_session, last_updated)
    SELECT v.symbol, v.source, v.total_trades, v.win_rate, v.avg_pnl_percent, v.total_pnl_usd,
        v.profit_factor, v.best_session, now()
    FROM coin_performance_view v
    ON CONFLICT (symbol, source) DO UPDATE SET
        total_trades = EXCLUDED.total_trades,
        win_rate = EXCLUDED.win_rate,
        avg_pnl_percent = EXCLUDED.avg_pnl_percent,
        total_pnl_usd = EXCLUDED.total_pnl_usd,
        profit_factor = EXCLUDED.profit_factor,
        best_session = EXCLUDED.best_session,
        last_updated = EXCLUDED.last_updated
    RETURNING c.*;
$$;
