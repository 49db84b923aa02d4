// The error a user reads about their config: `file:line: Kind/name field.path: message` (docs/validate.md).
import { bounded } from '../api/quote.ts';

export interface ConfigError { file: string; line: number; kind?: string; name?: string; path?: string; message: string }

/** `config/rooms.yaml:12: Ring/pilot spec.order: must be between 1 and 9 (got 12)`, never longer than a screenful. */
export function formatConfigError(e: ConfigError): string {
  const loc = e.file ? `${bounded(e.file, 300)}${e.line > 0 ? `:${e.line}` : ''}: ` : '';
  const who = e.kind ? `${e.kind}${e.name !== undefined ? `/${bounded(e.name, 120)}` : ''} ` : '';
  const path = e.path ? `${bounded(e.path, 200)}: ` : '';
  return `${loc}${who}${path}${bounded(e.message)}`;
}
