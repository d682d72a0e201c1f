import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignals } from './linked-signal.js';

describe('linkSignals', () => {
  it('fires with the reason of whichever source aborts first', () => {
    const request = new AbortController();
    const shutdown = new AbortController();
    const linked = linkSignals(request.signal, shutdown.signal);
    shutdown.abort(new Error('shutting down'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('shutting down');
    request.abort(new Error('client left'));
    expect((linked.signal.reason as Error).message).toBe('shutting down');
  });

  it('starts aborted when a source already is', () => {
    const request = new AbortController();
    request.abort('gone');
    expect(linkSignals(request.signal, new AbortController().signal).signal.reason).toBe('gone');
  });

  it('leaves nothing on the long-lived shutdown signal once disposed', () => {
    const shutdown = new AbortController();
    for (let i = 0; i < 1000; i++) linkSignals(new AbortController().signal, shutdown.signal).dispose();
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});
