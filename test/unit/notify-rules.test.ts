// NotificationProvider and NotificationRule as the config repo declares them: what each provider type needs,
// secrets only by reference, a rule naming a provider that exists — each refused with `file:line: Kind/name
// path: message`, and a refused revision carries nothing (no provider of it is used).
import { test } from 'uvu';
import { assertLoaded, assertRefused, loadFiles } from '../support/config.ts';

const provider = (name: string, spec: string) => `apiVersion: fleetward.dev/v1alpha1\nkind: NotificationProvider\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const rule = (name: string, spec: string) => `apiVersion: fleetward.dev/v1alpha1\nkind: NotificationRule\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

test('a Teams provider with its URL in a secret, and a rule for it, are accepted', () => {
  assertLoaded(loadFiles({
    'n.yaml': provider('rooms', '  type: teams\n  secretRef:\n    env: FLEETWARD_NOTIFY_TEAMS_URL\n') + '---\n' + rule('paused', '  providerRef:\n    name: rooms\n  events: [ReleasePaused, DevicesHeld]\n  severity: warning\n'),
  }), ['NotificationProvider/rooms', 'NotificationRule/paused']);
});

test('a Teams webhook URL written in address is refused: it is a credential', () => {
  assertRefused(loadFiles({ 'n.yaml': provider('rooms', '  type: teams\n  address: https://example.webhook.office.com/x\n  secretRef:\n    env: FLEETWARD_NOTIFY_T\n') }), [
    'n.yaml:7: NotificationProvider/rooms spec.address: a Teams or Slack webhook URL is a credential: put it in the secret secretRef names, not in address',
  ]);
});

test('what each provider type needs is named: a generic webhook without address or key, a forge without repository', () => {
  assertRefused(loadFiles({
    'n.yaml': provider('hook', '  type: generic\n') + '---\n' + provider('gh', '  type: github\n  secretRef:\n    env: FLEETWARD_NOTIFY_GH\n'),
  }), [
    'n.yaml:5: NotificationProvider/hook spec.address: is required for type generic (the URL messages are posted to)',
    'n.yaml:5: NotificationProvider/hook spec.secretRef: is required for type generic: the HMAC-SHA256 key the body is signed with',
    'n.yaml:12: NotificationProvider/gh spec.repository: is required for type github: the config repository, owner/name',
  ]);
});

test('a secret reference reaches only what was set aside for notifications', () => {
  assertRefused(loadFiles({
    'n.yaml': provider('t', '  type: ticket\n  address: https://tickets.example.test/api\n  secretRef:\n    env: DATABASE_URL\n')
      + '---\n' + provider('u', '  type: ticket\n  address: https://tickets.example.test/api\n  secretRef:\n    file: ../../etc/shadow\n')
      + '---\n' + provider('v', '  type: ticket\n  address: https://tickets.example.test/api\n  secretRef:\n    env: FLEETWARD_NOTIFY_A\n    file: token\n'),
  }), [
    'n.yaml:9: NotificationProvider/t spec.secretRef.env: "DATABASE_URL" does not match ^FLEETWARD_NOTIFY_[A-Z0-9_]+$',
    'n.yaml:19: NotificationProvider/u spec.secretRef.file: "../../etc/shadow" does not match ^[A-Za-z0-9_.-]+$',
    'n.yaml:28: NotificationProvider/v spec.secretRef: set exactly one of env, file or secret (found env and file)',
  ]);
});

test('a rule naming a provider that does not exist is refused, listing the declared ones', () => {
  assertRefused(loadFiles({
    'n.yaml': provider('rooms', '  type: slack\n  secretRef:\n    env: FLEETWARD_NOTIFY_S\n') + '---\n' + rule('r', '  providerRef:\n    name: room\n  events: [Paused]\n'),
  }), [
    'n.yaml:17: NotificationRule/r spec.events[0]: "Paused" is not allowed; one of: ReleasePaused, DevicesHeld, DevicesRolledBack, OperationsTimedOut, WindowMissed, TenantPaused, TenantPauseEndingSoon, InvalidRevision, CodesExpiring, FirmwareTooOld, LeaderLost, RevisionStatus',
  ]);
  assertRefused(loadFiles({
    'n.yaml': provider('rooms', '  type: slack\n  secretRef:\n    env: FLEETWARD_NOTIFY_S\n') + '---\n' + rule('r', '  providerRef:\n    name: room\n'),
  }), [
    'n.yaml:16: NotificationRule/r spec.providerRef.name: NotificationProvider "room" does not exist; declared: rooms',
  ]);
});

test.run();
