// Speculative decoding under real inference: a scripted model (test/fixtures) rewrites a file
// it was shown with a few lines changed, so prompt lookup drafts long runs it agrees with.
// Whatever the drafts, the output must be exactly what plain decoding gives at temperature 0:
// alone, under a forced grammar and a lazy tool-call grammar, with penalties, with four slots
// decoding together; and a cancelled request frees its slot mid-draft.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleCache } from '../../src/engine/caches.js';
import { LlamaEngine } from '../../src/engine/llama-engine.js';
import type { SpeculationOptions } from '../../src/engine/speculation/options.js';
import type { CompletionRequest, CompletionUsage } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { vocabPath } from '../fixtures/llama-cpp-source.js';
import { makeContextScriptedModel, makeScriptedModel } from '../fixtures/models.js';
import { CALL, EDITED, ORIGINAL, PROMPT, SCRIPT } from '../fixtures/edit-script.js';

const NGRAM: SpeculationOptions = { type: 'ngram', max: 16, min: 0 };

// The draft model knows the script but for two lines (it guesses the original ones there).
const DRAFT_SCRIPT = `${EDITED.map((line, i) => (i === 3 || i === 13 ? ORIGINAL[i]! : line)).join('\n')}\n${CALL}`;

let modelPath: string;
let draftPath: string;
let plain: LlamaEngine;
let speculative: LlamaEngine;
let drafting: LlamaEngine;

beforeAll(async () => {
  modelPath = (await makeContextScriptedModel({ script: SCRIPT, memory: 4, spelling: 'canonical' })).path;
  draftPath = (await makeContextScriptedModel({ script: DRAFT_SCRIPT, memory: 4, spelling: 'canonical' })).path;
  const load = (speculation?: SpeculationOptions) =>
    LlamaEngine.load({ modelPath, caches: [singleCache(4, 1024, 8)], threads: 1, logger: silentLogger, ...(speculation ? { speculation } : {}) });
  plain = await load();
  speculative = await load(NGRAM);
  drafting = await load({ type: 'draft', max: 8, min: 0, draftModel: draftPath });
}, 300_000);

afterAll(async () => {
  await plain?.close();
  await speculative?.close();
  await drafting?.close();
});

interface Result {
  text: string;
  stop: string;
  usage: CompletionUsage;
}

async function run(engine: LlamaEngine, request: Partial<CompletionRequest> = {}): Promise<Result> {
  let text = '';
  let stop = '';
  let usage: CompletionUsage | undefined;
  for await (const event of engine.complete({ id: 'spec', prompt: PROMPT, maxTokens: 400, sampling: { temperature: 0 }, ...request })) {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'done') {
      stop = event.stop;
      usage = event.usage;
    }
  }
  return { text, stop, usage: usage! };
}

