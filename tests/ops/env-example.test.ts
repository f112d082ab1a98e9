// .env.example is the trader's only map of the configuration: it must name exactly the variables
// EnvSchema reads, in the same groups, with the real defaults, and parse as a valid (paper) config.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvSchema, loadEnv } from '../../src/config/env.js';

const root = join(import.meta.dirname, '..', '..');
const text = readFileSync(join(root, '.env.example'), 'utf8');
const lines = text.split('\n');
const VAR_LINE = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/;
const RULE = /^# -{10,}$/;

interface Entry { name: string; commented: boolean; value: string; line: number; group: string }

/** Variable lines of .env.example with the group heading they stand under. */
function entries(): Entry[] {
  const out: Entry[] = [];
  let group = '';
  lines.forEach((l, i) => {
    // a heading is a comment line between two rules of dashes
    if (/^# [A-Za-z]/.test(l) && RULE.test(lines[i - 1] ?? '') && RULE.test(lines[i + 1] ?? '')) group = groupKey(l.slice(2));
    const m = VAR_LINE.exec(l);
    if (m) out.push({ name: m[2], commented: Boolean(m[1]), value: m[3], line: i, group });
  });
  return out;
}

/** The group comments of src/config/env.ts ("// exchange", "// mode and risk", ...) per variable. */
function schemaGroups(): Map<string, string> {
  const src = readFileSync(join(root, 'src', 'config', 'env.ts'), 'utf8');
  const body = src.slice(src.indexOf('EnvSchema = z.object({'));
  const out = new Map<string, string>();
  let group = '';
  for (const l of body.split('\n')) {
    const g = /^\s*\/\/ (.+)$/.exec(l);
    if (g) group = groupKey(g[1]);
    const v = /^\s*([A-Z][A-Z0-9_]*):/.exec(l);
    if (v) out.set(v[1], group);
    if (/^\}\);/.test(l)) break;
  }
  return out;
}

const groupKey = (s: string) => s.toLowerCase().replace(/\(.*$/, '').trim().split(/\s+/).slice(0, 3).join(' ');

describe('.env.example', () => {
  const found = entries();
  const schemaKeys = Object.keys(EnvSchema.shape).sort();

  it('names every EnvSchema variable exactly once and nothing else', () => {
    const names = found.map((e) => e.name);
    expect(names.length).toBe(new Set(names).size);
    expect([...names].sort()).toEqual(schemaKeys);
  });

  it('puts each variable under the group env.ts declares it in', () => {
    const groups = schemaGroups();
    expect([...groups.keys()].sort()).toEqual(schemaKeys);
    for (const e of found) expect(`${e.name}: ${e.group}`).toBe(`${e.name}: ${groups.get(e.name)}`);
    // the brief's grouping, in this order
    expect([...new Set(found.map((e) => e.group))]).toEqual(['exchange', 'mode and risk', 'store', 'chat', 'ml', 'ops']);
  });

  it('explains every variable on the comment line above it', () => {
    for (const e of found) {
      const above = lines[e.line - 1] ?? '';
      expect(`${e.name}: ${above}`).toMatch(new RegExp(`^${e.name}: # \\S.{10,}`));
      expect(VAR_LINE.test(above)).toBe(false);
    }
  });

  it('shows the schema default on a commented-out line, and leaves variables without a default empty', () => {
    const defaults = EnvSchema.parse({}) as Record<string, unknown>;
    for (const e of found) {
      const def = defaults[e.name];
      const hasDefault = def !== undefined && def !== '' && !(Array.isArray(def) && def.length === 0);
      if (hasDefault) {
        expect(`${e.name} commented=${e.commented}`).toBe(`${e.name} commented=true`);
        const shown = (EnvSchema.shape as Record<string, { parse(v: unknown): unknown }>)[e.name].parse(e.value);
        expect([e.name, shown]).toEqual([e.name, def]);
      } else if (e.commented) {
        // an optional variable whose effective default lives elsewhere (engine params, Bybit URLs):
        // the example value, if any, must itself be valid
        if (e.value !== '') expect(() => loadEnv({ [e.name]: e.value })).not.toThrow();
      } else {
        expect(`${e.name}=${e.value}`).toBe(`${e.name}=`);
      }
    }
  });

  it('is a valid configuration as it stands (paper trading, no keys)', () => {
    const env: Record<string, string> = {};
    for (const e of found) if (!e.commented) env[e.name] = e.value;
    const parsed = loadEnv(env);
    expect(parsed.TRADING_MODE).toBe('paper');
    expect(parsed.EXECUTION_MODE).toBe('approve');
  });
});
