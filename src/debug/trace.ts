// `--debug`: four snapshots per request under logs/, so a user can see exactly what went in
// and what came out when a model misbehaves:
//   1-request.json    the request as received (credentials removed)
//   2-prompt.txt      the rendered prompt exactly as tokenized, with token counts and route
//   3-raw-output.txt  the model's raw output, markup included, plus parser notes
//   4-response.json   the response as sent (for streams: the events)
// Folders are 0700 and files 0600; secrets never reach them (headers dropped, known secret
// values scrubbed from every byte written).

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenerationTrace, PromptInfo } from '../chat/types.js';
import { parseSse } from './sse-events.js';

/** Header names whose values are credentials, or may carry them. */
const SECRET_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie)$|token|secret|key|auth/i;

export interface TraceRequest {
  requestId: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export class DebugTraces {
  private readonly secrets: string[];

  /** `secrets`: values (API keys, tokens) to scrub wherever they appear. */
  constructor(
    readonly dir: string,
    secrets: readonly (string | undefined)[] = [],
  ) {
    this.secrets = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= 4).flatMap(spellings);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  start(request: TraceRequest): RequestTrace {
    const folder = join(this.dir, `${timestamp(new Date())}-${request.requestId.replace(/[^\w.-]/g, '_')}`);
    mkdirSync(folder, { mode: 0o700 });
    // mkdir's mode is filtered by the umask; make sure of it.
    chmodSync(folder, 0o700);
    const trace = new RequestTrace(folder, (text) => this.scrub(text));
    trace.writeRequest(request);
    return trace;
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[REDACTED]');
    return out;
  }
}

export class RequestTrace implements GenerationTrace {
  private promptText: string | undefined;
  private promptInfo: PromptInfo = {};
  private raw = '';
  private readonly notes: string[] = [];
  private readonly sent: string[] = [];
  private status = 0;
  private headers: Record<string, unknown> = {};
  private finished = false;

  constructor(
    readonly folder: string,
    private readonly scrub: (text: string) => string,
  ) {}

  writeRequest(request: TraceRequest): void {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !SECRET_HEADER.test(name)));
    this.write('1-request.json', JSON.stringify({ method: request.method, url: request.url, requestId: request.requestId, headers, body: request.body }, null, 2));
  }

  prompt(text: string, info: PromptInfo = {}): void {
    this.promptText = text;
    this.promptInfo = { ...this.promptInfo, ...info };
  }

  promptDetails(info: PromptInfo): void {
    this.promptInfo = { ...this.promptInfo, ...info };
  }

  rawOutput(text: string): void {
    this.raw += text;
  }

  note(message: string, details?: Record<string, unknown>): void {
    this.notes.push(details ? `${message} ${JSON.stringify(details)}` : message);
  }

  /** Bytes of the HTTP response body, as written. */
  responseChunk(chunk: string): void {
    this.sent.push(chunk);
  }

  responseHead(status: number, headers: Record<string, unknown>): void {
    this.status = status;
    this.headers = headers;
  }

  /** Write the remaining snapshots; called once the response is over (sent, failed or abandoned). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.promptText !== undefined) {
      const info = Object.entries(this.promptInfo)
        .map(([key, value]) => `# ${key}: ${value}`)
        .join('\n');
      this.write('2-prompt.txt', `${info}\n# ---- prompt (exactly as tokenized) ----\n${this.promptText}`);
      const notes = this.notes.length ? `\n\n# ---- parser notes ----\n${this.notes.map((note) => `# ${note}`).join('\n')}\n` : '';
      this.write('3-raw-output.txt', `${this.raw}${notes}`);
    }
    this.write('4-response.json', JSON.stringify(this.response(), null, 2));
  }

  private response(): Record<string, unknown> {
    const body = this.sent.join('');
    const type = String(this.headers['content-type'] ?? '');
    const head = { status: this.status, contentType: type };
    if (type.startsWith('text/event-stream')) return { ...head, events: parseSse(body) };
    try {
      return { ...head, body: JSON.parse(body) as unknown };
    } catch {
      return { ...head, body };
    }
  }

  private write(name: string, text: string): void {
    const path = join(this.folder, name);
    writeFileSync(path, this.scrub(text), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
}

/** 20261125-071502.123: sorts by time, readable, safe in file names. */
function timestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * The ways a secret can appear in what a trace writes: as is, inside a JSON string (a key with
 * `"` or `\` is escaped there, and the raw form was not found: issue 15), inside a JSON string
 * inside a JSON string, and percent-encoded in a URL. Longest first, so one is not cut by another.
 */
function spellings(secret: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const forms = new Set([secret, json(secret), json(json(secret)), encodeURIComponent(secret), json(encodeURIComponent(secret))]);
  return [...forms].sort((a, b) => b.length - a.length);
}
