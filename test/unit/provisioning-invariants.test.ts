// Invariants of the provisioning step over random sequences of what happens in the field (time passing,
// technicians typing right or wrong codes, firmware updates, regeneration requests), checked after every
// pass: a device not yet activated always has exactly one usable code, the one its status describes; no
// status holds a code; and a second pass right after changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { aBatch, aT58, aWorld, HOUR, MINUTE } from '../support/provisioning.ts';
import { generateCode } from '../../controller/provisioning/codes.ts';

const MACS = ['AA-00-00-00-00-01', 'AA-00-00-00-00-02', 'AA-00-00-00-00-03'] as const;

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'activate'; device: number; right: boolean }
  | { kind: 'firmware'; device: number; version: string }
  | { kind: 'regenerateBatch' }
  | { kind: 'regenerateDevice'; device: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(MINUTE, 15 * MINUTE, HOUR, 12 * HOUR, 24 * HOUR) }),
  fc.record({ kind: fc.constant('activate' as const), device: fc.nat(2), right: fc.boolean() }),
  fc.record({ kind: fc.constant('firmware' as const), device: fc.nat(2), version: fc.constantFrom('58.14.0.1', '58.15.0.124', '58.16.0.3') }),
  fc.record({ kind: fc.constant('regenerateBatch' as const) }),
  fc.record({ kind: fc.constant('regenerateDevice' as const), device: fc.nat(2) }),
);

test('after every pass each unactivated device holds one live code matching its status, no code is in status, and passes are idempotent', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 7 }), async (steps) => {
      const w = aWorld('2026-11-23T09:00:00Z');
      MACS.forEach((mac, i) => w.backend.powerOn(mac, aT58(i === 0 ? '58.14.0.1' : '58.15.0.124')));
      let generation = 0;
      const tokens: Record<string, string> = {};
      const batch = () => aBatch('desks', MACS.map((mac, i) => ({ mac, ...(i === 2 ? {} : { user: `u${i}@contoso.com` }) })), {
        regenerateCodes: String(generation),
        annotations: Object.fromEntries(Object.entries(tokens).map(([mac, t]) => [`regenerate.provisioning.fleetward.dev/${mac}`, t])),
      });
      await w.pass([batch()]);
      for (const s of steps) {
        switch (s.kind) {
          case 'advance': w.clock.advance(s.ms); break;
          case 'activate': {
            const mac = MACS[s.device]!;
            await w.backend.activate(mac, s.right ? ((await w.code('desks', mac)) ?? generateCode()) : generateCode());
            break;
          }
          case 'firmware': w.backend.setFirmware(MACS[s.device]!, s.version); break;
          case 'regenerateBatch': generation++; break;
          case 'regenerateDevice': tokens[MACS[s.device]!] = `t${Object.keys(tokens).length}-${generation}-${s.device}`; break;
        }
        const [status] = await w.pass([batch()]);
        const codes = await w.secrets.load('desks');
        const now = w.clock.now().getTime();
        for (const d of status!.devices) {
          const backend = (await w.backend.get(d.macAddress))!;
          const activated = backend.state === 'AwaitingSignIn' || backend.state === 'SignedIn';
          if (activated) {
            assert.is(codes[d.macAddress], undefined, `${d.macAddress} activated but a code lingers`);
            assert.is(d.codeHash, undefined);
          } else {
            const c = codes[d.macAddress];
            assert.ok(c, `${d.macAddress} (${d.state}) has no code`);
            assert.is(c!.codeHash, d.codeHash);
            assert.is(c!.expiresAt, d.codeExpiresAt);
            assert.ok(Date.parse(c!.expiresAt) > now, `${d.macAddress} code already expired`);
            assert.is(backend.codeExpiresAt, d.codeExpiresAt, 'the back end holds the same code');
          }
        }
        const text = JSON.stringify(await w.store.loadAll());
        for (const c of Object.values(codes)) assert.not.ok(text.includes(c.code));
        const before = { status: await w.store.loadAll(), codes: JSON.stringify(codes) };
        await w.pass([batch()]);
        assert.equal(await w.store.loadAll(), before.status, 'a second pass changed status');
        assert.is(JSON.stringify(await w.secrets.load('desks')), before.codes, 'a second pass changed codes');
      }
    }),
    { numRuns: 12, seed: 20261123 },
  );
});

test.run();
