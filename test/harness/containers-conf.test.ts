/**
 * scripts/containers-conf.mjs, which .ci/run (through scripts/setup-podman.sh) uses to merge podman's settings into
 * /etc/containers/containers.conf: it must keep everything else, replace conflicting values, and be idempotent.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = path.resolve(import.meta.dirname, '../../scripts/containers-conf.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clickhouse-native-conf-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function merge(file: string): string {
  return execFileSync(process.execPath, [script, file], { encoding: 'utf8' });
}

describe('scripts/containers-conf.mjs', () => {
  it('creates the file with both sections when it is missing', () => {
    const file = path.join(dir, 'new', 'containers.conf');
    expect(merge(file)).toMatch(/added \[containers\][\s\S]*added \[engine\]/);
    expect(fs.readFileSync(file, 'utf8')).toBe('[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n');
    expect(merge(file)).toMatch(/unchanged/);
  });

  it('replaces conflicting values (multi-line arrays too), keeps everything else, then changes nothing', () => {
    const file = path.join(dir, 'containers.conf');
    const original = [
      '# podman settings',
      '[containers]',
      '# default_ulimits = ["nofile=1:2"]',
      'default_ulimits = [',
      '  "nofile=1280:2560", # a ] in a comment',
      '  "nproc=10:20",',
      ']',
      'log_driver = "k8s-file"',
      '',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'runtime = "crun"',
      '',
      '[engine.runtimes]',
      'runc = ["/usr/sbin/runc"]',
      '',
    ].join('\n');
    fs.writeFileSync(file, original);
    const out = merge(file);
    expect(out).toMatch(/default_ulimits = \[\]/);
    expect(out).toMatch(/runtime = "crun"\s+->\s+runtime = "runc"/);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      [
        '# podman settings',
        '[containers]',
        '# default_ulimits = ["nofile=1:2"]',
        'default_ulimits = []',
        'log_driver = "k8s-file"',
        '',
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'runtime = "runc"',
        '',
        '[engine.runtimes]',
        'runc = ["/usr/sbin/runc"]',
        '',
      ].join('\n'),
    );
    expect(fs.readFileSync(`${file}.orig-clickhouse-native`, 'utf8')).toBe(original);
    const before = fs.statSync(file).mtimeMs;
    expect(merge(file)).toMatch(/unchanged/);
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });

  it('adds a missing key under an existing section header', () => {
    const file = path.join(dir, 'partial.conf');
    fs.writeFileSync(file, '[network]\nnetwork_backend = "netavark"\n[engine]\nevents_logger = "file"\n');
    merge(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      '[network]\nnetwork_backend = "netavark"\n[engine]\nruntime = "runc"\nevents_logger = "file"\n\n' +
        '[containers]\ndefault_ulimits = []\n',
    );
  });
});
