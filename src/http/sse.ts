// The one Server-Sent Events writer both APIs use. It owns the headers, the framing, pings,
// backpressure and close; and it tells the caller when the client went away. `pumpSse` is the
// one loop that drains a generation into it through an API's converter, with the error event.
//
// Disconnect detection watches the *response*: `res` emits 'close' when the connection ends,
// and if that happens before we finished writing, the client left. (`req` 'close' fires as
// soon as the request body has been read, so it says nothing about the client.)

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Tell nginx (and look-alikes) not to buffer the stream.
  'x-accel-buffering': 'no',
};

export interface DisconnectWatch {
  /** Aborts (reason: an AbortError DOMException) when the client goes away before the response ends. */
  readonly signal: AbortSignal;
  /** Stop watching (the signal then never fires). */
  dispose(): void;
}

/** Watch a response for the client leaving early. Use for non-streaming routes too. */
export function watchClientDisconnect(res: ServerResponse): DisconnectWatch {
  const controller = new AbortController();
  const abort = () => {
    if (!controller.signal.aborted) controller.abort(new DOMException('The client disconnected', 'AbortError'));
  };
  const onClose = () => {
    if (!res.writableFinished) abort();
  };
  res.on('close', onClose);
  // Already gone before anyone looked.
  if (res.destroyed && !res.writableFinished) abort();
  return {
    signal: controller.signal,
    dispose: () => res.off('close', onClose),
  };
}

/** The client is gone: there is nobody to answer; make sure Fastify does not try. */
export function abandon(reply: FastifyReply): FastifyReply {
  reply.hijack();
  if (!reply.raw.destroyed) reply.raw.destroy();
  return reply;
}

/**
 * Run a non-streaming answer with a signal that fires if the client leaves first; a client
 * that left gets nothing (its work's failure is the abort, not an error to report).
 */
