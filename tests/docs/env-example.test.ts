// The trader's map of the configuration must match the code: every variable src/config/env.ts reads
// is in .env.example and nothing else is; code outside env.ts reads no variable the trader cannot find
// there; and the docs mention no variable that does not exist.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EnvSchema } from '../../src/config/env.js';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

/** Variables that are not the bot's configuration, each with where it is read. */
const NOT_BOT_CONFIG: Record<string, string> = {
  SMC_USE_SOURCE: 'bin/smc.js: developers run the TypeScript sources even when dist/ exists',
  NODE_ENV: 'set to production by the Dockerfile',
  RAILWAY_RUN_UID: 'Railway: start the container as root so the entrypoint can hand /data to the node user',
  SMC_RUN_AS: 'scripts/docker-entrypoint.sh: the user to drop to',
  ONNXRUNTIME_NODE_INSTALL: 'npm install of onnxruntime-node: skip the GPU binaries',
  ON_FAILURE: "railway.toml's restart policy value, not a variable",
  NODE_EXTRA_CA_CERTS: "Node's own: extra CA certificates; bin/smc starts offline commands without it",
};

function exampleNames(): string[] {
  return read('.env.example').split('\n').map((l) => /^(?:# )?([A-Z][A-Z0-9_]*)=/.exec(l)?.[1]).filter((n): n is string => Boolean(n));
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe('.env.example and src/config/env.ts', () => {
  const schema = new Set(Object.keys(EnvSchema.shape));
  const example = exampleNames();

  it('lists every variable env.ts reads', () => {
    const missing = [...schema].filter((n) => !example.includes(n));
    expect(missing, `missing from .env.example: ${missing.join(', ')}`).toEqual([]);
  });

  it('lists nothing env.ts does not read, and nothing twice', () => {
    const unknown = example.filter((n) => !schema.has(n));
    expect(unknown, `in .env.example but not read by env.ts: ${unknown.join(', ')}`).toEqual([]);
    expect(example.length).toBe(new Set(example).size);
  });

  it('code outside env.ts reads only schema variables (or documented non-config switches)', () => {
    const stray: string[] = [];
    for (const dir of ['src', 'bot', 'handlers', 'engine', 'bin']) {
      for (const f of sourceFiles(dir)) {
        if (f === join('src', 'config', 'env.ts')) continue;
        for (const m of read(f).matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) {
          const name = m[1] ?? m[2];
          if (!schema.has(name) && !(name in NOT_BOT_CONFIG)) stray.push(`${relative(root, join(root, f))}: ${name}`);
        }
      }
    }
    expect(stray, 'variables read outside the schema: add them to EnvSchema and .env.example').toEqual([]);
  });

  it('the README and docs/ name only variables that exist', () => {
    const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const unknown: string[] = [];
    for (const d of docs) {
      const text = read(d);
      // NAME=… assignments anywhere, and `NAME` in inline code
      const names = [...text.matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)=/g), ...text.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)[`=]/g)].map((m) => m[1]);
      for (const n of new Set(names)) if (!schema.has(n) && !(n in NOT_BOT_CONFIG) && !n.startsWith('PROD_CHECK_')) unknown.push(`${d}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });
});
