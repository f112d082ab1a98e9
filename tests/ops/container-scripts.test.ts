// The two shell scripts the image runs: the onnxruntime prune (on a fake package tree) and the
// entrypoint (exec with the exit code; as root: hand DATA_DIR over and drop privileges).
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', '..');
const prune = join(root, 'scripts', 'prune-onnxruntime.sh');
const entry = join(root, 'scripts', 'docker-entrypoint.sh');

/** node_modules with onnxruntime-node's bin layout: napi-v6/<platform>/<arch>/binding. */
function fakeModules(platforms: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'smc-prune-'));
  for (const [platform, arches] of Object.entries(platforms)) {
    for (const arch of arches) {
      const d = join(dir, 'onnxruntime-node', 'bin', 'napi-v6', platform, arch);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'onnxruntime_binding.node'), 'x');
    }
  }
  return dir;
}

const left = (dir: string) => {
  const base = join(dir, 'onnxruntime-node', 'bin', 'napi-v6');
  return readdirSync(base).flatMap((p) => readdirSync(join(base, p)).map((a) => `${p}/${a}`)).sort();
};

const ALL = { darwin: ['arm64', 'x64'], linux: ['arm64', 'x64'], win32: ['arm64', 'x64'] };

describe('prune-onnxruntime.sh', () => {
  it.each([['amd64', 'linux/x64'], ['x64', 'linux/x64'], ['arm64', 'linux/arm64'], ['aarch64', 'linux/arm64']])(
    'keeps only the linux binary for %s', (arch, kept) => {
      const dir = fakeModules(ALL);
      const r = spawnSync('bash', [prune, dir, arch], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(left(dir)).toEqual([kept]);
      rmSync(dir, { recursive: true });
    });

  it('defaults to the arch of the node running it', () => {
    const dir = fakeModules(ALL);
    expect(spawnSync('bash', [prune, dir], { encoding: 'utf8' }).status).toBe(0);
    expect(left(dir)).toEqual([`linux/${process.arch}`]);
    rmSync(dir, { recursive: true });
  });

  it('refuses an unknown arch without deleting anything', () => {
    const dir = fakeModules(ALL);
    const r = spawnSync('bash', [prune, dir, 's390x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unsupported arch 's390x'/);
    expect(left(dir)).toHaveLength(6);
    rmSync(dir, { recursive: true });
  });

  it('fails when the package has no binary for the target (the image could not run a model)', () => {
    const dir = fakeModules({ darwin: ['arm64'], linux: ['x64'] });
    const r = spawnSync('bash', [prune, dir, 'arm64'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no linux\/arm64 binary/);
    rmSync(dir, { recursive: true });
  });

  it('fails clearly when onnxruntime-node is not installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-prune-'));
    const r = spawnSync('bash', [prune, dir, 'x64'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/onnxruntime-node\/bin not found/);
    rmSync(dir, { recursive: true });
  });
});

describe('docker-entrypoint.sh', () => {
  const isRoot = process.getuid?.() === 0;

  it('execs the command in place and passes its exit code through', () => {
    // as an unprivileged user (what the image does by default) when we can switch to one
    // The checkout may sit in a 0700 folder the dropped user cannot enter: run a readable copy.
    const dir = mkdtempSync(join(tmpdir(), 'smc-entry-exec-'));
    chmodSync(dir, 0o755);
    const script = join(dir, 'docker-entrypoint.sh');
    copyFileSync(entry, script);
    chmodSync(script, 0o755);
    const cmd = isRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', 'sh', script] : ['sh', script];
    const r = spawnSync(cmd[0], [...cmd.slice(1), 'sh', '-c', 'echo "uid=$(id -u) args=$0 $1"; exit 7', 'a b', 'c'], { encoding: 'utf8' });
    expect(r.status).toBe(7);
    expect(r.stdout).toContain('args=a b c');
    if (isRoot) expect(r.stdout).toContain('uid=65534');
  });

  it.runIf(isRoot)('as root: gives DATA_DIR to the unprivileged user and drops to it before the command', () => {
    const base = mkdtempSync(join(tmpdir(), 'smc-entry-'));
    chmodSync(base, 0o755); // mkdtemp is 0700: the dropped user must be able to reach data/ (like /data)
    const data = join(base, 'data');
    const r = spawnSync('sh', [entry, 'sh', '-c', 'id -u; touch "$DATA_DIR/written"'], {
      encoding: 'utf8', env: { ...process.env, DATA_DIR: data, SMC_RUN_AS: 'nobody' },
    });
    expect(`${r.status} ${r.stderr}`).toBe('0 ');
    expect(r.stdout.trim()).toBe('65534');
    expect(statSync(data).uid).toBe(65534);
    expect(existsSync(join(data, 'written'))).toBe(true);
    rmSync(base, { recursive: true });
  });
});