export async function answerUnlessClientLeaves<T>(reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T | FastifyReply> {
  const watch = watchClientDisconnect(reply.raw);
  try {
    return await work(watch.signal);
  } catch (err) {
    if (watch.signal.aborted) return abandon(reply);
    throw err;
  } finally {
    watch.dispose();
  }
}

function isFastifyReply(target: FastifyReply | ServerResponse): target is FastifyReply {
  return 'raw' in target && typeof (target as FastifyReply).hijack === 'function';
}

export class SseWriter {
  readonly #reply: FastifyReply | undefined;
  readonly #res: ServerResponse;
  readonly #watch: DisconnectWatch;
  #opened = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #drain: Promise<void> | undefined;

  /**
   * Create the writer as early as possible (before starting work) so `signal` covers the whole
   * request. Nothing is written until `open()`.
   */
  constructor(target: FastifyReply | ServerResponse) {
    if (isFastifyReply(target)) {
      this.#reply = target;
      this.#res = target.raw;
    } else {
      this.#res = target;
    }
    // A write racing a disconnect can emit 'error' on the response; never let it crash the process.
    this.#res.on('error', () => {});
    this.#watch = watchClientDisconnect(this.#res);
    this.#watch.signal.addEventListener('abort', () => this.stopPings(), { once: true });
  }

  /** Fires when the client goes away before `close()`. Pass it to the work being streamed. */
  get signal(): AbortSignal {
    return this.#watch.signal;
  }

  get opened(): boolean {
    return this.#opened;
  }

  /** True when nothing more can be written: closed by us or the client left. */
  get closed(): boolean {
    return this.#res.writableEnded || this.#res.destroyed || this.#watch.signal.aborted;
  }

  /**
   * Send the status line and headers (SSE headers, plus any headers already set on the Fastify
   * reply, e.g. CORS). Takes the response over from Fastify.
   */
  open(status = 200, headers: Record<string, string> = {}): void {
    if (this.#opened) return;
    this.#opened = true;
    const merged: Record<string, string | number | string[]> = {};
    if (this.#reply) {
      for (const [name, value] of Object.entries(this.#reply.getHeaders())) {
        if (value !== undefined) merged[name.toLowerCase()] = value;
      }
      this.#reply.hijack();
    }
    delete merged['content-length'];
    Object.assign(merged, SSE_HEADERS, lowerKeys(headers));
    if (this.closed) return;
    try {
      this.#res.writeHead(status, merged);
      this.#res.flushHeaders();
      this.#res.socket?.setNoDelay(true);
    } catch {
      // The connection went away between the check and the write.
    }
  }

  /**
   * Write one event: `event: <name>\n` (if given) then `data: <json>\n\n`. A string is sent
   * as-is (one `data:` line per line of it), anything else as JSON.
   * Resolves false (never throws) when the client is gone; waits while the socket is full.
   */
  writeEvent(data: unknown, eventName?: string): Promise<boolean> {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    let frame = eventName === undefined ? '' : `event: ${eventName}\n`;
    for (const line of text.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
    return this.writeRaw(`${frame}\n`);
  }

  /** An SSE comment line (`: text`); clients ignore it. Keeps proxies and idle timers awake. */
  writeComment(text = ''): Promise<boolean> {
    return this.writeRaw(`:${text === '' ? '' : ` ${text}`}\n\n`);
  }

  /** Write pre-framed text. Resolves false (never throws) when the client is gone. */
  async writeRaw(text: string): Promise<boolean> {
    if (!this.#opened) this.open();
    if (this.closed) return false;
    let flushed: boolean;
    try {
      flushed = this.#res.write(text);
    } catch {
      return false;
    }
    if (!flushed) await this.#waitForDrain();
    return !this.closed;
  }

  /**
   * Call `ping` every `intervalMs` until close or disconnect (default: an SSE comment `: ping`).
   * Skips a beat while the socket is still full. Replaces any earlier ping schedule.
   */
  startPings(intervalMs: number, ping?: (writer: SseWriter) => unknown): void {
    this.stopPings();
    if (this.closed) return;
    const tick = () => {
      if (this.closed) {
        this.stopPings();
        return;
      }
      if (this.#res.writableNeedDrain) return;
      try {
        const result = ping ? ping(this) : this.writeComment('ping');
        if (result instanceof Promise) result.catch(() => {});
      } catch {
        // A ping must never break the stream.
      }
    };
    this.#pingTimer = setInterval(tick, intervalMs);
    this.#pingTimer.unref();
  }

  stopPings(): void {
    if (this.#pingTimer !== undefined) {
      clearInterval(this.#pingTimer);
      this.#pingTimer = undefined;
    }
  }

  /** End the response (after pending writes flush). Safe to call more than once or after a disconnect. */
  close(): void {
    this.stopPings();
    if (!this.#opened) this.open();
    if (this.#res.writableEnded || this.#res.destroyed) return;
    try {
      this.#res.end();
    } catch {
      // Already gone.
    }
  }

  #waitForDrain(): Promise<void> {
    if (this.closed || !this.#res.writableNeedDrain) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        this.#drain = undefined;
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
    return this.#drain;
  }
}

/** Turns internal events into wire events; `finished` once the last wire event was returned. Pure: no I/O. */
export interface StreamConverter<E, W> {
  push(event: E): W[];
  readonly finished: boolean;
}

/** The part of a (pino / Fastify) logger the pump uses. */
export interface PumpLogger {
  info(msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PumpSseOptions<E, W> {
  /** The producer. Its first result was already asked for: `first`. */
  events: AsyncIterator<E>;
  /** The producer's first result, or the promise of it while it is still pending (pings run meanwhile). */
  first: IteratorResult<E> | Promise<IteratorResult<E>>;
  converter: StreamConverter<E, W>;
  /** Write one wire event. */
  writeEvent(sse: SseWriter, wire: W): Promise<boolean>;
  /** Written once the converter is finished, just before the response closes (OpenAI: `data: [DONE]`). */
  writeEnd?(sse: SseWriter): Promise<unknown>;
  /** Write a failure as the API's error event (mapping and logging it are the caller's). */
  writeError(sse: SseWriter, err: unknown): Promise<unknown>;
  /** Ping interval; 0 disables. */
  pingIntervalMs: number;
  /** Write one ping; default an SSE comment `: ping`. */
  ping?(sse: SseWriter): unknown;
  log: PumpLogger;
  /** How log lines name this stream and its work, e.g. `{ stream: 'messages stream', work: 'message generation' }`. */
  names: { stream: string; work: string };
}

/**
 * Open the stream and write it from the first event on: each event through the converter to
 * the wire, pings meanwhile. The response closes as soon as the converter is finished, but the
 * producer is still drained so it ends cleanly. A failure becomes the API's error event unless
 * the client left or the stream was already complete; a producer that did not finish gets
 * `return()`. Never throws.
 */
export async function pumpSse<E, W>(sse: SseWriter, options: PumpSseOptions<E, W>): Promise<void> {
  const { events, converter, log, names } = options;
  sse.open();
  if (options.pingIntervalMs > 0) sse.startPings(options.pingIntervalMs, options.ping);
  let result: IteratorResult<E> | undefined;
  try {
    result = await options.first;
    while (!result.done) {
      if (!converter.finished) {
        for (const wire of converter.push(result.value)) await options.writeEvent(sse, wire);
        if (converter.finished) {
          // Let the client go right away; keep draining below so the producer finishes cleanly.
          if (options.writeEnd) await options.writeEnd(sse);
          sse.close();
        }
      }
      if (sse.signal.aborted) break;
      result = await events.next();
    }
    if (!converter.finished && !sse.closed) throw new ApiError('internal', 'The generation ended without a result');
  } catch (err) {
    if (sse.signal.aborted) {
      log.info(`client disconnected during a ${names.stream}`);
    } else if (converter.finished) {
      log.warn({ err }, `${names.work} failed after its stream was complete`);
    } else {
      await options.writeError(sse, err);
    }
  } finally {
    sse.close();
    if (result === undefined || !result.done) {
      // The client left (or we failed) mid-generation: stop the producer. The aborted signal
      // already tells it to stop; return() runs its cleanup.
      void Promise.resolve()
        .then(() => events.return?.())
        .catch(() => {});
    }
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
