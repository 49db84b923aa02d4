// `fleetward provision …`: the technician's side of remote provisioning (seed 004).
//   template                    the devicesFile CSV header (macAddress,location,user)
//   export BATCH                the batch's current codes as CSV (macAddress,location,code,expiresAt): the only
//                               place a plaintext code is ever printed
//   regenerate BATCH [--device MAC]   ask the next reconcile pass for new codes
//   status [BATCH]              per batch counts per state; per device state, location, code expiry
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { normalizeMac } from '../../api/mac.ts';
import { systemClock } from '../../util/clock.ts';
import { UsageError } from '../errors.ts';
import { FileCodeSecretStore } from '../../provisioning/secrets.ts';
import { FileProvisioningStatusStore, formatProvisioningStatus, withLegacy, type ProvisioningBatchStatus } from '../../provisioning/status.ts';
import { openStateStore, storeExists } from '../../store/open.ts';
import { KubeClient, loadKubeConfig } from '../../operator/kube.ts';
import { DEFAULT_CODE_SECRETS, KubernetesCodeSecretStore } from '../../operator/secrets.ts';
import { FileRegenerationRequests } from '../../provisioning/requests.ts';
import { writeFileAtomic } from '../../provisioning/files.ts';

export const DEFAULT_STATE_DIR = '.fleetward';
const stateDirOf = (opts: { stateDir?: string }): string => opts.stateDir ?? process.env.FLEETWARD_STATE_DIR ?? DEFAULT_STATE_DIR;
const STATE_DIR_HELP = `state directory of \`fleetward run\` (default $FLEETWARD_STATE_DIR or ${DEFAULT_STATE_DIR})`;

/** The devicesFile columns (controller/provisioning/csv.ts reads them). */
export const TEMPLATE_COLUMNS = ['macAddress', 'location', 'user'] as const;
/**
 * The run's notion of now: a simulated `fleetward run` records its clock in `<state-dir>/clock.json`, and
 * codes expire on that clock; otherwise the wall clock.
 */
export function runClockNow(stateDir: string): Date {
  try {
    const saved = JSON.parse(readFileSync(join(stateDir, 'clock.json'), 'utf8')) as { now?: unknown };
    const at = typeof saved.now === 'string' ? new Date(saved.now) : undefined;
    if (at && !Number.isNaN(at.getTime())) return at;
  } catch {
    // no simulated clock recorded: the wall clock it is
  }
  return systemClock.now();
}

/**
 * `--at`: the instant a command acts at. Given, it pins the command's clock (tests and scripts replaying a
 * day); absent, the run's clock (runClockNow).
 */
function atFlag(at: string | undefined, stateDir: string): Date {
  const when = at === undefined ? runClockNow(stateDir) : new Date(at);
  if (Number.isNaN(when.getTime())) throw new UsageError(`--at ${JSON.stringify(at)} is not an ISO-8601 instant such as 2026-11-23T09:00:00Z`);
  return when;
}

/** Every batch's status: from the state store (read-only), and from the files of an older release not yet imported. */
async function readBatches(stateDir: string): Promise<ProvisioningBatchStatus[]> {
  const legacy = await new FileProvisioningStatusStore(stateDir).loadAll();
  if (!storeExists({ stateDir })) return legacy;
  const store = await openStateStore({ stateDir }, { readOnly: true });
  try {
    return withLegacy(store.readProvisioning(), legacy);
  } finally {
    await store.close();
  }
}

export const EXPORT_COLUMNS = ['macAddress', 'location', 'code', 'expiresAt'] as const;

export interface ExportedCode { macAddress: string; location: string; code: string; expiresAt: string }

/** The batch's codes a technician can still use at `now`: issued, unexpired and not yet used to activate. */
export async function exportCodes(stateDir: string, batch: string, now: Date): Promise<{ rows: ExportedCode[]; status: ProvisioningBatchStatus }> {
  const status = (await readBatches(stateDir)).find((s) => s.batch === batch);
  if (!status) throw new UsageError(`no provisioning batch ${JSON.stringify(batch)} in ${stateDir}: has \`fleetward run\` reconciled it yet?`);
  const codes = await new FileCodeSecretStore(stateDir).load(batch);
  const rows: ExportedCode[] = [];
  for (const d of status.devices) {
    const c = codes[d.macAddress];
    if (!c || !d.codeHash || c.codeHash !== d.codeHash || !(now.getTime() < Date.parse(c.expiresAt))) continue;
    rows.push({ macAddress: d.macAddress, location: d.location ?? '', code: c.code, expiresAt: c.expiresAt });
  }
  return { rows, status };
}

/**
 * The same export on Kubernetes: the batch's usable codes from the operator's code Secrets (which carry each
 * device's location), sorted by MAC. Reads Secrets only, by name: `fleetward-service-admin` may.
 */
export async function exportKubernetesCodes(
  client: KubeClient, where: { namespace: string; codesSecret: string; codeSecrets: number }, batch: string, now: Date,
): Promise<ExportedCode[]> {
  const codes = await new KubernetesCodeSecretStore(client, where.namespace, where.codesSecret, { secrets: where.codeSecrets }).load(batch);
  return Object.entries(codes)
    .filter(([, c]) => now.getTime() < Date.parse(c.expiresAt))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([macAddress, c]) => ({ macAddress, location: c.location ?? '', code: c.code, expiresAt: c.expiresAt }));
}

