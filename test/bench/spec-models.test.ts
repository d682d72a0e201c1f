// The speculative-decoding bench's models (bench/spec-models.ts), small version (2 inert layers,
// no minimum width), through real llama.cpp: greedy decoding after each workload's rendered prompt
// writes exactly that workload's answer, and the draft model agrees with it on most tokens.

import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplate } from '../../src/chat/template.js';
import { fixtureLlama } from '../fixtures/models.js';
import { DRAFT_WRONG_EVERY, editedFile, SOURCE_FILE, specModels, WORKLOADS, type SpecModels, type Workload } from '../../bench/spec-models.js';

const opened: { model: LlamaModel; context: LlamaContext }[] = [];
afterAll(async () => {
  for (const { model, context } of opened) {
    await context.dispose();
    await model.dispose();
  }
});

async function load(path: string): Promise<{ model: LlamaModel; sequence: LlamaContextSequence }> {
  const llama = await fixtureLlama();
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 2048, threads: 1 });
  opened.push({ model, context });
  return { model, sequence: context.getSequence() };
}

/** Greedy tokens after the workload's prompt (with a system message of its own), up to the end token. */
async function greedy(loaded: { model: LlamaModel; sequence: LlamaContextSequence }, template: ChatTemplate, workload: Workload, tag: string, max: number) {
  const prompt = template.render({ messages: workload.messages(tag) } as Parameters<ChatTemplate['render']>[0]);
  await loaded.sequence.clearHistory();
  const tokens: number[] = [];
  for await (const token of loaded.sequence.evaluate(loaded.model.tokenize(prompt, true), { temperature: 0 })) {
    if (loaded.model.isSpecialToken(token)) break;
    tokens.push(token);
    if (tokens.length >= max) break;
  }
  return tokens;
}

describe('speculative-decoding bench models (small version)', { timeout: 600_000 }, () => {
  let models: SpecModels;
  let template: ChatTemplate;
  beforeAll(async () => {
    models = await specModels('small');
    template = new ChatTemplate(models.template, { bosToken: '', eosToken: '<|im_end|>' });
  });

  it('the edit answer is the source file with three lines changed', () => {
    const before = SOURCE_FILE.split('\n');
    const after = editedFile().split('\n');
    expect(WORKLOADS.edit.answer).toBe(`\`\`\`python\n${editedFile()}\`\`\``);
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i])).toHaveLength(3);
    expect(models.answerTokens.edit).toBeGreaterThan(400);
    expect(models.answerTokens.prose).toBeGreaterThan(200);
  });

  it('the target writes each workload answer after its prompt, whatever the system message', async () => {
    const target = await load(models.target.path);
    expect(models.target.nLayer).toBe(3);
    // The prompt holds the file in the same tokens as the answer's unchanged lines (what n-gram speculation needs).
    const promptTokens = target.model.tokenize(template.render({ messages: WORKLOADS.edit.messages('a') } as Parameters<ChatTemplate['render']>[0]), true).join(',');
    const fileStart = target.model.tokenize(SOURCE_FILE.slice(0, SOURCE_FILE.indexOf('    quantity')), false);
    expect(promptTokens).toContain(models.target.scriptsTokens[0]!.slice(3, fileStart.length).join(','));
    for (const workload of [WORKLOADS.edit, WORKLOADS.prose]) {
      for (const tag of ['a', 'rep-2']) {
        const tokens = await greedy(target, template, workload, tag, models.answerTokens[workload.name] + 10);
        expect(target.model.detokenize(tokens as Token[], true)).toBe(workload.answer);
      }
    }
  });

  it('the draft agrees with the target on most tokens, not all', async () => {
    const draft = await load(models.draft.path);
    const targetTokens = models.target.scriptsTokens;
    for (const [i, workload] of [WORKLOADS.edit, WORKLOADS.prose].entries()) {
      const script = targetTokens[i]!;
      // Teacher-forced: the draft's prediction at each answer position, given the right tokens so far.
      const prompt = template.render({ messages: workload.messages('draft') } as Parameters<ChatTemplate['render']>[0]);
      const ids = [...draft.model.tokenize(prompt, true), ...script] as Token[];
      await draft.sequence.clearHistory();
      const promptLength = ids.length - script.length;
      const results = await draft.sequence.controlledEvaluate(
        ids.map((token, at) => (at >= promptLength - 1 && at < ids.length - 1 ? [token, { generateNext: { token: true } }] : token)),
      );
      let agree = 0;
      for (let at = promptLength - 1; at < ids.length - 1; at++) if (results[at]?.next?.token === ids[at + 1]) agree++;
      const rate = agree / script.length;
      expect(rate).toBeGreaterThan(1 - 1.5 / DRAFT_WRONG_EVERY);
      expect(rate).toBeLessThan(1);
    }
  });
});
