// Every file of a run's state directory is readable by its owner only: status, history, provisioning
// statuses (code hashes), the code store, the simulator's journal and its provisioning state (code hashes),
// the log. Checked over the whole directory after a run that provisions devices, twice (the second run
// rewrites what the first wrote), so a new file that forgets its mode fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../support/run-cli.ts';

const FLEET = `devices:
  - { id: desk-1, macAddress: "aa:bb:cc:40:00:01", deviceType: ipPhone, manufacturer: Yealink, model: T58, timeZone: Europe/Paris, online: true, activityState: idle, software: { firmware: 58.15.0.124 } }
releases:
  - { component: firmware, version: 58.15.0.130, manufacturer: Yealink, models: [T58], releasedAt: "2026-06-01T00:00:00Z", label: verified }
`;
const BATCH = `apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: desks
spec:
  devices:
    - macAddress: aa:bb:cc:40:00:03
      location: Lobby
    - macAddress: aa:bb:cc:40:00:01
      location: Desk 1
`;

function modes(root: string): { path: string; kind: 'file' | 'dir'; mode: string }[] {
  const out: { path: string; kind: 'file' | 'dir'; mode: string }[] = [];
  const walk = (dir: string): void => {
    out.push({ path: relative(root, dir) || '.', kind: 'dir', mode: (statSync(dir).mode & 0o777).toString(8) });
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push({ path: relative(root, p), kind: 'file', mode: (st.mode & 0o777).toString(8) });
    }
  };
  walk(root);
  return out;
}

test('after two runs that provision devices, every file in the state directory is 0600 and every folder 0700', async () => {
  const work = mkdtempSync(join(tmpdir(), 'fw-state-modes-'));
  try {
    mkdirSync(join(work, 'config'));
    writeFileSync(join(work, 'config', 'batch.yaml'), BATCH);
    writeFileSync(join(work, 'fleet.yaml'), FLEET);
    const state = join(work, 'state');
    const args = ['run', '--config', join(work, 'config'), '--fleet', join(work, 'fleet.yaml'), '--state-dir', state,
      '--port', '-1', '--start', '2026-11-23T09:00:00Z', '--log-file', join(state, 'run.log')];
    const first = await runCli([...args, '--once']);
    assert.is(first.code, 0, first.stderr);
    const second = await runCli([...args, '--for', '2h', '--interval', '30m', '--speed', '36000']);
    assert.is(second.code, 0, second.stderr);
    const all = modes(state);
    const paths = all.map((m) => m.path);
    // Batch and per-device provisioning state live in fleetward.db (docs/provisioning.md); codes in provisioning/secrets.
    for (const expected of ['fleetward.db', 'run.log', join('provisioning', 'secrets', 'desks.json'), join('simulator', 'provisioning.json')]) {
      assert.ok(paths.includes(expected), `${expected} was written (${paths.join(', ')})`);
    }
    assert.equal(all.filter((m) => m.kind === 'file' && m.mode !== '600').map((m) => `${m.path} ${m.mode}`), [], 'files readable by others');
    assert.equal(all.filter((m) => m.kind === 'dir' && m.mode !== '700').map((m) => `${m.path} ${m.mode}`), [], 'folders open to others');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
