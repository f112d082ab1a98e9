// railway.toml decides how the bot is deployed: one instance, no overlap of old and new
// deployments, the health gate, a bounded restart policy. Parsed with a minimal reader for the flat
// `[table]` + `key = value` subset the file uses (any other line fails the test).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function parseFlatToml(text: string): Record<string, Record<string, string | number | boolean>> {
  const out: Record<string, Record<string, string | number | boolean>> = {};
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const t = /^\[([a-zA-Z]+)\]$/.exec(line);
    if (t) { table = t[1]; out[table] ??= {}; continue; }
    const kv = /^([a-zA-Z]+)\s*=\s*(".*"|-?\d+|true|false)$/.exec(line);
    if (!kv || !table) throw new Error(`railway.toml: unexpected line: ${line}`);
    if (kv[1] in out[table]) throw new Error(`railway.toml: duplicate key ${table}.${kv[1]}`);
    const v = kv[2];
    out[table][kv[1]] = v.startsWith('"') ? JSON.parse(v) as string : v === 'true' ? true : v === 'false' ? false : Number(v);
  }
  return out;
}

describe('railway.toml', () => {
  const cfg = parseFlatToml(readFileSync(join(root, 'railway.toml'), 'utf8'));

  it('builds the Dockerfile', () => {
    expect(cfg.build).toEqual({ builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile' });
  });

  it('never runs two instances on purpose: one replica, no overlap, a draining window for SIGTERM', () => {
    expect(cfg.deploy.numReplicas).toBe(1);
    expect(cfg.deploy.overlapSeconds).toBe(0);
    // numbers, not strings (Railway rejects "30"); long enough to flush, shorter than a candle
    expect(typeof cfg.deploy.drainingSeconds).toBe('number');
    expect(cfg.deploy.drainingSeconds).toBeGreaterThanOrEqual(15);
    expect(cfg.deploy.drainingSeconds).toBeLessThanOrEqual(60);
  });

  it('gates deploys on /health and restarts after failures a bounded number of times', () => {
    expect(cfg.deploy.healthcheckPath).toBe('/health');
    expect(cfg.deploy.healthcheckTimeout).toBeGreaterThanOrEqual(60);
    expect(cfg.deploy.restartPolicyType).toBe('ON_FAILURE');
    expect(cfg.deploy.restartPolicyMaxRetries).toBeGreaterThan(0);
  });

  it('leaves the start command to the Dockerfile (exec form, so SIGTERM reaches node)', () => {
    expect(cfg.deploy.startCommand).toBeUndefined();
  });

  it('requires the /data volume where the Dockerfile puts DATA_DIR', () => {
    expect(cfg.deploy.requiredMountPath).toBe('/data');
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/DATA_DIR=\/data/);
  });
});
