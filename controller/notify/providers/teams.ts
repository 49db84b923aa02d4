// Microsoft Teams: an Adaptive Card in a `message` attachment, the shape both the classic incoming webhook
// and a Workflows (Power Automate) "post to a channel when a webhook request is received" flow accept. The
// webhook URL is the provider's secret (anyone holding it can post), so it never appears in the config.
import { deviceLine, headline, resolvedText, type Format, JSON_HEADERS } from './request.ts';

const COLOR = { info: 'accent', warning: 'warning', error: 'attention' } as const;

export const formatTeams: Format = ({ delivery: d, secret, link }) => {
  const c = d.content;
  const devices = deviceLine(d);
  const facts = [
    { title: 'Severity', value: c.severity },
    { title: 'Object', value: c.object },
    ...(devices ? [{ title: `Devices (${c.deviceCount})`, value: devices }] : []),
    ...(c.revision ? [{ title: 'Revision', value: c.revision }] : []),
  ];
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      { type: 'TextBlock', text: headline(d), weight: 'Bolder', size: 'Medium', wrap: true, color: d.action === 'resolve' ? 'good' : COLOR[c.severity] },
      { type: 'TextBlock', text: d.action === 'resolve' ? resolvedText(d) : c.message, wrap: true },
      ...(c.errors?.length && d.action !== 'resolve' ? [{ type: 'TextBlock', text: c.errors.map((e) => `- ${e}`).join('\n'), wrap: true, fontType: 'Monospace', size: 'Small' }] : []),
      { type: 'FactSet', facts },
    ],
    actions: link ? [{ type: 'Action.OpenUrl', title: 'Open in Fleetward', url: link }] : [],
  };
  return {
    url: secret ?? '',
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] }),
  };
};
