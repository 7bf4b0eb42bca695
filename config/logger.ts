// One structured logger for every process; secret-bearing fields are redacted by path as a second
// line of defence (the first is never putting secrets in log calls).
import pino from 'pino';
import type { Logger } from 'pino';
import { redactPaths } from './redact';

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options = { name, level, redact: { paths: redactPaths, censor: '[REDACTED]' } };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}
