// The loop's small parts: webhook signatures, conditions, the state store's atomic and change-only writes,
// the directory source's content-hash revisions and debounced watch, and the loop's wake-ups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { signBody, verifySignature } from '../../controller/server/webhook.ts';
import { setCondition, summarize } from '../../controller/status/conditions.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import { writeFileAtomic } from '../../controller/status/atomic.ts';
import { DirSource } from '../../controller/sources/dir.ts';
import { ReconcileLoop } from '../../controller/reconciler/loop.ts';
import type { PassResult, Reconciler } from '../../controller/reconciler/reconciler.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { SteppedClock } from '../../controller/reconciler/stepped-clock.ts';
import { anAlwaysWindow } from '../support/reconciler-fixture.ts';

const exec = promisify(execFile);

const tmp = () => mkdtempSync(join(tmpdir(), 'fw-parts-'));

test('a webhook signature is accepted only for the exact body and secret', () => {
  const body = Buffer.from('{"after":"abc"}');
  const good = signBody('s3cret', body);
  assert.match(good, /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifySignature('s3cret', body, good));
  assert.not.ok(verifySignature('s3cret', Buffer.from('{"after":"abd"}'), good), 'another body');
  assert.not.ok(verifySignature('other', body, good), 'another secret');
  assert.not.ok(verifySignature('s3cret', body, undefined), 'no header');
  assert.not.ok(verifySignature('s3cret', body, good.slice(0, -1)), 'a truncated signature');
  assert.not.ok(verifySignature('s3cret', body, good.replace('sha256=', 'sha1=')), 'another scheme');
  assert.not.ok(verifySignature('s3cret', body, [good, good]), 'a repeated header');
  assert.not.ok(verifySignature('', body, signBody('', body)), 'no secret configured refuses everything');
});

test('a condition keeps its lastTransitionTime until its status flips', () => {
  let c = setCondition([], { type: 'Ready', status: 'True', reason: 'A', message: 'one' }, '2026-01-01T00:00:00Z');
  c = setCondition(c, { type: 'Ready', status: 'True', reason: 'B', message: 'two' }, '2026-01-02T00:00:00Z');
  assert.is(c[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.is(c[0]!.reason, 'B');
  c = setCondition(c, { type: 'Ready', status: 'False', reason: 'C', message: 'three' }, '2026-01-03T00:00:00Z');
  assert.is(c[0]!.lastTransitionTime, '2026-01-03T00:00:00Z');
});

test('summarize sets Ready and adds Reconciling or Stalled only while they apply', () => {
  let c = summarize([], { ready: false, reason: 'InvalidRevision', message: 'm', stalled: true }, '2026-01-01T00:00:00Z');
  assert.equal(c.map((x) => `${x.type}=${x.status}`), ['Ready=False', 'Stalled=True']);
  c = summarize(c, { ready: true, reason: 'ReconciliationSucceeded', message: 'ok' }, '2026-01-02T00:00:00Z');
  assert.equal(c.map((x) => `${x.type}=${x.status}`), ['Ready=True']);
});

test('the store writes a file only when its content changed, and leaves no temporary file behind', () => {
  const dir = tmp();
  const store = new JsonDirStore(dir);
  const run = { source: 'dir:/x', driver: 'simulator', conditions: [] };
  assert.ok(store.writeRun(run));
  const m1 = statSync(join(dir, 'run.json')).mtimeMs;
  assert.not.ok(store.writeRun({ ...run }), 'same content: not written');
  assert.is(statSync(join(dir, 'run.json')).mtimeMs, m1);
  assert.ok(store.writeRun({ ...run, lastAppliedRevision: 'abc' }));
  assert.is(new JsonDirStore(dir).readRun()!.lastAppliedRevision, 'abc', 'a new process reads what was written');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  rmSync(dir, { recursive: true, force: true });
});

test('device ids that are not file names round-trip through the store', () => {
  const dir = tmp();
  const store = new JsonDirStore(dir);
  store.writeDevice({ id: 'room/42 ../x', history: [] });
  assert.equal(new JsonDirStore(dir).listDeviceIds(), ['room/42 ../x']);
  assert.ok(new JsonDirStore(dir).readDevice('room/42 ../x'));
  assert.equal(readdirSync(dir).sort(), ['devices']);
  rmSync(dir, { recursive: true, force: true });
});

test('a corrupt state file is reported with its path, not silently reset', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'run.json'), '{"source": ');
  assert.throws(() => new JsonDirStore(dir).readRun(), /run\.json: not valid JSON/);
  rmSync(dir, { recursive: true, force: true });
});

