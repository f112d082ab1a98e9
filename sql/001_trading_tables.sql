-- The briefing's tables (Teil 3.1) with the columns the runtime records need.
-- Numbers are `numeric` without a scale so a JS double round-trips exactly (the briefing's
-- DECIMAL(10,4) would silently round pnl_percent before the analytics average it).
-- No foreign keys between these tables: rows arrive from the write journal, and a signal or
-- feature row may be applied before its trade; a foreign key would block the queue forever.

CREATE TABLE IF NOT EXISTS trades (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    symbol TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('long', 'short')),
    entry_price NUMERIC NOT NULL,
    entry_time TIMESTAMPTZ NOT NULL,
    entry_order_type TEXT,
    exit_price NUMERIC,
    exit_time TIMESTAMPTZ,
    exit_reason TEXT,
    leverage NUMERIC NOT NULL,
    position_size NUMERIC NOT NULL,
    take_profit_price NUMERIC NOT NULL,
    stop_loss_price NUMERIC NOT NULL,
    pnl_usd NUMERIC,
    pnl_percent NUMERIC,
    fees_usd NUMERIC,
    confidence_score NUMERIC NOT NULL,
    htf_bias TEXT,
    had_order_block BOOLEAN,
    had_fvg BOOLEAN,
    had_liquidity_sweep BOOLEAN,
    mtf_rsi NUMERIC,
    market_structure TEXT,
    duration_minutes NUMERIC,
    max_drawdown_percent NUMERIC,
    max_profit_percent NUMERIC
);
-- Columns beyond the briefing; ADD COLUMN IF NOT EXISTS also upgrades a database created from it.
ALTER TABLE trades ADD COLUMN IF NOT EXISTS funding_usd NUMERIC;
ALTER TABLE trades ADD COLUMN IF NOT EXISTS ml_probability NUMERIC;
ALTER TABLE trades ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'live';
ALTER TABLE trades ADD COLUMN IF NOT EXISTS signal_id TEXT;
ALTER TABLE trades ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

CREATE INDEX IF NOT EXISTS idx_trades_symbol ON trades (symbol);
CREATE INDEX IF NOT EXISTS idx_trades_created_at ON trades (created_at);
CREATE INDEX IF NOT EXISTS idx_trades_direction ON trades (direction);
CREATE INDEX IF NOT EXISTS idx_trades_entry_time ON trades (entry_time);
CREATE INDEX IF NOT EXISTS idx_trades_exit_time ON trades (exit_time);
CREATE INDEX IF NOT EXISTS idx_trades_source ON trades (source);

-- Every generated signal, taken or not. The id is the engine's deterministic signal id (text).
CREATE TABLE IF NOT EXISTS signals (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    symbol TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('long', 'short')),
    confidence_score NUMERIC NOT NULL,
    was_executed BOOLEAN NOT NULL DEFAULT FALSE,
    trade_id UUID,
    skip_reason TEXT,
    factors JSONB NOT NULL,
    btc_price NUMERIC,
    btc_change_1h NUMERIC,
    market_volatility NUMERIC
);
ALTER TABLE signals ADD COLUMN IF NOT EXISTS ml_probability NUMERIC;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS entry_price NUMERIC;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS take_profit_price NUMERIC;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS stop_loss_price NUMERIC;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS leverage NUMERIC;
ALTER TABLE signals ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'live';

CREATE INDEX IF NOT EXISTS idx_signals_created_at ON signals (created_at);
CREATE INDEX IF NOT EXISTS idx_signals_symbol ON signals (symbol);

-- Materialised daily statistics, one row per UTC day and source (filled by compute_daily_stats).
CREATE TABLE IF NOT EXISTS daily_stats (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    date DATE NOT NULL,
    source TEXT NOT NULL DEFAULT 'live',
    total_trades INT NOT NULL DEFAULT 0,
    winning_trades INT NOT NULL DEFAULT 0,
    losing_trades INT NOT NULL DEFAULT 0,
    win_rate NUMERIC,
    total_pnl_usd NUMERIC NOT NULL DEFAULT 0,
    total_pnl_percent NUMERIC NOT NULL DEFAULT 0,
    best_trade_pnl NUMERIC,
    worst_trade_pnl NUMERIC,
    avg_confidence NUMERIC,
    avg_duration_minutes NUMERIC,
    signals_generated INT NOT NULL DEFAULT 0,
    signals_executed INT NOT NULL DEFAULT 0,
    computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (date, source)
);

-- Materialised per-coin performance (filled by refresh_coin_performance).
CREATE TABLE IF NOT EXISTS coin_performance (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    symbol TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'live',
    total_trades INT NOT NULL DEFAULT 0,
    win_rate NUMERIC,
    avg_pnl_percent NUMERIC,
    total_pnl_usd NUMERIC NOT NULL DEFAULT 0,
    profit_factor NUMERIC,
    best_timeframe TEXT,
    best_session TEXT,
    last_updated TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (symbol, source)
);

-- ML training rows: the feature vector at signal time and, once known, the outcome.
CREATE TABLE IF NOT EXISTS ml_features (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    trade_id UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    features JSONB NOT NULL,
    outcome TEXT CHECK (outcome IN ('win', 'loss')),
    pnl_percent NUMERIC
);
ALTER TABLE ml_features ADD COLUMN IF NOT EXISTS signal_id TEXT;
ALTER TABLE ml_features ADD COLUMN IF NOT EXISTS schema_version INT NOT NULL DEFAULT 1;

CREATE INDEX IF NOT EXISTS idx_ml_features_created_at ON ml_features (created_at);
