import { describe, expect, it } from 'vitest';
import { GeneratedOutput } from './generated-output.js';
import type { CompletionRequest } from './types.js';

/** A fake vocabulary: each token id stands for a byte string, registered on first use. */
class Vocab {
  private readonly pieces: Buffer[] = [];

  id(piece: string | number[]): number {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
    const known = this.pieces.findIndex((each) => each.equals(bytes));
    if (known !== -1) return known;
    return this.pieces.push(bytes) - 1;
  }

  readonly detokenize = (tokens: readonly number[]): string => Buffer.concat(tokens.map((token) => this.pieces[token]!)).toString('utf8');

  /** What the engine's tokenizer does for text it writes itself: here, one token for all of it. */
  readonly tokenize = (text: string): number[] => [this.id(text)];
}

type Options = Pick<CompletionRequest, 'stop' | 'thinking' | 'constraint'>;

function setup(options: Options = {}) {
  const vocab = new Vocab();
  const output = new GeneratedOutput(options, vocab.detokenize);
  /** Push pieces (strings, or raw bytes); the steps they produced. */
  const push = (...pieces: (string | number[])[]) => pieces.map((piece) => output.push(vocab.id(piece)));
  return { vocab, output, push };
}

const EURO = [...Buffer.from('€')]; // e2 82 ac
const LAZY: Options = { constraint: { type: 'lazy_gbnf', grammar: 'root ::= "x"', triggers: [{ text: '<tool_call>' }] } };

