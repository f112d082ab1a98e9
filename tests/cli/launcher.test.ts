// The `smc` command (bin/smc): found through npm's symlink, arguments passed through untouched, and
// NODE_EXTRA_CA_CERTS (which Node 20 parses at every start) dropped only for commands that never
// open a network connection.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dataPath } from '../helpers/data.js';

const SMC = resolve(__dirname, '../../bin/smc');
// Node warns at start-up when it cannot read the file: the warning shows whether the variable reached node.
const MISSING_CA = join(tmpdir(), 'smc-no-such-ca.pem');
const CA_WARNING = /Ignoring extra certs/;

function smc(args: string[], command = SMC) {
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: MISSING_CA } });
}

describe('the smc command', () => {
  it('runs through links as npm makes them (node_modules/.bin/smc -> ../smc-ultra/bin/smc, relative)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-bin-'));
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(resolve(SMC, '..', '..'), join(dir, 'node_modules', 'smc-ultra'));
    symlinkSync(join('..', 'smc-ultra', 'bin', 'smc'), join(dir, 'node_modules', '.bin', 'smc'));
    symlinkSync(join(dir, 'node_modules', '.bin', 'smc'), join(dir, 'smc')); // and a link to the link
    for (const command of [join(dir, 'node_modules', '.bin', 'smc'), join(dir, 'smc')]) {
      const r = smc(['--help'], command);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: smc /);
    }
  });

  it.each([
    [['--help']],
    [[]],
    [['help', 'backtest']],
    [['backtest', '--help']],
    [['check-data', '--help']],
    [['detect', '--help']],
  ])('starts an offline command without NODE_EXTRA_CA_CERTS: smc %j', (args) => {
    const r = smc(args);
    expect(r.stdout + r.stderr).toMatch(/Usage: smc/);
    expect(r.stderr).not.toMatch(CA_WARNING);
  });

  it.each([
    [['run', '--help']],
    [['download', '--help']],
    [['replay', '--help']],
    [['db', '--help']],
    [['ml', '--help']],
    [['backtest', '--store', '--help']],
    [['backtest', '--help', '--store']],
  ])('keeps NODE_EXTRA_CA_CERTS for a command that may go online: smc %j', (args) => {
    const r = smc(args);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(CA_WARNING);
  });

  it('runs a backtest with its arguments intact (a folder name with spaces)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'smc-bin-')), 'bt out');
    const r = smc(['backtest', '--data', dataPath('binance-spot'), '--symbols', 'BTCUSDT', '--to', '2021-04-20', '--out', out, '--no-report', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'trades.csv'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).window.symbols).toEqual(['BTCUSDT']);
  });
});
