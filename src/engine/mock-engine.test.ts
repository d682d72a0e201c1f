import { getEventListeners } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContextOverflowError, FatalError } from '../errors.js';
import { loadMockScript, MockEngine } from './mock-engine.js';
import type { CompletionEvent } from './types.js';

async function collect(events: AsyncIterable<CompletionEvent>) {
  const all: CompletionEvent[] = [];
  for await (const event of events) all.push(event);
  const text = all.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
  return { all, text, done: all.at(-1) };
}

describe('MockEngine', () => {
  it('streams the scripted response matched against the prompt', async () => {
    const engine = new MockEngine({
      script: { tokenDelayMs: 0, responses: [{ match: 'weather', output: 'Sunny.' }, { output: 'Default answer.' }] },
    });
    expect((await collect(engine.complete({ id: 'a', prompt: 'what is the weather', sampling: {} }))).text).toBe('Sunny.');
    const other = await collect(engine.complete({ id: 'b', prompt: 'hello', sampling: {} }));
    expect(other.text).toBe('Default answer.');
    expect(other.done).toMatchObject({ type: 'done', stop: 'end', usage: { promptTokens: 1, completionTokens: 4 } });
  });

  it('honours max tokens and stop strings', async () => {
    const engine = new MockEngine({ script: { tokenDelayMs: 0, responses: [{ output: 'one two three four' }] } });
    const limited = await collect(engine.complete({ id: 'a', prompt: 'x', maxTokens: 3, sampling: {} }));
    expect(limited.text).toBe('one two');
    expect(limited.done).toMatchObject({ stop: 'max_tokens' });
    const stopped = await collect(engine.complete({ id: 'b', prompt: 'x', stop: ['three'], sampling: {} }));
    expect(stopped.text).toBe('one two ');
    expect(stopped.done).toMatchObject({ stop: 'stop_sequence', stopSequence: 'three' });
  });

  it('reports a shared prompt prefix as cached', async () => {
    const engine = new MockEngine({ slots: 1 });
    await collect(engine.complete({ id: 'a', prompt: 'a long shared system prompt then one question', sampling: {} }));
    const second = await collect(engine.complete({ id: 'b', prompt: 'a long shared system prompt then another question', sampling: {} }));
    expect(second.all[0]).toMatchObject({ type: 'accepted', cachedTokens: 12 });
  });

  it('rejects a prompt larger than the context', async () => {
    const engine = new MockEngine({ slotContextSize: 4 });
    await expect(collect(engine.complete({ id: 'a', prompt: 'one two three', sampling: {} }))).rejects.toBeInstanceOf(ContextOverflowError);
  });

  it('validates script files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-script-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ responses: [] }));
    expect(() => loadMockScript(join(dir, 'bad.json'))).toThrow(FatalError);
    writeFileSync(join(dir, 'regex.json'), JSON.stringify({ responses: [{ match: '(', output: 'x' }] }));
    expect(() => loadMockScript(join(dir, 'regex.json'))).toThrow(/responses.0.match/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ responses: [{ output: 'x' }] }));
    expect(loadMockScript(join(dir, 'ok.json'))).toEqual({ tokenDelayMs: 0, responses: [{ output: 'x' }] });
  });

  it('leaves no abort listener behind per token', async () => {
    const engine = new MockEngine({ script: { tokenDelayMs: 1, responses: [{ output: 'a b c d e f g h i j k l m n o p' }] } });
    const controller = new AbortController();
    await collect(engine.complete({ id: 'a', prompt: 'x', sampling: {}, signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
  });
});
