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