test('an atomic write replaces the whole file', () => {
  const dir = tmp();
  const p = join(dir, 'a', 'f.json');
  writeFileAtomic(p, 'x'.repeat(10_000));
  writeFileAtomic(p, 'short');
  assert.is(readFileSync(p, 'utf8'), 'short');
  rmSync(dir, { recursive: true, force: true });
});

test('a config directory revision is a content hash: same content, same revision; any edit, a new one', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'w.yaml'), anAlwaysWindow('w'));
  const src = new DirSource(dir);
  const a = await src.load();
  const b = await src.load();
  assert.ok(a.ok && b.ok);
  if (!a.ok || !b.ok) return;
  assert.match(a.revision.id, /^sha256:[0-9a-f]{64}$/);
  assert.is(a.revision.id, b.revision.id);
  writeFileSync(join(dir, 'w.yaml'), anAlwaysWindow('w2'));
  const c = await src.load();
  assert.ok(c.ok && c.revision.id !== a.revision.id);
  rmSync(dir, { recursive: true, force: true });
});

test('a burst of edits in a watched directory asks for one pass, and the next load sees the last edit', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'w.yaml'), anAlwaysWindow('w'));
  const src = new DirSource(dir, { debounceMs: 150 });
  const first = await src.load();
  let kicks = 0;
  src.watch(() => kicks++);
  await new Promise((r) => setTimeout(r, 300)); // let the watcher settle
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'w.yaml'), anAlwaysWindow(`w${i}`));
  for (let i = 0; i < 60 && kicks === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  assert.is(kicks, 1);
  const after = await src.load();
  assert.ok(first.ok && after.ok && after.revision.id !== first.revision.id);
  if (after.ok) assert.equal(after.revision.objects.map((o) => o.metadata.name), ['w4']);
  await src.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the loop wakes when the plan says something may start, not only at the interval', async () => {
  const clock = new ManualClock('2026-11-23T00:00:00Z');
  const seen: string[] = [];
  const fake = {
    reconcile: async (): Promise<PassResult> => {
      seen.push(clock.now().toISOString());
      return { at: clock.now().toISOString(), revision: 'r', reason: 'ReconciliationSucceeded', ok: true, issued: 0, complete: false, nextStartAt: new Date('2026-11-23T00:10:00Z') };
    },
  } as unknown as Reconciler;
  const loop = new ReconcileLoop(fake, { clock, intervalMs: 3_600_000, minPauseMs: 0, afterPass: () => seen.length >= 2 });
  const done = loop.start();
  await new Promise((r) => setTimeout(r, 20));
  clock.advance(9 * 60_000);
  await new Promise((r) => setTimeout(r, 20));
  assert.is(seen.length, 1, 'not yet');
  clock.advance(60_000);
  await done;
  assert.equal(seen, ['2026-11-23T00:00:00.000Z', '2026-11-23T00:10:00.000Z']);
});

test('a kick during the sleep brings the next pass forward', async () => {
  const clock = new ManualClock('2026-11-23T00:00:00Z');
  let passes = 0;
  const fake = {
    reconcile: async (): Promise<PassResult> => {
      passes++;
      return { at: '', revision: 'r', reason: 'ReconciliationSucceeded', ok: true, issued: 0, complete: false, nextStartAt: null };
    },
  } as unknown as Reconciler;
  const loop = new ReconcileLoop(fake, { clock, intervalMs: 3_600_000, minPauseMs: 0, afterPass: () => passes >= 2 });
  const done = loop.start();
  await new Promise((r) => setTimeout(r, 20));
  assert.is(passes, 1);
  loop.kick();
  await done;
  assert.is(passes, 2);
});

