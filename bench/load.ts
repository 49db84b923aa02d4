// Benchmark of loading a config revision (issue 2): generated configs of N files (one DeviceGroup each, plus a
// ProvisioningBatch of 5·N MACs), valid and with every group broken, through loadDocuments — parse, schema,
// rules, MAC de-duplication. One JSON line per size; time per object should stay flat as N grows (not quadratic).
// Run: node_modules/.bin/node bench/load.ts [sizes…]   (default 100 500 1999; 2000 files is the cap)
import YAML from 'yaml';
import { loadDocuments } from '../controller/sources/load.ts';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function config(n: number, broken: boolean): { path: string; text: string }[] {
  const files = Array.from({ length: n }, (_, i) => ({
    path: `groups/g${i}.yaml`,
    text: YAML.stringify({
      apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup', metadata: { name: `g${i}` },
      spec: { selector: { deviceTypes: ['ipPhone'], matchLabels: { site: `s${i}` } }, updatePhase: broken ? 'Missing' : 'General', priority: i % 100 },
    }),
  }));
  const devices = Array.from({ length: 5 * n }, (_, i) => ({ macAddress: (0x00112200_0000 + i).toString(16).padStart(12, '0'), location: `desk ${i}` }));
  files.push({ path: 'batch.yaml', text: YAML.stringify({ apiVersion: 'fleetward.dev/v1alpha1', kind: 'ProvisioningBatch', metadata: { name: 'b' }, spec: { devices } }) });
  return files;
}

const sizes = process.argv.slice(2).map(Number);
loadDocuments(config(50, false), { revisionId: 'warmup' });
for (const n of sizes.length ? sizes : [100, 500, 1999]) {
  for (const broken of [false, true]) {
    const files = config(n, broken);
    const bytes = files.reduce((s, f) => s + f.text.length, 0);
    const t0 = performance.now();
    const c0 = cpuMs();
    const r = loadDocuments(files, { revisionId: 'bench' });
    const ms = performance.now() - t0;
    const cpu = cpuMs() - c0;
    const objects = n + 1;
    process.stdout.write(JSON.stringify({
      bench: 'load', files: files.length, objects, macs: 5 * n, kib: Math.round(bytes / 1024), valid: r.ok, errors: r.ok ? 0 : r.errors.length,
      ms: Math.round(ms), cpuMs: Math.round(cpu), usPerObject: Math.round((cpu * 1000) / objects),
    }) + '\n');
  }
}