describe('speculative decoding (prompt lookup)', () => {
  it('writes exactly what plain decoding writes, in fewer steps', async () => {
    const expected = await run(plain);
    expect(expected.text).toBe(SCRIPT);
    const drafted = await run(speculative);
    expect(drafted.text).toBe(expected.text);
    expect(drafted.stop).toBe(expected.stop);
    expect(drafted.usage.completionTokens).toBe(expected.usage.completionTokens);
    expect(expected.usage.speculative).toBeUndefined();
    // Most of the file is in the prompt: most of the output came from confirmed drafts.
    const { accepted, drafted: proposed } = drafted.usage.speculative!;
    expect(accepted).toBeGreaterThan(expected.usage.completionTokens / 2);
    expect(proposed).toBeGreaterThanOrEqual(accepted);
  });

  it('agrees under a forced grammar, which also cuts drafts it refuses', async () => {
    // The script itself, literally: each drafted position must be sampled under the grammar
    // state after the draft before it, or the grammar would hold the model to the wrong text.
    const grammar = `root ::= ${JSON.stringify(SCRIPT)}`;
    const expected = await run(plain, { constraint: { type: 'gbnf', grammar } });
    expect(expected.text).toBe(SCRIPT);
    const free = await run(speculative);
    const drafted = await run(speculative, { constraint: { type: 'gbnf', grammar } });
    expect(drafted.text).toBe(expected.text);
    const { accepted, drafted: proposed } = drafted.usage.speculative!;
    expect(accepted).toBeGreaterThan(expected.usage.completionTokens / 2);
    // Drafts of the original lines where the edit changed them are cut, not verified.
    expect(proposed - accepted).toBeLessThan(free.usage.speculative!.drafted - free.usage.speculative!.accepted);
  });

  it('agrees with a lazy tool-call grammar that the call triggers', async () => {
    const grammar = 'root ::= "<tool_call>\\n{\\"name\\": \\"save\\", \\"arguments\\": " obj "}\\n</tool_call>"\nobj ::= "{" [^}]* "}"';
    const constraint = { type: 'lazy_gbnf' as const, grammar, triggers: [{ text: '<tool_call>' }] };
    const expected = await run(plain, { constraint });
    expect(expected.text).toBe(SCRIPT);
    const drafted = await run(speculative, { constraint });
    expect(drafted.text).toBe(expected.text);
    expect(drafted.usage.speculative!.accepted).toBeGreaterThan(0);
  });

  it('agrees with repeat penalties, each drafted position judged by its own window', async () => {
    // Stronger than the scripted model's margin: the penalties change what it writes.
    const sampling = { temperature: 0, presencePenalty: 45 };
    const expected = await run(plain, { sampling });
    expect(expected.text).not.toBe(SCRIPT);
    const drafted = await run(speculative, { sampling });
    expect(drafted.text).toBe(expected.text);
  });

  it('agrees with a stop string met inside a confirmed draft', async () => {
    const stop = [EDITED[6]!.slice(3, 9)];
    const expected = await run(plain, { stop });
    expect(expected.stop).toBe('stop_sequence');
    const drafted = await run(speculative, { stop });
    expect(drafted).toMatchObject({ text: expected.text, stop: 'stop_sequence' });
    expect(drafted.usage.speculative!.accepted).toBeGreaterThan(0);
  });

  it('agrees when a thinking budget closes thinking for the model', async () => {
    const thinking = { open: '<think>', close: '</think>', startOpen: true, budget: 40, closeWith: '\n</think>\n\n' };
    const expected = await run(plain, { thinking, maxTokens: 120 });
    expect(expected.text).toContain('</think>');
    const drafted = await run(speculative, { thinking, maxTokens: 120 });
    expect(drafted.text).toBe(expected.text);
    expect(drafted.usage.completionTokens).toBe(expected.usage.completionTokens);
  });

  it('samples with a temperature and a seed (the scripted model is sure of every token)', async () => {
    const sampling = { temperature: 0.8, seed: 42 };
    expect((await run(speculative, { sampling })).text).toBe((await run(plain, { sampling })).text);
  });

  it('agrees with four slots decoding together', async () => {
    const expected = await run(plain);
    const results = await Promise.all([0, 1, 2, 3].map((i) => run(speculative, { id: `s${i}` })));
    for (const result of results) expect(result.text).toBe(expected.text);
    expect(speculative.slots().every((slot) => !slot.busy)).toBe(true);
  });

  it('frees the slot when a request is cancelled mid-draft, and the next one is still right', async () => {
    const controller = new AbortController();
    let received = '';
    await expect(
      (async () => {
        for await (const event of speculative.complete({ id: 'cancel', prompt: PROMPT, maxTokens: 400, sampling: { temperature: 0 }, signal: controller.signal })) {
          if (event.type === 'text') {
            received += event.text;
            // Past the first line the drafts are running.
            if (received.length > 40) controller.abort();
          }
        }
      })(),
    ).rejects.toThrow();
    expect(received.length).toBeLessThan(SCRIPT.length);
    expect(speculative.slots().every((slot) => !slot.busy)).toBe(true);
    const after = await run(speculative);
    expect(after.text).toBe(SCRIPT);
  });
});

describe('speculative decoding (draft model)', () => {
  it('writes exactly what plain decoding writes, most tokens drafted by the small model', async () => {
    const expected = await run(plain);
    const drafted = await run(drafting);
    expect(drafted.text).toBe(expected.text);
    const { accepted, drafted: proposed } = drafted.usage.speculative!;
    expect(accepted).toBeGreaterThan(expected.usage.completionTokens / 2);
    // Where the draft model has other lines, its guesses are refuted.
    expect(proposed).toBeGreaterThan(accepted);
  });

  it('agrees under a grammar and with four slots decoding together', async () => {
    const grammar = `root ::= ${JSON.stringify(SCRIPT)}`;
    const expected = await run(plain, { constraint: { type: 'gbnf', grammar } });
    expect((await run(drafting, { constraint: { type: 'gbnf', grammar } })).text).toBe(expected.text);
    const results = await Promise.all([0, 1, 2, 3].map((i) => run(drafting, { id: `d${i}` })));
    for (const result of results) expect(result.text).toBe(SCRIPT);
  });

  it('frees the slot when cancelled mid-draft', async () => {
    const controller = new AbortController();
    let received = '';
    await expect(
      (async () => {
        for await (const event of drafting.complete({ id: 'cancel', prompt: PROMPT, maxTokens: 400, sampling: { temperature: 0 }, signal: controller.signal })) {
          if (event.type === 'text') {
            received += event.text;
            if (received.length > 40) controller.abort();
          }
        }
      })(),
    ).rejects.toThrow();
    expect(drafting.slots().every((slot) => !slot.busy)).toBe(true);
    expect((await run(drafting)).text).toBe(SCRIPT);
  });

  it("is refused at start-up when its vocabulary is not the model's, naming the difference", async () => {
    const other = await makeScriptedModel({ vocab: { gguf: vocabPath('qwen2') }, script: 'hello' });
    await expect(
      LlamaEngine.load({ modelPath, caches: [singleCache(1, 256, 1)], threads: 1, logger: silentLogger, speculation: { type: 'draft', max: 8, min: 0, draftModel: other.path } }),
    ).rejects.toThrow(/The draft model .* cannot draft for this model: .*same vocabulary/);
  });
});
