// Git commit status for the revision being applied: pending while it rolls out, success or failure once it
// settles (../events.ts revisionStatus). One request shape per forge:
//   GitHub  POST {api}/repos/{owner}/{repo}/statuses/{sha}            Authorization: Bearer   state pending|success|failure
//   Gitea   POST {api}/api/v1/repos/{owner}/{repo}/statuses/{sha}     Authorization: token    state pending|success|failure
//   GitLab  POST {api}/api/v4/projects/{path}/statuses/{sha}          PRIVATE-TOKEN           state running|success|failed
// A pull request of the config repo shows the status on its head commit once Fleetward applies it (a
// preview environment, or the merge commit on main).
import { JSON_HEADERS, type Format } from './request.ts';

export const DEFAULT_CONTEXT = 'fleetward/rollout';
const GITLAB_STATE = { pending: 'running', success: 'success', failure: 'failed' } as const;

const trim = (u: string) => u.replace(/\/+$/, '');

export const formatCommitStatus: Format = ({ delivery: d, provider, secret, link }) => {
  const c = d.content;
  const s = provider.spec;
  const sha = c.revision!;
  const state = c.state ?? 'pending';
  const description = `${c.title}: ${c.message}`.slice(0, 140);
  const context = s.context ?? DEFAULT_CONTEXT;
  const repo = s.repository!;
  if (s.type === 'gitlab') {
    const q = new URLSearchParams({ state: GITLAB_STATE[state], name: context, description, ...(link ? { target_url: link } : {}) });
    return {
      url: `${trim(s.address ?? 'https://gitlab.com')}/api/v4/projects/${encodeURIComponent(repo)}/statuses/${sha}?${q}`,
      headers: { ...JSON_HEADERS, ...(secret ? { 'private-token': secret } : {}) },
      body: '',
    };
  }
  const base = s.type === 'gitea' ? `${trim(s.address!)}/api/v1` : trim(s.address ?? 'https://api.github.com');
  return {
    url: `${base}/repos/${repo}/statuses/${sha}`,
    headers: {
      ...JSON_HEADERS, accept: s.type === 'github' ? 'application/vnd.github+json' : 'application/json',
      ...(secret ? { authorization: s.type === 'github' ? `Bearer ${secret}` : `token ${secret}` } : {}),
    },
    body: JSON.stringify({ state, description, context, ...(link ? { target_url: link } : {}) }),
  };
};
