// Structured logs: pino JSON lines (ISO UTC time) to stderr or a file. Secrets never reach them: the
// fields that could carry a token, a password or a verification code are redacted wherever they appear.
import { pino, type Logger } from 'pino';

const REDACT = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'verificationCode', '*.verificationCode', 'code_plain', '*.code_plain',
];

export function createLogger(opts: { level?: string; file?: string } = {}): Logger {
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false }) : pino.destination(2);
  return pino(
    {
      name: 'fleetward',
      level: opts.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