test('stop() called while the last pass is being reported still ends the loop (no sleep left behind)', async () => {
  const clock = new ManualClock('2026-11-23T00:00:00Z');
  let loop: ReconcileLoop | undefined;
  let stopping: Promise<void> | undefined;
  const fake = {
    reconcile: async (): Promise<PassResult> => ({ at: '', revision: 'r', reason: 'ReconciliationSucceeded', ok: true, issued: 0, complete: false, nextStartAt: null }),
  } as unknown as Reconciler;
  loop = new ReconcileLoop(fake, { clock, intervalMs: 3_600_000, minPauseMs: 0, afterPass: () => { stopping ??= loop!.stop(); } });
  void loop.start();
  await new Promise((r) => setTimeout(r, 20));
  const outcome = await Promise.race([stopping!.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 1000))]);
  assert.is(outcome, 'stopped');
});

test('an aborted sleep resolves at once: a manual clock forgets the sleeper, a stepped clock does not move', async () => {
  const manual = new ManualClock('2026-11-23T00:00:00Z');
  const stop = new AbortController();
  let woke = 0;
  const sleeping = manual.sleep(3_600_000, stop.signal).then(() => { woke++; });
  stop.abort();
  await sleeping;
  assert.is(woke, 1);
  manual.advance(7_200_000);
  await new Promise((r) => setImmediate(r));
  assert.is(woke, 1, 'advancing past its deadline wakes nothing more');

  const stepped = new SteppedClock('2026-11-23T00:00:00Z', 1);
  const aborted = new AbortController();
  const pending = stepped.sleep(3_600_000, aborted.signal);
  aborted.abort();
  await pending;
  assert.is(stepped.now().toISOString(), '2026-11-23T00:00:00.000Z');
  await stepped.sleep(60_000, AbortSignal.abort());
  assert.is(stepped.now().toISOString(), '2026-11-23T00:00:00.000Z', 'an already aborted signal does not sleep either');
});

/** A process that starts a loop on `clockExpr`, stops it during its first (hour-long) sleep, then says so. */
function loopChild(clockExpr: string): string {
  const url = (p: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', '..', 'controller', p)).href);
  return `
import { ReconcileLoop } from ${url('reconciler/loop.ts')};
import { systemClock, ScaledClock } from ${url('util/clock.ts')};
import { SteppedClock } from ${url('reconciler/stepped-clock.ts')};
const inner = ${clockExpr};
const fake = { reconcile: async () => ({ at: '', revision: 'r', reason: 'ReconciliationSucceeded', ok: true, issued: 0, complete: false, nextStartAt: null }) };
let loop;
const clock = {
  now: () => inner.now(),
  sleep: (ms, signal) => {
    queueMicrotask(() => { loop.stop().then(() => process.stdout.write('stopped\\n')); });
    return inner.sleep(ms, signal);
  },
};
loop = new ReconcileLoop(fake, { clock, intervalMs: 3600000, minIntervalMs: 3600000 });
void loop.start();
`;
}

for (const [name, expr] of [
  ['the system clock', 'systemClock'],
  ['a scaled clock', "new ScaledClock('2026-11-23T00:00:00Z', 2)"],
  ['a stepped clock', "new SteppedClock('2026-11-23T00:00:00Z', 2)"],
] as const) {
  test(`a process whose loop (on ${name}) was stopped during its sleep exits by itself: no timer is left behind`, async () => {
    // Before the fix the hour-long sleep kept the child alive, and the guard below killed it.
    const child = await exec(process.execPath, ['--input-type=module', '-e', loopChild(expr)], { timeout: 20_000 })
      .then((r) => ({ ...r, killed: false }), (err: { stdout: string; stderr: string; killed: boolean }) => err);
    assert.is(child.stderr, '');
    assert.is(child.stdout, 'stopped\n', 'stop() resolved');
    assert.is(child.killed, false, 'the process ended by itself');
  });
}

test.run();