describe('GeneratedOutput', () => {
  it('emits text as tokens decode, holding back a character split across tokens', () => {
    const { output, push } = setup();
    expect(push('a', [EURO[0]!], EURO.slice(1), 'b')).toEqual([{ emit: 'a' }, { emit: '' }, { emit: '€' }, { emit: 'b' }]);
    expect(output.tokens).toHaveLength(4);
    expect(output.flush()).toBe('');
  });

  it('cuts at a stop string, holding back the part that could begin one', () => {
    const { push } = setup({ stop: ['STOP'] });
    expect(push('Hi ', 'ST', 'OP', 'more')).toEqual([{ emit: 'Hi ' }, { emit: '' }, { emit: '', stopSequence: 'STOP' }, { emit: 'more' }]);
  });

  it('releases held-back text that does not become a stop string', () => {
    const { push } = setup({ stop: ['STOP'] });
    expect(push('ST', 'AR')).toEqual([{ emit: '' }, { emit: 'STAR' }]);
  });

  describe('a tool-call trigger', () => {
    it('is reported at its text offset, nothing of it emitted', () => {
      const { push } = setup(LAZY);
      expect(push('Hello', ' see<tool', '_call>')).toEqual([{ emit: 'Hello' }, { emit: ' see' }, { emit: '', triggerAt: 9 }]);
    });

    it('rewinds to the trigger: whole tokens before it kept, the text before it in its token tokenized again', () => {
      const { vocab, output, push } = setup(LAZY);
      push('Hello', ' see<tool', '_call>');
      const kept = output.rewindTo(9, vocab.tokenize);
      expect(kept).toEqual({ tokens: [vocab.id('Hello')], prefix: [vocab.id(' see')] });
      expect(output.tokens).toEqual([vocab.id('Hello'), vocab.id(' see')]);
      // From here the grammar writes the trigger; nothing is watched or held back any more.
      expect(push('<tool_call>', '{}')).toEqual([{ emit: '<tool_call>' }, { emit: '{}' }]);
      expect(output.flush()).toBe('');
    });

    it('rewinds to a token boundary with nothing to tokenize again', () => {
      const { vocab, output, push } = setup(LAZY);
      expect(push('Hi ', '<tool_call>')).toEqual([{ emit: 'Hi ' }, { emit: '', triggerAt: 3 }]);
      expect(output.rewindTo(3, vocab.tokenize)).toEqual({ tokens: [vocab.id('Hi ')], prefix: [] });
      expect(output.tokens).toEqual([vocab.id('Hi ')]);
    });

    it('does not count inside thinking, unless the constraint says so', () => {
      const thinking = { open: '<think>', close: '</think>', startOpen: true };
      const { push } = setup({ ...LAZY, thinking });
      expect(push('plan <tool_call>', '</think>', ' <tool_call>')).toEqual([{ emit: 'plan <tool_call>' }, { emit: '</think>' }, { emit: ' ', triggerAt: 25 }]);

      const inside = setup({ constraint: { type: 'lazy_gbnf', grammar: 'root ::= "x"', triggers: [{ text: '<tool_call>' }], insideThinking: true }, thinking });
      expect(inside.push('plan <tool_call>')).toEqual([{ emit: 'plan ', triggerAt: 5 }]);
    });

    it('wins over a stop string found in the same token', () => {
      const { push } = setup({ ...LAZY, stop: ['STOP'] });
      expect(push('a <tool_call>STOP')).toEqual([{ emit: 'a ', triggerAt: 2 }]);
    });

    // Issue 14: GLM-4.7 ends its reasoning with `</think>` and starts a call right after; a
    // byte-level vocabulary spells `</think><tool_call>` as `.</` `think` `><` `tool` `_call` `>`,
    // so the trigger starts inside `><`. The grammar takes the output from the trigger on as
    // sampled (llama.cpp's lazy grammar does the same): no token is rewound.
    it('gives the grammar the output from the trigger on: the rest of its token, then the tokens after it', () => {
      const thinking = { open: '<think>', close: '</think>', startOpen: true };
      const { vocab, output, push } = setup({ ...LAZY, thinking });
      const steps = push('Reason.</', 'think', '><', 'tool', '_call', '>');
      expect(steps.map((step) => step.emit).join('')).toBe('Reason.</think>');
      expect(steps.at(-1)).toEqual({ emit: '', triggerAt: 15 });
      const sampled = [...output.tokens];
      expect(output.grammarInputFrom(15, vocab.tokenize)).toEqual([vocab.id('<'), vocab.id('tool'), vocab.id('_call'), vocab.id('>')]);
      // The model's tokens stay; the trigger's text, held back until now, is passed on.
      expect(output.continueUnderGrammar()).toBe('<tool_call>');
      expect(output.tokens).toEqual(sampled);
      // From here the grammar decides; nothing is watched or held back any more.
      expect(push('get', '<tool_call>')).toEqual([{ emit: 'get' }, { emit: '<tool_call>' }]);
      expect(output.flush()).toBe('');
    });

    it('gives the grammar whole tokens when the trigger starts at a token boundary, including what follows in the last one', () => {
      const { vocab, output, push } = setup(LAZY);
      expect(push('Hi ', '<tool', '_call>\n{"na')).toEqual([{ emit: 'Hi ' }, { emit: '' }, { emit: '', triggerAt: 3 }]);
      expect(output.grammarInputFrom(3, vocab.tokenize)).toEqual([vocab.id('<tool'), vocab.id('_call>\n{"na')]);
      expect(output.continueUnderGrammar()).toBe('<tool_call>\n{"na');
    });

    it('leaves a trigger found along with a stop string to the rewind', () => {
      const { vocab, output, push } = setup({ ...LAZY, stop: ['STOP'] });
      push('a <tool_call>STOP');
      expect(output.grammarInputFrom(2, vocab.tokenize)).toBeUndefined();
      expect(output.rewindTo(2, vocab.tokenize)).toEqual({ tokens: [], prefix: [vocab.id('a ')] });
    });
  });

  describe('a thinking budget', () => {
    const budget = { open: '<think>', close: '</think>', startOpen: false, budget: 2, closeWith: '\n</think>\n\n' };

    it('is spent after that many tokens inside thinking (the opening marker not counted)', () => {
      const { output, push } = setup({ thinking: budget });
      const spent = ['<think>', 'a', 'b'].map((piece) => (push(piece), output.thinkingBudgetSpent()));
      expect(spent).toEqual([false, false, true]);
    });

    it('is spent from the start when the prompt opened thinking and the budget is 0', () => {
      const { output } = setup({ thinking: { ...budget, startOpen: true, budget: 0 } });
      expect(output.thinkingBudgetSpent()).toBe(true);
    });

    it('is closed with `closeWith`, which is appended as if generated, once', () => {
      const { vocab, output, push } = setup({ thinking: budget });
      push('<think>', 'a', 'b');
      const text = output.closeThinkingText();
      expect(text).toBe('\n</think>\n\n');
      expect(output.thinkingBudgetSpent()).toBe(false);
      expect(output.append(vocab.tokenize(text), text)).toBe('\n</think>\n\n');
      expect(output.tokens).toEqual(['<think>', 'a', 'b', text].map((piece) => vocab.id(piece)));
      expect(push('Done')).toEqual([{ emit: 'Done' }]);
      expect(output.thinkingBudgetSpent()).toBe(false);
    });

    it('is closed with the closing marker when no `closeWith` is given', () => {
      const { output } = setup({ thinking: { open: '<think>', close: '</think>', startOpen: true, budget: 0 } });
      expect(output.closeThinkingText()).toBe('</think>');
    });

    it('appends after the text still held back for a stop string', () => {
      const { vocab, output, push } = setup({ thinking: budget, stop: ['STOP'] });
      expect(push('<think>', 'x ST')).toEqual([{ emit: '<think>' }, { emit: 'x ' }]);
      expect(output.append(vocab.tokenize('</think>'), '</think>')).toBe('ST</think>');
    });
  });

  describe('flush', () => {
    it('gives back a character still split at the end', () => {
      const { output, push } = setup();
      push([EURO[0]!]);
      expect(output.flush()).toBe('\uFFFD');
    });

    it('gives back text held for a stop string, then for a trigger', () => {
      const { output, push } = setup({ ...LAZY, stop: ['STOP'] });
      // '<tool_' could begin the trigger, 'ST' the stop string: both are held back.
      expect(push('x <tool_', 'ST')).toEqual([{ emit: 'x ' }, { emit: '' }]);
      expect(output.flush()).toBe('<tool_ST');
    });
  });
});
