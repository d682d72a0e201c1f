// Server logs: readable lines on a terminal, JSON (one object per line) when piped to files
// or log collectors. Always on stderr, so stdout stays free for command output.
import pino from 'pino';
import pretty from 'pino-pretty';

export function createCliLogger(level: string, stream: NodeJS.WriteStream = process.stderr): pino.Logger {
  if (stream.isTTY) {
    return pino({ level }, pretty({ destination: 2, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', sync: true }));
  }
  // Synchronous: async writes would go through libuv's pool, which decoding keeps busy.
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}
