// One `--debug` trace folder as the status page shows it: the four snapshots read back from
// disk (what the server wrote is what the page shows; secrets were scrubbed when written) and
// parsed into their parts — the prompt's details and text, the raw output and the parser's
// notes. A name is only ever looked up inside the traces folder.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface TraceView {
  name: string;
  /** 1-request.json: the request as received, credentials removed. */
  request: unknown;
  /** 2-prompt.txt: its `# key: value` lines, and the prompt exactly as tokenized. */
  promptInfo: Record<string, string>;
  prompt: string | null;
  /** Characters at the start of the prompt served from the KV cache, when measured. */
  reusedChars: number | null;
  /** 3-raw-output.txt: the model's output, markup included, and the parser's notes. */
  rawOutput: string | null;
  notes: string[];
  /** 4-response.json: the response as sent. */
  response: unknown;
  /** Files cut at MAX_FILE_BYTES. */
  truncated: string[];
}

/** The page shows at most this much of one snapshot; the file on disk stays whole. */
export const MAX_FILE_BYTES = 4 * 2 ** 20;

const NAME = /^[\w.-]{1,200}$/;
const PROMPT_RULE = '# ---- prompt (exactly as tokenized) ----\n';
const NOTES_RULE = '\n\n# ---- parser notes ----\n';

/** The trace named `name` under `dir`, or undefined when there is none (or the name could leave `dir`). */
export function readTrace(dir: string, name: string): TraceView | undefined {
  if (!NAME.test(name) || name === '.' || name === '..') return undefined;
  const folder = join(dir, name);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return undefined;
  const truncated: string[] = [];
  const read = (file: string): string | null => {
    const path = join(folder, file);
    if (!existsSync(path)) return null;
    const bytes = readFileSync(path);
    if (bytes.length <= MAX_FILE_BYTES) return bytes.toString('utf8');
    truncated.push(file);
    return bytes.subarray(0, MAX_FILE_BYTES).toString('utf8');
  };
  const { info, prompt } = splitPrompt(read('2-prompt.txt'));
  const { raw, notes } = splitRawOutput(read('3-raw-output.txt'));
  const reused = Number(info.reusedChars);
  return {
    name,
    request: parseJson(read('1-request.json')),
    promptInfo: info,
    prompt,
    reusedChars: info.reusedChars !== undefined && Number.isFinite(reused) && prompt !== null ? Math.min(reused, prompt.length) : null,
    rawOutput: raw,
    notes,
    response: parseJson(read('4-response.json')),
    truncated,
  };
}

function splitPrompt(text: string | null): { info: Record<string, string>; prompt: string | null } {
  if (text === null) return { info: {}, prompt: null };
  const at = text.indexOf(PROMPT_RULE);
  const head = at === -1 ? '' : text.slice(0, at);
  const info: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const match = /^# ([\w.-]+): (.*)$/.exec(line);
    if (match) info[match[1]!] = match[2]!;
  }
  return { info, prompt: at === -1 ? text : text.slice(at + PROMPT_RULE.length) };
}

function splitRawOutput(text: string | null): { raw: string | null; notes: string[] } {
  if (text === null) return { raw: null, notes: [] };
  const at = text.lastIndexOf(NOTES_RULE);
  if (at === -1) return { raw: text, notes: [] };
  const notes = text
    .slice(at + NOTES_RULE.length)
    .split('\n')
    .filter((line) => line.startsWith('# '))
    .map((line) => line.slice(2));
  return { raw: text.slice(0, at), notes };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
