import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppSource } from '../../test/fixtures/llama-cpp-source.js';
import { chatFormatProps, resolveChatFormat } from './chat-format.js';
import { ChatTemplate } from './template.js';

const real = (name: string): ChatTemplate => new ChatTemplate(readFileSync(join(llamaCppSource(), 'models', 'templates', `${name}.jinja`), 'utf8'), {});

function recorder() {
  const logs: Array<{ level: string; details: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (details: Record<string, unknown>, message: string) => void logs.push({ level, details, message });
  return { logs, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace') } as never };
}

describe('resolveChatFormat', () => {
  it('a detected family is used as is', () => {
    const { logs, logger } = recorder();
    expect(resolveChatFormat(real('Qwen3-Coder'), undefined, logger)).toEqual({ family: 'qwen3-coder', source: 'template' });
    expect(logs).toEqual([{ level: 'info', details: { family: 'qwen3-coder', source: 'template' }, message: 'output parser' }]);
  });

  it('--chat-format derived infers the markup even for a known template, and logs it', () => {
    const { logs, logger } = recorder();
    const format = resolveChatFormat(real('GLM-4.6'), 'derived', logger);
    expect(format).toMatchObject({ family: 'derived', source: '--chat-format', derived: { reasoning: { open: '<think>' }, tools: { call: { open: '<tool_call>' } } } });
    expect(logs[0]!.details).toMatchObject({ family: 'derived', derived: { tool_calls: { call: { open: '<tool_call>', close: '</tool_call>' } } } });
    expect(chatFormatProps(format)).toMatchObject({ family: 'derived', source: '--chat-format', derived: { reasoning: { open: '<think>', close: '</think>' } } });
  });

  it('no family and nothing to infer: generic, with the reason in the warning', () => {
    const { logs, logger } = recorder();
    const plain = new ChatTemplate('{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}', {});
    expect(resolveChatFormat(plain, undefined, logger)).toEqual({ family: 'generic', source: 'template' });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.level).toBe('warn');
    expect(logs[0]!.message).toContain('the template does not render tool calls');
  });

  it('--chat-format generic is kept (no inference)', () => {
    const { logger } = recorder();
    expect(resolveChatFormat(real('GLM-4.6'), 'generic', logger)).toEqual({ family: 'generic', source: '--chat-format' });
  });
});
