// Deterministic prompts of chosen token lengths. Lengths are counted the way the servers
// count them: the chat template rendered (with our ChatTemplate, as our server does), then tokenized by
// llama.cpp itself (node-llama-cpp, vocabulary only) with special tokens parsed.

import { ChatTemplate } from '../src/chat/template.js';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import type { ChatMessage } from './http-client.js';
import { sfc32 } from '../test/fixtures/prng.js';

const WORDS = (
  'time year people way day man thing woman life child world school state family student group country problem hand part ' +
  'place case week company system program question work government number night point home water room mother area money ' +
  'story fact month lot right study book eye job word business issue side kind head house service friend father power hour ' +
  'game line end member law car city community name president team minute idea kid body information back parent face others ' +
  'level office door health person art war history party result change morning reason research girl guy moment air teacher ' +
  'force education river mountain garden window letter music bridge engine market village ocean forest winter summer ' +
  'quickly slowly carefully always never often together really almost already around because before after during under ' +
  'build write read carry open close follow explain remember describe measure compare travel listen answer wonder ' +
  'bright quiet ancient narrow heavy gentle simple strange golden silver hidden distant careful honest clever patient'
).split(' ');

/** Deterministic text for a given seed (the fixtures' generator, scaled to [0, 1)). */
function rng(seed: number): () => number {
  const next = sfc32(seed);
  return () => next() / 4294967296;
}

/** Plain English-looking sentences (about 1.2 tokens per word). */
export function fillerText(seed: number, words: number): string {
  const random = rng(seed);
  const sentences: string[] = [];
  let count = 0;
  while (count < words) {
    const length = 6 + Math.floor(random() * 10);
    const sentence: string[] = [];
    for (let i = 0; i < length; i++) sentence.push(WORDS[Math.floor(random() * WORDS.length)]!);
    const first = sentence[0]!;
    sentence[0] = first[0]!.toUpperCase() + first.slice(1);
    sentences.push(`${sentence.join(' ')}.`);
    count += length;
  }
  return sentences.join(' ');
}

export class PromptBuilder {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly template: ChatTemplate,
  ) {}

  static async create(modelPath: string, templateText: string): Promise<PromptBuilder> {
    const llama = await getLlama({ build: 'never' });
    const model = await llama.loadModel({ modelPath, vocabOnly: true });
    return new PromptBuilder(llama, model, new ChatTemplate(templateText, { bosToken: '', eosToken: '<|im_end|>' }));
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
    await this.llama.dispose();
  }

  render(messages: ChatMessage[]): string {
    return this.template.render({ messages });
  }

  /** Tokens of the rendered prompt, as a server counts them. */
  promptTokens(messages: ChatMessage[]): number {
    return this.model.tokenize(this.render(messages), true).length;
  }

  /** About `tokens` tokens of filler text (exact after re-tokenizing, within a token or two). */
  text(seed: number, tokens: number): string {
    if (tokens <= 0) return '';
    const all = this.model.tokenize(fillerText(seed, Math.ceil(tokens * 1.2) + 20), false);
    return this.model.detokenize(all.slice(0, tokens) as Token[]).trim();
  }

  /**
   * Fills `messages[index].content` (appended to what is there) so the whole rendered
   * prompt is `target` tokens.
   */
  fitTo(messages: ChatMessage[], index: number, target: number, seed: number): ChatMessage[] {
    const base = messages[index]!.content;
    const withFill = (fill: number): ChatMessage[] =>
      messages.map((message, i) => (i === index ? { ...message, content: `${base}${base ? ' ' : ''}${this.text(seed, fill)}` } : message));
    let fill = Math.max(0, target - this.promptTokens(messages));
    let best = withFill(fill);
    for (let attempt = 0; attempt < 6; attempt++) {
      const diff = target - this.promptTokens(best);
      if (diff === 0) break;
      fill = Math.max(0, fill + diff);
      best = withFill(fill);
    }
    return best;
  }
}

/** A system message that makes the prompt start differently from every other prompt (no prefix reuse). */
export function uniqueSystem(tag: string): ChatMessage {
  return { role: 'system', content: `Session ${tag}. You are a helpful assistant. Answer at length.` };
}

export interface PromptSet {
  /** Cold prefill: `prefill` tokens in all. */
  prefill: ChatMessage[];
  /** Decode: a short prompt asking for a long answer. */
  decode: ChatMessage[];
  /** A multi-turn conversation of `conversation` tokens (cold TTFT)... */
  conversation: ChatMessage[];
  /** ...and the same conversation with the assistant's reply and one new user turn (hot TTFT). */
  conversationNext: ChatMessage[];
  /** Concurrent streams: different short prompts. */
  streams: ChatMessage[][];
}

export interface PromptSizes {
  prefill: number;
  conversation: number;
  turns: number;
  streams: number;
}

/** All prompts for one repetition; `rep` makes every prompt of that repetition unique. */
export function buildPromptSet(builder: PromptBuilder, rep: number, sizes: PromptSizes): PromptSet {
  const seed = 1000 * (rep + 1);
  const prefill = builder.fitTo([uniqueSystem(`prefill-${rep}`), { role: 'user', content: 'Summarize the following notes:' }], 1, sizes.prefill, seed + 1);
  const decode: ChatMessage[] = [uniqueSystem(`decode-${rep}`), { role: 'user', content: `Tell me a long story about ${builder.text(seed + 2, 12)}` }];

  // user, assistant, user, ... user: `turns` user turns; the last one is sized so the whole prompt hits the target.
  const conversation: ChatMessage[] = [uniqueSystem(`conversation-${rep}`)];
  const perTurn = Math.floor(sizes.conversation / (sizes.turns * 2));
  for (let turn = 0; turn < sizes.turns; turn++) {
    conversation.push({ role: 'user', content: `Question ${turn + 1}: ${builder.text(seed + 10 + turn, perTurn)}` });
    if (turn < sizes.turns - 1) conversation.push({ role: 'assistant', content: builder.text(seed + 50 + turn, perTurn) });
  }
  const fitted = builder.fitTo(conversation, conversation.length - 1, sizes.conversation, seed + 99);
  const conversationNext: ChatMessage[] = [
    ...fitted,
    { role: 'assistant', content: builder.text(seed + 100, 40) },
    { role: 'user', content: `One more question: ${builder.text(seed + 101, 30)}` },
  ];

  const streams = Array.from({ length: sizes.streams }, (_, i): ChatMessage[] => [
    uniqueSystem(`stream-${rep}-${i}`),
    { role: 'user', content: `Tell me a long story about ${builder.text(seed + 200 + i, 12)}` },
  ]);
  return { prefill, decode, conversation: fitted, conversationNext, streams };
}
