-- What the runtime needs to survive a restart: order intents, bot state, approvals, the trading lease.

-- Every order is written as an 'intent' BEFORE it is sent, keyed by its orderLinkId, so after a
-- crash the reconciler can ask the exchange about it instead of sending it twice.
CREATE TABLE IF NOT EXISTS orders (
    id UUID PRIMARY KEY,
    order_link_id TEXT NOT NULL UNIQUE CHECK (order_link_id ~ '^[A-Za-z0-9_-]{1,36}$'),
    trade_id UUID,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('Buy', 'Sell')),
    order_type TEXT NOT NULL CHECK (order_type IN ('limit', 'market')),
    purpose TEXT NOT NULL CHECK (purpose IN ('entry', 'exit', 'stop')),
    qty NUMERIC NOT NULL,
    price NUMERIC,
    reduce_only BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('intent', 'new', 'partially_filled', 'filled', 'cancelled', 'rejected', 'unknown')),
    exchange_order_id TEXT,
    filled_qty NUMERIC NOT NULL DEFAULT 0,
    avg_price NUMERIC,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_orders_status ON orders (status);
CREATE INDEX IF NOT EXISTS idx_orders_trade_id ON orders (trade_id);

-- Exactly one row (id is always true).
CREATE TABLE IF NOT EXISTS bot_state (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    mode TEXT NOT NULL CHECK (mode IN ('auto', 'approve')),
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    daily_loss_lock DATE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS approvals (
    id UUID PRIMARY KEY,
    signal_id TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'refused')),
    decided_by TEXT,
    messages JSONB NOT NULL DEFAULT '[]',
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_approvals_status ON approvals (status);

-- One trading process per account. A lease row instead of an advisory lock because Supabase's
-- transaction pooler does not keep session locks (research/reliability.md §4.6).
CREATE TABLE IF NOT EXISTS trade_lease (
    account TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
