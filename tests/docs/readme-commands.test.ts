// Every `smc` command the README and docs/ show must exist with the options it is shown with, so a
// renamed flag cannot leave the trader's guide behind. (Running them is the job of the tests of each
// command; this checks the words the trader copies.)
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerBacktestCommand } from '../../src/cli/commands/backtest.js';
import { registerCheckDataCommand } from '../../src/cli/commands/check-data.js';
import { registerDbCommand } from '../../src/cli/commands/db.js';
import { registerDetectCommand } from '../../src/cli/commands/detect.js';
import { registerDownloadCommand } from '../../src/cli/commands/download.js';
import { registerMlCommand } from '../../src/cli/commands/ml.js';
import { registerReplayCommand } from '../../src/cli/commands/replay.js';
import { registerRunCommand } from '../../src/cli/commands/run.js';

const root = join(import.meta.dirname, '..', '..');

function program(): Command {
  const p = new Command('smc');
  for (const register of [registerBacktestCommand, registerCheckDataCommand, registerDbCommand, registerDetectCommand,
    registerDownloadCommand, registerMlCommand, registerReplayCommand, registerRunCommand]) register(p);
  return p;
}

interface Shown { doc: string; line: string; words: string[] }

/** `smc …` invocations in a markdown file (npx smc, node bin/smc.js, npm run train --), continuations joined. */
export function invocations(doc: string, text: string): Shown[] {
  const joined = text.replace(/\s*\\\n\s*/g, ' ');
  const out: Shown[] = [];
  const re = /(?:npx smc|node (?:--env-file=\S+ )?bin\/smc\.js|npm run (train) --)\s+([^`\n#→;]*)/g;
  for (const m of joined.matchAll(re)) {
    const words = (m[1] ? `ml train ${m[2]}` : m[2]).trim().split(/\s+/).filter((w) => w !== '' && w !== '…' && w !== '...');
    out.push({ doc, line: m[0].trim(), words });
  }
  return out;
}

describe('commands shown in the README and docs/', () => {
  const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const shown = docs.flatMap((d) => invocations(d, readFileSync(join(root, d), 'utf8')));
  const smc = program();

  it('finds the commands (the extraction itself works)', () => {
    const names = new Set(shown.map((s) => s.words[0]));
    for (const n of ['backtest', 'replay', 'run', 'detect', 'db', 'ml']) expect(names).toContain(n);
    expect(invocations('x', 'npx smc backtest --data a \\\n  --out b')).toEqual([{ doc: 'x', line: 'npx smc backtest --data a --out b', words: ['backtest', '--data', 'a', '--out', 'b'] }]);
  });

  it('uses existing subcommands and options', () => {
    const problems: string[] = [];
    for (const s of shown) {
      let cmd = smc;
      const path: string[] = [];
      for (const w of s.words) {
        const sub = w.startsWith('-') ? undefined : cmd.commands.find((c) => c.name() === w);
        if (!sub) break;
        cmd = sub;
        path.push(w);
      }
      if (path.length === 0) {
        problems.push(`${s.doc}: "${s.line}": no such command`);
        continue;
      }
      if (cmd.commands.length > 0 && !s.words.includes('--help')) problems.push(`${s.doc}: "${s.line}": "${path.join(' ')}" needs a subcommand`);
      const known = new Set(['--help', ...cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)))]);
      for (const flag of s.words.filter((w) => w.startsWith('-')).map((w) => w.replace(/^\[/, '').split('=')[0])) {
        if (!known.has(flag)) problems.push(`${s.doc}: "${s.line}": ${path.join(' ')} has no option ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
