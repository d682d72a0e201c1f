import { describe, expect, it } from 'vitest';
import { FatalError } from '../../errors.js';
import { checkJinjaVersion, installedJinjaVersion, MEASURED_JINJA_VERSION } from './jinja-version.js';

describe('@huggingface/jinja version pin', () => {
  it('finds the installed version, the measured one', () => {
    expect(installedJinjaVersion()).toBe('0.5.11');
    expect(MEASURED_JINJA_VERSION).toBe('0.5.11');
    expect(() => checkJinjaVersion()).not.toThrow();
  });

  it('refuses another version, naming both and what to re-run', () => {
    const error = (() => {
      try {
        checkJinjaVersion('0.6.0');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('no error thrown');
    })();
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toContain('@huggingface/jinja 0.6.0 is installed');
    expect(error.message).toContain('measured against 0.5.11');
    expect(error.message).toContain('npx vitest run src/chat/template.test.ts');
    expect(error.message).toContain('src/chat/template/golden/jinja2-golden.json');
    expect(error.message).toContain('test/conformance/');
  });
});
