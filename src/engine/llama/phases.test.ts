import { describe, expect, it } from 'vitest';
import { afterClosingThinking, afterPrefill, afterSampling, samplingEndAfter, type SamplingProgress } from './phases.js';

const going: SamplingProgress = { generated: 3, maxTokens: 10, thinkingBudgetSpent: false };

describe('samplingEndAfter', () => {
  it('samples on after an ordinary token', () => {
    expect(samplingEndAfter({ emit: 'hi' }, going)).toBeUndefined();
  });

  it('ends at a trigger, with its offset', () => {
    expect(samplingEndAfter({ emit: 'a ', triggerAt: 2 }, going)).toEqual({ type: 'trigger', at: 2 });
  });

  it('ends at a stop string, naming it', () => {
    expect(samplingEndAfter({ emit: '', stopSequence: 'END' }, going)).toEqual({ type: 'stop_sequence', stopSequence: 'END' });
  });

  it('ends at the token limit, counting from it on', () => {
    expect(samplingEndAfter({ emit: 'x' }, { ...going, generated: 9 })).toBeUndefined();
    expect(samplingEndAfter({ emit: 'x' }, { ...going, generated: 10 })).toEqual({ type: 'max_tokens' });
    expect(samplingEndAfter({ emit: 'x' }, { ...going, generated: 12 })).toEqual({ type: 'max_tokens' });
  });

  it('ends when the thinking budget is spent', () => {
    expect(samplingEndAfter({ emit: 'x' }, { ...going, thinkingBudgetSpent: true })).toEqual({ type: 'thinking_budget_spent' });
  });

  it('puts a trigger before a stop string, a stop string before the limit, the limit before the budget', () => {
    const all: SamplingProgress = { generated: 10, maxTokens: 10, thinkingBudgetSpent: true };
    expect(samplingEndAfter({ emit: '', triggerAt: 0, stopSequence: 'S' }, all)).toEqual({ type: 'trigger', at: 0 });
    expect(samplingEndAfter({ emit: '', stopSequence: 'S' }, all)).toEqual({ type: 'stop_sequence', stopSequence: 'S' });
    expect(samplingEndAfter({ emit: '' }, all)).toEqual({ type: 'max_tokens' });
  });
});

describe('afterPrefill', () => {
  it('samples freely without a forced grammar', () => {
    expect(afterPrefill({ forcedGrammar: false, thinkingBudgetSpent: false, maxTokens: 5 })).toEqual({ name: 'free' });
  });

  it('samples under a forced grammar from the first token, with nothing to rewind', () => {
    expect(afterPrefill({ forcedGrammar: true, thinkingBudgetSpent: false, maxTokens: 5 })).toEqual({ name: 'constrained' });
  });

  it('closes thinking first when the prompt left no budget, then resumes the sampling it held back', () => {
    expect(afterPrefill({ forcedGrammar: false, thinkingBudgetSpent: true, maxTokens: 5 })).toEqual({ name: 'closing-thinking', resume: 'free' });
    expect(afterPrefill({ forcedGrammar: true, thinkingBudgetSpent: true, maxTokens: 5 })).toEqual({ name: 'closing-thinking', resume: 'constrained' });
  });

  it('is done at once when no output token is allowed, but still closes spent thinking first', () => {
    expect(afterPrefill({ forcedGrammar: false, thinkingBudgetSpent: false, maxTokens: 0 })).toEqual({ name: 'done', stop: 'max_tokens' });
    expect(afterPrefill({ forcedGrammar: true, thinkingBudgetSpent: false, maxTokens: -1 })).toEqual({ name: 'done', stop: 'max_tokens' });
    expect(afterPrefill({ forcedGrammar: false, thinkingBudgetSpent: true, maxTokens: 0 })).toEqual({ name: 'closing-thinking', resume: 'free' });
  });
});

describe('afterSampling', () => {
  it('is done when the model ends, at a stop string or at the limit', () => {
    expect(afterSampling({ name: 'free' }, { type: 'end' })).toEqual({ name: 'done', stop: 'end' });
    expect(afterSampling({ name: 'constrained' }, { type: 'end' })).toEqual({ name: 'done', stop: 'end' });
    expect(afterSampling({ name: 'free' }, { type: 'max_tokens' })).toEqual({ name: 'done', stop: 'max_tokens' });
    expect(afterSampling({ name: 'free' }, { type: 'stop_sequence', stopSequence: '\n\n' })).toEqual({ name: 'done', stop: 'stop_sequence', stopSequence: '\n\n' });
  });

  it('hands over to the grammar at a trigger, rewinding to where it starts', () => {
    expect(afterSampling({ name: 'free' }, { type: 'trigger', at: 14 })).toEqual({ name: 'constrained', triggerAt: 14 });
  });

  it('closes thinking, to resume the phase it interrupted', () => {
    expect(afterSampling({ name: 'free' }, { type: 'thinking_budget_spent' })).toEqual({ name: 'closing-thinking', resume: 'free' });
    expect(afterSampling({ name: 'constrained', triggerAt: 3 }, { type: 'thinking_budget_spent' })).toEqual({ name: 'closing-thinking', resume: 'constrained' });
  });
});

describe('afterClosingThinking', () => {
  it('resumes the sampling phase, under the grammar without rewinding again', () => {
    expect(afterClosingThinking({ name: 'closing-thinking', resume: 'free' }, 4)).toEqual({ name: 'free' });
    expect(afterClosingThinking({ name: 'closing-thinking', resume: 'constrained' }, 4)).toEqual({ name: 'constrained' });
  });

  it('is done when no output token is allowed', () => {
    expect(afterClosingThinking({ name: 'closing-thinking', resume: 'free' }, 0)).toEqual({ name: 'done', stop: 'max_tokens' });
  });
});
