// Who is told what (docs/spec/notificationproviders.md, notificationrules.md): the NotificationProvider and
// NotificationRule objects of the revision in force, read into the routes the delivery step follows. After
// Flux's notification-controller (Provider + Alert): a provider says where and how, a rule says which events.
import { parseDuration } from '../api/duration.ts';
import {
  COMMIT_STATUS_TYPES, SEVERITIES, type NotificationProviderSpec, type NotificationRule, type Revision,
} from '../api/types.ts';
import type { NotificationContent } from '../store/records.ts';
import { DEFAULT_CODES_EXPIRING_MS } from './events.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RATE = { messages: 20, perMs: 60_000 };

export interface ProviderConfig {
  name: string;
  spec: NotificationProviderSpec;
  timeoutMs: number;
  rate: { messages: number; perMs: number };
}

export interface NotifyConfig {
  providers: Map<string, ProviderConfig>;
  rules: NotificationRule[];
  /** The widest CodesExpiring horizon any rule asks for. */
  codesExpiringWithinMs: number;
}

export function notifyConfig(revision: Revision | undefined): NotifyConfig {
  const providers = new Map<string, ProviderConfig>();
  const rules: NotificationRule[] = [];
  for (const o of revision?.objects ?? []) {
    if (o.kind === 'NotificationProvider') {
      const s = o.spec;
      providers.set(o.metadata.name, {
        name: o.metadata.name, spec: s,
        timeoutMs: (s.timeout && parseDuration(s.timeout)) || DEFAULT_TIMEOUT_MS,
        rate: s.rateLimit ? { messages: s.rateLimit.messages, perMs: parseDuration(s.rateLimit.per) || DEFAULT_RATE.perMs } : DEFAULT_RATE,
      });
    } else if (o.kind === 'NotificationRule' && !o.spec.suspend) rules.push(o);
  }
  const horizons = rules.map((r) => (r.spec.codesExpiringWithin ? parseDuration(r.spec.codesExpiringWithin) ?? 0 : 0)).filter((n) => n > 0);
  return { providers, rules, codesExpiringWithinMs: horizons.length ? Math.max(...horizons) : DEFAULT_CODES_EXPIRING_MS };
}

export function isCommitStatusProvider(p: NotificationProviderSpec): boolean {
  return COMMIT_STATUS_TYPES.includes(p.type);
}

/**
 * The providers an event goes to: every rule that selects it (reason, least severity, objects) names one.
 * Commit statuses go to git forges only, and git forges take nothing else.
 */
export function routes(cfg: NotifyConfig, c: NotificationContent): string[] {
  const out = new Set<string>();
  for (const r of cfg.rules) {
    const p = cfg.providers.get(r.spec.providerRef.name);
    if (!p) continue;
    if (isCommitStatusProvider(p.spec) !== (c.reason === 'RevisionStatus')) continue;
    if (r.spec.events && !r.spec.events.includes(c.reason as never)) continue;
    if (SEVERITIES.indexOf(c.severity) < SEVERITIES.indexOf(r.spec.severity ?? 'info')) continue;
    if (r.spec.objects && !r.spec.objects.some((o) => `${o.kind}/${o.name === '*' ? c.object.split('/')[1] : o.name}` === c.object)) continue;
    out.add(p.name);
  }
  return [...out].sort();
}
