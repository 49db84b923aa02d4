// One format per provider type.
import type { ProviderType } from '../../api/types.ts';
import { formatCommitStatus } from './commit-status.ts';
import { formatGeneric } from './generic.ts';
import type { Format } from './request.ts';
import { formatSlack } from './slack.ts';
import { formatTeams } from './teams.ts';
import { formatTicket } from './ticket.ts';

export const FORMATS: Record<ProviderType, Format> = {
  generic: formatGeneric, teams: formatTeams, slack: formatSlack, ticket: formatTicket,
  github: formatCommitStatus, gitlab: formatCommitStatus, gitea: formatCommitStatus,
};
export type { FormatInput, OutgoingRequest } from './request.ts';
