// Benchmark of secret redaction (controller/util/redact.ts): every log line and every status record goes
// through it, so its cost per character must not grow with the number or length of the secrets. One JSON
// line per case: a typical log line and a 1 MiB JSON status text, with 1, 4 and 16 registered secrets of 64
// characters, and 100 000 device records through redactValue (what the status store does on each write).
// ns_per_char should stay flat across the secret counts; `baseline` is a bare loop reading each
// character once, on the same machine and moment, for scale (a shared, loaded machine slows both alike).
// Run: node_modules/.bin/node bench/redact.ts
import { randomBytes } from 'node:crypto';
import { Redactor, redactValue } from '../controller/util/redact.ts';

const line = JSON.stringify({ level: 30, time: '2026-11-23T12:00:00.000Z', pid: 4242, name: 'fleetward', device: 'nyc-phone-0042', component: 'firmware', from: '122.15.0.30', to: '122.15.0.44', reason: 'PhaseRollout', operation: '5f0c2a8e-7d1b-4c3e-9a6f-0b1c2d3e4f50', msg: 'operation started' });
const status = JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ id: `dev-${i}`, history: [{ operationId: randomBytes(16).toString('hex'), status: 'failed', error: 'InternalServerError: the device did not answer in time', createdAt: '2026-11-23T12:00:00.000Z' }] })), null, 2).slice(0, 1 << 20);

{
  let h = 0;
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) for (let i = 0; i < status.length; i++) h = (Math.imul(h, 16777619) + status.charCodeAt(i)) | 0;
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ bench: 'redact', case: 'baseline', text_chars: status.length, ns_per_char: +((ms * 1e6) / 20 / status.length).toFixed(2), h }));
}
for (const secrets of [1, 4, 16]) {
  const r = new Redactor();
  for (let i = 0; i < secrets; i++) r.add(randomBytes(48).toString('base64'));
  for (const [name, text, rounds] of [['log-line', line, 200_000], ['status-1MiB', status, 20]] as const) {
    for (let i = 0; i < Math.min(rounds, 1000); i++) r.redact(text);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) r.redact(text);
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ bench: 'redact', case: name, secrets, secret_chars: 64, text_chars: text.length, ns_per_call: Math.round((ms * 1e6) / rounds), ns_per_char: +((ms * 1e6) / rounds / text.length).toFixed(2) }));
  }
}

{
  // Device records as the status store writes them: planned components and a short operation history.
  const records = Array.from({ length: 100_000 }, (_, i) => ({
    id: `dev-${i}`, group: 'phones', phase: 'General', ring: null, maintenanceWindow: 'default',
    components: [
      { component: 'firmware', currentVersion: '122.15.0.30', targetVersion: '122.15.0.44', state: 'Scheduled', reason: 'OutsideWindow', notBefore: '2026-11-29T01:00:00.000Z' },
      { component: 'teamsClient', currentVersion: '1449.0.0.1', targetVersion: null, state: 'UpToDate', reason: 'UpToDate', notBefore: null },
    ],
    history: [{ operationId: randomBytes(16).toString('hex'), operationType: 'softwareUpdate', status: i % 50 ? 'successful' : 'failed', fromVersion: '122.15.0.2', toVersion: '122.15.0.30', createdAt: '2026-11-01T01:12:00.000Z', error: i % 50 ? undefined : 'InternalServerError: the device did not answer in time', issuedBy: 'fleetward' }],
  }));
  const r = new Redactor();
  for (let i = 0; i < 4; i++) r.add(randomBytes(48).toString('base64'));
  const keep = new Set(['id', 'operationId']);
  for (const rec of records.slice(0, 1000)) redactValue(rec, keep, r);
  const t0 = performance.now();
  for (const rec of records) redactValue(rec, keep, r);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ bench: 'redact', case: 'device-records-100k', secrets: 4, records: records.length, ms: Math.round(ms), us_per_record: +((ms * 1000) / records.length).toFixed(2) }));
}
