-- Supabase serves the public schema over REST to anyone holding the project's anon key, and that
-- key is meant to be public. The bot writes as the table owner (DATABASE_URL) or with the
-- service_role key, both of which bypass row-level security; with RLS on and no policies, the
-- anon and authenticated roles read and write nothing. On plain PostgreSQL and PGlite (no such
-- roles) this only turns RLS on, which the owner bypasses. A later migration that adds a table
-- must enable RLS on it too.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.tablename);
  END LOOP;
  -- Every role may call a new function unless PUBLIC loses that right; the owner keeps it.
  REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO service_role;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    -- Views run with their owner's rights (RLS would not stop them), and functions such as
    -- acquire_lease must not be callable by the public key.
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM anon;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM anon;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM authenticated;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM authenticated;
  END IF;
END $$;
