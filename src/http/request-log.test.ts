import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RedactingLogController, redactUrl } from './request-log.js';

describe('redactUrl', () => {
  it('replaces the values of secret-looking parameters and of known secrets', () => {
    expect(redactUrl('/v1/models?key=sk-123&beta=true')).toBe('/v1/models?key=[REDACTED]&beta=true');
    expect(redactUrl('/v1/messages?api_key=a&access_token=b&x=1')).toBe('/v1/messages?api_key=[REDACTED]&access_token=[REDACTED]&x=1');
    expect(redactUrl('/props?q=my%22secret', ['my"secret'])).toBe('/props?q=[REDACTED]');
    expect(redactUrl('/health')).toBe('/health');
  });
});

describe('RedactingLogController', () => {
  it("logs Fastify's lines with the URL redacted", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = Fastify({ loggerInstance: pino({ level: 'info' }, stream) as FastifyBaseLogger, logController: new RedactingLogController(['hunter2']) });
    app.get('/v1/models', async () => ({ data: [] }));
    await app.inject({ url: '/v1/models?key=sk-live-1&other=hunter2&beta=true' });
    await app.inject({ url: '/nowhere?token=sk-live-1' });
    await app.close();
    const logged = lines.join('');
    expect(logged).not.toContain('sk-live-1');
    expect(logged).not.toContain('hunter2');
    const [incoming, completed, , notFound] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(incoming).toMatchObject({ msg: 'incoming request', req: { method: 'GET', url: '/v1/models?key=[REDACTED]&other=[REDACTED]&beta=true' } });
    expect(completed).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
    expect(notFound).toMatchObject({ msg: 'Route GET:/nowhere?token=[REDACTED] not found' });
  });
});
