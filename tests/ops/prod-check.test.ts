// Runs scripts/prod-check.sh (build, production install in a clean folder, replay with /health,
// SIGTERM) so the production check counts in every test run. Slow by nature: npm ci and tsc.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function runProdCheck(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [join(root, 'scripts', 'prod-check.sh')], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('scripts/prod-check.sh', () => {
  it('passes every step: build, production install, replay with /health 200, clean SIGTERM exit', async () => {
    const { code, out } = await runProdCheck();
    if (code !== 0) console.log(out);
    expect(out).not.toMatch(/^FAIL/m);
    for (const step of [
      'build:', 'install: npm ci --omit=dev', 'dev dependencies absent', 'onnxruntime-node pruned',
      '/health: 200 with JSON', 'SIGTERM: exited with code 0', 'clean-shutdown log line', 'DATA_DIR lock released',
      'start-up banner lists the variables used with secrets masked',
    ]) {
      expect(out).toContain(`PASS  ${step}`);
    }
    expect(out).toMatch(/^prod-check: all steps passed$/m);
    expect(code).toBe(0);
  }, 15 * 60_000);
});
