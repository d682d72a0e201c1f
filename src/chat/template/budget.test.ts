import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { ChatTemplate } from '../template.js';

const render = (source: string, limits = {}) => new ChatTemplate(source, { limits }).render({ messages: [{ role: 'user', content: 'hi' }] });
// The same template, spending only when the user says 'boom' (capability probes at load pass).
const onBoom = (body: string) => `{% if messages[-1].content == 'boom' %}${body}{% endif %}{{ messages[-1].content }}`;
const renderBoom = (body: string, limits = {}) => new ChatTemplate(onBoom(body), { limits }).render({ messages: [{ role: 'user', content: 'boom' }] });

function failure(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the rendering to fail');
}

describe('rendering limits', () => {
  it('refuses a huge range() before building it', () => {
    const error = failure(() => renderBoom('{% for i in range(1000000000) %}x{% endfor %}'));
    expect(error.message).toBe('the chat template went over its rendering limits: range() of 1000000000 items is over the limit of 1000000');
    expect(error.code).toBe('chat_template_limit');
    expect(error.status).toBe(500);
  });

  it('stops a rendering that runs too long', () => {
    const error = failure(() => renderBoom('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', { maxMs: 200 }));
    expect(error.message).toMatch(/^the chat template went over its rendering limits: rendering took longer than 200 ms \(\d+ steps\)$/);
  });

  it('stops a rendering that writes too much', () => {
    const error = failure(() => renderBoom("{% for i in range(1000) %}{{ 'xxxxxxxxxx' }}{% endfor %}", { maxOutputChars: 5_000 }));
    expect(error.message).toBe('the chat template went over its rendering limits: rendering wrote more than 5000 characters');
  });

  it('fails at load, once, a template that goes over on every conversation', () => {
    expect(() => new ChatTemplate('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', { origin: 'test', limits: { maxMs: 200 } })).toThrow(
      /^The chat template \(test\) went over its rendering limits on a plain conversation: rendering took longer than 200 ms/,
    );
  });

  it('leaves ordinary templates alone', () => {
    expect(render('{% for m in messages %}{{ m.role }}: {{ m.content }}{% endfor %}{% for i in range(3, 0, -1) %}{{ i }}{% endfor %}')).toBe('user: hi321');
  });
});
