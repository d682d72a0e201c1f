// Multi-turn prefix reuse on the fixture architectures: three turns of a conversation through
// the OpenAI API at temperature 0 (the Qwen3.5 template drops the previous turn's empty think
// block, so turn 2 diverges inside the history), then the last turn again on a cold server:
// the text must be the same. Prints cached tokens per turn.
//   npx tsx bench/probes/probe-arch-reuse.ts [arch…] [--answer N]
import OpenAI from 'openai';
import { parseArgs } from 'node:util';
import { makeArchModel, type FixtureArchitecture } from '../../test/fixtures/arch-models.js';
import { startTestServer } from '../../test/helpers/server.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: 'string', default: '512' },
    thinking: { type: 'boolean', default: false },
    answer: { type: 'string', default: '40' },
    ctx: { type: 'string', default: '4096' },
  },
});
const answerTokens = Number(values.answer);
const thinking = values.thinking;
const archs = (positionals.length ? positionals : ['qwen3moe', 'gemma3', 'lfm2']) as FixtureArchitecture[];
const HISTORY = Array.from({ length: 30 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');

async function turn(url: string, messages: OpenAI.ChatCompletionMessageParam[]) {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
  const started = performance.now();
  const body = { model: 'm', messages, max_tokens: answerTokens, temperature: 0, ...(thinking ? {} : { chat_template_kwargs: { enable_thinking: false } }) };
  const c = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
  return { text: c.choices[0]!.message.content ?? '', usage: c.usage!, ms: performance.now() - started };
}

for (const arch of archs) {
  const model = await makeArchModel({ arch });
  const server = await startTestServer({ model: model.path, nCtx: Number(values.ctx), parallel: 1, nBatch: Number(values.batch) });
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: `${HISTORY}\nSummarise.` },
  ];
  const rows: string[] = [];
  let last = '';
  for (let t = 1; t <= 3; t++) {
    const r = await turn(server.url, messages);
    rows.push(`turn ${t}: answer ${r.usage.completion_tokens} prompt ${r.usage.prompt_tokens} cached ${r.usage.prompt_tokens_details?.cached_tokens ?? 0} ${Math.round(r.ms)} ms`);
    last = r.text;
    if (process.env.EACH_COLD) {
      const coldEach = await startTestServer({ model: model.path, nCtx: Number(values.ctx), parallel: 1, nBatch: Number(values.batch) });
      const ce = await turn(coldEach.url, messages);
      await coldEach.stop();
      rows.push(`cold-equal ${ce.text === r.text}`);
    }
    if (t < 3) messages.push({ role: 'assistant', content: r.text }, { role: 'user', content: `Question ${t}: and then?` });
  }
  await server.stop();
  const cold = await startTestServer({ model: model.path, nCtx: Number(values.ctx), parallel: 1, nBatch: Number(values.batch) });
  const c = await turn(cold.url, messages);
  await cold.stop();
  console.log(arch, rows.join(' | '), '| equal to cold:', c.text === last, c.text === last ? '' : JSON.stringify({ warm: last.slice(0, 60), cold: c.text.slice(0, 60) }));
}
