// Structured logs: pino JSON lines (ISO UTC time) to stderr or a file. Secrets never reach them: the
// fields that could carry a token, a password or a verification code are redacted wherever they appear,
// and every finished line goes through the process-wide redactor (util/redact.ts), which replaces any 8+
// character fragment of a known secret wherever it sits (a message, an error's stack, a field).
import { pino, type Logger } from 'pino';
import { redactSecrets } from '../util/redact.ts';

const REDACT = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'verificationCode', '*.verificationCode', 'code_plain', '*.code_plain',
];

export function createLogger(opts: { level?: string; file?: string } = {}): Logger {
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false, mode: 0o600 }) : pino.destination(2);
  return pino(
    {
      name: 'fleetward',
      level: opts.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: { streamWrite: redactSecrets },
      base: { pid: process.pid },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
