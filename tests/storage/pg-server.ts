// A throw-away PostgreSQL server for tests: TEST_DATABASE_URL when CI provides one, otherwise the
// Debian server binaries (SMC_PG_BIN or /usr/lib/postgresql/*/bin) started in a temp dir on a
// free port. In CI a missing server is a failure, locally the tests are skipped with a message.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const inCI = process.env.CI === 'true';

export function pgBin(): string | null {
  if (process.env.SMC_PG_BIN && existsSync(join(process.env.SMC_PG_BIN, 'pg_ctl'))) return process.env.SMC_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1], 'bin') : null;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const isRoot = process.getuid?.() === 0;
function asPostgres(cmd: string, args: string[]): void {
  if (isRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [cmd, ...args].map((a) => `'${a}'`).join(' ')], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

/** A PostgreSQL server this test owns, so it can stop and start it (the outage test). */
export class PgServer {
  private constructor(readonly bin: string, readonly dir: string, readonly port: number) {}

  static async create(): Promise<PgServer> {
    const bin = pgBin();
    if (!bin) throw new Error('PostgreSQL server binaries not found (set SMC_PG_BIN or install postgresql)');
    const dir = mkdtempSync(join(tmpdir(), 'smc-test-pg-'));
    if (isRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
    asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    const s = new PgServer(bin, dir, await freePort());
    s.start();
    return s;
  }

  get url(): string { return `postgres://postgres@127.0.0.1:${this.port}/postgres`; }

  start(): void {
    asPostgres(join(this.bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-l', join(this.dir, 'server.log'), '-w', 'start']);
  }

  stop(): void {
    asPostgres(join(this.bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  destroy(): void {
    try { this.stop(); } catch { /* already stopped */ }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A fresh database for one test file: on TEST_DATABASE_URL's server, or on a server started here.
 * Returns null (tests skip) only outside CI when no server can be had.
 */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  let server: PgServer | null = null;
  let base = process.env.TEST_DATABASE_URL;
  if (!base) {
    try {
      server = await PgServer.create();
      base = server.url;
    } catch (e) {
      if (inCI) throw new Error(`CI=true but no PostgreSQL: TEST_DATABASE_URL is not set and ${(e as Error).message}`);
      console.warn(`[storage tests] PostgreSQL tests SKIPPED: no TEST_DATABASE_URL and ${(e as Error).message}`);
      return null;
    }
  }
  const name = `smc_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      if (server) return server.destroy();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
