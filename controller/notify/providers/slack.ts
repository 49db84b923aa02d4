// Slack incoming webhook: Block Kit blocks (header, the message, fields, the devices) with a plain `text`
// fallback for notifications and clients without blocks. The webhook URL is the provider's secret.
import { deviceLine, headline, resolvedText, type Format, JSON_HEADERS } from './request.ts';

const EMOJI = { info: ':information_source:', warning: ':warning:', error: ':rotating_light:' } as const;

/** Slack's mrkdwn escapes: &, < and > only. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const formatSlack: Format = ({ delivery: d, provider, secret, link }) => {
  const c = d.content;
  const title = headline(d);
  const devices = deviceLine(d);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: esc(d.action === 'resolve' ? resolvedText(d) : c.message).slice(0, 3000) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${d.action === 'resolve' ? ':white_check_mark: resolved' : `${EMOJI[c.severity]} ${c.severity}`}` },
        { type: 'mrkdwn', text: `*Object*\n${esc(c.object)}` },
        ...(c.revision ? [{ type: 'mrkdwn', text: `*Revision*\n\`${c.revision}\`` }] : []),
      ],
    },
  ];
  if (c.errors?.length && d.action !== 'resolve') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '```' + esc(c.errors.join('\n')).slice(0, 2900) + '```' } });
  if (devices) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: esc(`Devices (${c.deviceCount}): ${devices}`).slice(0, 3000) }] });
  if (link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Fleetward' }, url: link }] });
  return {
    url: secret ?? '',
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ text: `${title}: ${d.action === 'resolve' ? resolvedText(d) : c.message}`, blocks, ...(provider.spec.channel ? { channel: provider.spec.channel } : {}) }),
  };
};
