// The provisioning step as `fleetward run` calls it: stores in the state directory, a revision in,
// nothing done when there is nothing to do, and a batch removed from the config cleaned up everywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Revision } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { SimulatedProvisioningBackend } from '../../controller/drivers/simulator/provisioning.ts';
import { runStandaloneProvisioning } from '../../controller/provisioning/standalone.ts';
import { MemoryCodeSecretStore } from '../../controller/provisioning/secrets.ts';
import { MemoryProvisioningStatusStore } from '../../controller/provisioning/status.ts';
import { aBatch } from '../support/provisioning.ts';

const revision = (...batches: ReturnType<typeof aBatch>[]): Revision => ({ id: 'r1', objects: batches });

function setup() {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleetward-prov-standalone-'));
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const backend = new SimulatedProvisioningBackend({ clock });
  return { stateDir, clock, backend, done: () => rmSync(stateDir, { recursive: true, force: true }) };
}

test('without batches the step does nothing and writes nothing', async () => {
  const s = setup();
  try {
    const listed: string[] = [];
    const driver = Object.create(s.backend) as SimulatedProvisioningBackend;
    driver.list = async () => { listed.push('list'); return []; };
    const r = await runStandaloneProvisioning({ revision: revision(), driver, stateDir: s.stateDir, clock: s.clock });
    assert.equal(r, { ran: false, reason: 'NoBatches', batches: [] });
    assert.equal(listed, []);
    assert.equal(readdirSync(s.stateDir), []);
  } finally {
    s.done();
  }
});

test('a driver without provisioning leaves batches unacted on and says so', async () => {
  const s = setup();
  try {
    const warnings: string[] = [];
    const r = await runStandaloneProvisioning({
      revision: revision(aBatch('desks', [{ mac: 'AA-00-00-00-00-01' }])), driver: undefined, stateDir: s.stateDir, clock: s.clock,
      log: { info() {}, warn: (_o, msg) => void warnings.push(msg) },
    });
    assert.equal(r, { ran: false, reason: 'DriverHasNoProvisioning', batches: [] });
    assert.match(warnings[0]!, /no remote provisioning/);
    assert.not.ok(existsSync(join(s.stateDir, 'provisioning')));
  } finally {
    s.done();
  }
});

test('codes go to a 0600 file in a 0700 directory, status to the batches folder; removing the batch removes both', async () => {
  const s = setup();
  try {
    const batch = aBatch('desks', [{ mac: 'AA-00-00-00-00-01' }, { mac: 'AA-00-00-00-00-02' }]);
    const r = await runStandaloneProvisioning({ revision: revision(batch), driver: s.backend, stateDir: s.stateDir, clock: s.clock });
    assert.ok(r.ran);
    const secretFile = join(s.stateDir, 'provisioning', 'secrets', 'desks.json');
    assert.is(statSync(secretFile).mode & 0o777, 0o600);
    assert.is(statSync(join(s.stateDir, 'provisioning', 'secrets')).mode & 0o777, 0o700);
    assert.ok(existsSync(join(s.stateDir, 'provisioning', 'batches', 'desks.json')));
    assert.is((await s.backend.list()).length, 2);

    const gone = await runStandaloneProvisioning({ revision: revision(), driver: s.backend, stateDir: s.stateDir, clock: s.clock });
    assert.equal(gone, { ran: true, batches: [] });
    assert.not.ok(existsSync(secretFile));
    assert.not.ok(existsSync(join(s.stateDir, 'provisioning', 'batches', 'desks.json')));
    assert.equal(await s.backend.list(), []);
  } finally {
    s.done();
  }
});

test('the operator can put codes and status elsewhere: nothing lands in the state directory', async () => {
  const s = setup();
  try {
    const secrets = new MemoryCodeSecretStore();
    const store = new MemoryProvisioningStatusStore();
    await runStandaloneProvisioning({
      revision: revision(aBatch('desks', [{ mac: 'AA-00-00-00-00-01' }])), driver: s.backend, stateDir: s.stateDir, clock: s.clock, secrets, store,
    });
    assert.equal(Object.keys(await secrets.load('desks')), ['AA-00-00-00-00-01']);
    assert.is((await store.loadAll()).length, 1);
    assert.equal(readdirSync(s.stateDir), []);
  } finally {
    s.done();
  }
});

test.run();
