-- Atomic operations the runtime needs, as functions so Supabase reaches them with .rpc().

-- Compare-and-set of an approval's status: only one of two racing clicks wins.
CREATE OR REPLACE FUNCTION decide_approval(p_id UUID, p_from TEXT, p_to TEXT, p_by TEXT)
RETURNS BOOLEAN
LANGUAGE sql
AS $$
    WITH won AS (
        UPDATE approvals
        SET status = p_to, decided_by = p_by, updated_at = now()
        WHERE id = p_id AND status = p_from
        RETURNING 1
    )
    SELECT COUNT(*) > 0 FROM won;
$$;

-- Takes the account's lease when it is free, expired or already ours. Uses the database clock so
-- two hosts with skewed clocks still agree.
CREATE OR REPLACE FUNCTION acquire_lease(p_account TEXT, p_holder TEXT, p_ttl_ms INT)
RETURNS BOOLEAN
LANGUAGE sql
AS $$
    WITH taken AS (
        INSERT INTO trade_lease AS l (account, holder, acquired_at, heartbeat_at, expires_at)
        VALUES (p_account, p_holder, clock_timestamp(), clock_timestamp(),
                clock_timestamp() + p_ttl_ms * INTERVAL '1 millisecond')
        ON CONFLICT (account) DO UPDATE SET
            holder = EXCLUDED.holder,
            acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
            heartbeat_at = EXCLUDED.heartbeat_at,
            expires_at = EXCLUDED.expires_at
        WHERE l.holder = EXCLUDED.holder OR l.expires_at < clock_timestamp()
        RETURNING 1
    )
    SELECT COUNT(*) > 0 FROM taken;
$$;

-- Heartbeat: extends the lease only while p_holder still holds it.
CREATE OR REPLACE FUNCTION renew_lease(p_account TEXT, p_holder TEXT, p_ttl_ms INT)
RETURNS BOOLEAN
LANGUAGE sql
AS $$
    WITH renewed AS (
        UPDATE trade_lease
        SET heartbeat_at = clock_timestamp(),
            expires_at = clock_timestamp() + p_ttl_ms * INTERVAL '1 millisecond'
        WHERE account = p_account AND holder = p_holder
        RETURNING 1
    )
    SELECT COUNT(*) > 0 FROM renewed;
$$;

CREATE OR REPLACE FUNCTION release_lease(p_account TEXT, p_holder TEXT)
RETURNS BOOLEAN
LANGUAGE sql
AS $$
    WITH released AS (
        DELETE FROM trade_lease WHERE account = p_account AND holder = p_holder RETURNING 1
    )
    SELECT COUNT(*) > 0 FROM released;
$$;
