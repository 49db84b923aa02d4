// Plausible device log text for a diagnostics operation (seed 000 FAQ: "Device logs can be found in
// the History tab of the device page. They are linked to the Device diagnostics operation").
import type { DeviceOperation, FleetDevice } from '../../api/types.ts';
import { chance } from './random.ts';

export interface DiagnosticsInput {
  operation: DeviceOperation;
  device: FleetDevice;
  /** The device's software updates up to the diagnostics run, oldest first. */
  history: DeviceOperation[];
  seed: number;
}

export function diagnosticsLog({ operation, device, history, seed }: DiagnosticsInput): string {
  const lines: string[] = [];
  const at = operation.createdAt;
  const log = (level: string, text: string, when = at) => lines.push(`${when} ${level.padEnd(5)} ${text}`);
  log('INFO', `diagnostics ${operation.id} requested for ${device.id} (${device.manufacturer} ${device.model}, ${device.deviceType})`);
  if (device.macAddress) log('INFO', `network: mac=${device.macAddress} link=up dhcp=ok dns=ok`);
  log('INFO', `device time zone ${device.timeZone}; activity=${device.activityState ?? 'unknown'} health=${device.healthStatus ?? 'unknown'}`);
  for (const [component, version] of Object.entries(device.software)) log('INFO', `installed ${component} ${version}`);
  const freeMb = 200 + Math.floor(chance(seed, 'disk', device.id) * 1800);
  log(freeMb < 400 ? 'WARN' : 'INFO', `storage: ${freeMb} MB free on /data`);
  for (const op of history.slice(-5)) {
    const head = `update ${op.id}: ${op.component} ${op.fromVersion ?? '(none)'} -> ${op.toVersion}`;
    if (op.status === 'failed') {
      log('ERROR', `${head} failed: ${op.error?.code ?? 'Unknown'}: ${op.error?.message ?? ''}`, op.completedAt ?? at);
      if (op.error?.code === 'DownloadFailed') log('ERROR', 'http GET update package: connection reset by peer after 3 retries', op.completedAt ?? at);
      if (op.error?.code === 'InstallFailed') log('ERROR', 'package verification: signature ok; install script exited with status 4', op.completedAt ?? at);
      if (op.error?.code === 'DeviceRebootTimeout') log('ERROR', 'watchdog: boot did not reach READY within 900 s', op.completedAt ?? at);
    } else {
      log('INFO', `${head}: ${op.status}`, op.completedAt ?? op.startedAt ?? op.createdAt);
    }
  }
  log('INFO', 'diagnostics bundle complete');
  return lines.join('\n') + '\n';
}
