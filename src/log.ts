// The logger shape every module accepts: pino's, so Fastify's request logger fits too.
import type { BaseLogger } from 'pino';

export type Logger = Pick<BaseLogger, 'info' | 'warn' | 'error' | 'debug' | 'trace'>;

/** For code paths (tests, tools) that have nowhere to log. */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
};