export function register(program: Command): void {
  const provision = program
    .command('provision')
    .description('Remote provisioning (seed 004): CSV template, code export for technicians, code regeneration, status');

  provision
    .command('template')
    .description('print the CSV template for a ProvisioningBatch devicesFile')
    .option('--example', 'add two example rows')
    .action((opts: { example?: boolean }) => {
      const rows: string[][] = [[...TEMPLATE_COLUMNS]];
      if (opts.example) {
        rows.push(['AA-BB-CC-DD-EE-01', 'Paris, 3rd floor, desk 12', 'ada@contoso.com']);
        rows.push(['AA-BB-CC-DD-EE-02', 'Lobby', '']);
      }
      process.stdout.write(stringify(rows, { record_delimiter: 'unix' }));
    });

  provision
    .command('export')
    .description('print the current verification codes of a batch as CSV (macAddress,location,code,expiresAt); the output is secret')
    .argument('<batch>', 'ProvisioningBatch name')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--namespace <ns>', 'on Kubernetes: read the codes from the operator\'s code Secrets in this namespace (kubeconfig: $KUBECONFIG or ~/.kube/config)')
    .option('--codes-secret <name>', 'with --namespace: the operator\'s --codes-secret (with -<shard> for a sharded operator)', 'fleetward-provisioning-codes')
    .option('--code-secrets <n>', 'with --namespace: the operator\'s --code-secrets', String(DEFAULT_CODE_SECRETS))
    .option('--output <file>', 'write to this file (mode 0600) instead of standard output')
    .option('--at <instant>', 'judge expiry at this ISO-8601 instant (default: now, on the run\'s simulated clock when it has one)')
    .action(async (batch: string, opts: { stateDir?: string; namespace?: string; codesSecret: string; codeSecrets: string; output?: string; at?: string }) => {
      const at = atFlag(opts.at, stateDirOf(opts));
      let rows: ExportedCode[];
      let without = 0;
      if (opts.namespace !== undefined) {
        const count = Number(opts.codeSecrets);
        if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError(`--code-secrets ${JSON.stringify(opts.codeSecrets)}: expected a whole number from 1 to 64`);
        rows = await exportKubernetesCodes(new KubeClient(loadKubeConfig()), { namespace: opts.namespace, codesSecret: opts.codesSecret, codeSecrets: count }, batch, at);
        if (rows.length === 0) throw new UsageError(`no usable code of ProvisioningBatch/${batch} in the Secrets ${opts.codesSecret}… of namespace ${opts.namespace}: has the operator reconciled it, and is it this shard's?`);
      } else {
        const exported = await exportCodes(stateDirOf(opts), batch, at);
        rows = exported.rows;
        without = exported.status.devices.length - rows.length;
      }
      const csv = stringify(rows, { header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'unix' });
      if (opts.output) {
        // Replaced whole, and 0600 even when a readable file of that name was there before.
        await writeFileAtomic(opts.output, csv, 0o600);
      } else {
        process.stdout.write(csv);
      }
      process.stderr.write(`${rows.length} code(s) exported from ProvisioningBatch/${batch}` +
        (without ? `; ${without} device(s) have no usable code (activated, signed in, or awaiting a new code on the next pass)` : '') +
        '. Share this file with the technicians only, and delete it after use.\n');
    });

  provision
    .command('regenerate')
    .description('ask the next reconcile pass for new codes: for one device (--device) or every device of the batch awaiting activation')
    .argument('<batch>', 'ProvisioningBatch name')
    .option('--device <mac>', 'one device, by MAC address')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--at <instant>', 'date the request at this ISO-8601 instant: codes issued before it are replaced (default: now, on the run\'s simulated clock when it has one)')
    .action(async (batch: string, opts: { device?: string; stateDir?: string; at?: string }) => {
      const stateDir = stateDirOf(opts);
      const at = atFlag(opts.at, stateDir);
      let mac: string | undefined;
      if (opts.device !== undefined) {
        mac = normalizeMac(opts.device);
        if (!mac) throw new UsageError(`--device ${JSON.stringify(opts.device)} is not a MAC address (write it as AA-BB-CC-DD-EE-FF)`);
      }
      const status = (await readBatches(stateDir)).find((s) => s.batch === batch);
      if (!status) throw new UsageError(`no provisioning batch ${JSON.stringify(batch)} in ${stateDir}: has \`fleetward run\` reconciled it yet?`);
      if (mac && !status.devices.some((d) => d.macAddress === mac)) throw new UsageError(`ProvisioningBatch/${batch} has no device ${mac}`);
      await new FileRegenerationRequests(stateDir).add({ batch, ...(mac ? { macAddress: mac } : {}), requestedAt: at.toISOString() });
      process.stdout.write(`New code${mac ? ` for ${mac}` : 's for every device awaiting activation'} in ProvisioningBatch/${batch} will be issued on the next reconcile pass; then run \`fleetward provision export ${batch}\`.\n`);
    });

  provision
    .command('status')
    .description('per batch, devices per state; per device, state, location and code expiry (never the code)')
    .argument('[batch]', 'only this ProvisioningBatch')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (batch: string | undefined, opts: { stateDir?: string; output: string }) => {
      if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`-o ${opts.output}: choose text or json`);
      const stateDir = stateDirOf(opts);
      const all = (await readBatches(stateDir)).filter((s) => batch === undefined || s.batch === batch);
      if (batch !== undefined && all.length === 0) throw new UsageError(`no provisioning batch ${JSON.stringify(batch)} in ${stateDir}`);
      if (opts.output === 'json') process.stdout.write(JSON.stringify(all, null, 2) + '\n');
      else process.stdout.write(formatProvisioningStatus(all) || `no provisioning batches in ${stateDir}\n`);
    });
}
