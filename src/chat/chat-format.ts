// Which output syntax the server parses, decided once at load: `--chat-format` when given,
// else the hand-written family the template is detected as; when none matches (or
// `--chat-format derived`), the markup inferred from the template itself (src/chat/derived/),
// and the generic fallback when nothing can be inferred.

import type { Logger } from '../log.js';
import { deriveSyntax, describeSyntax, type DerivedSyntax } from './derived/index.js';
import { detectFamily } from './parsers/detect.js';
import type { FamilyId } from './parsers/types.js';
import type { ChatTemplate } from './template.js';

export interface ChatFormat {
  family: FamilyId;
  /** What decided it: the --chat-format option or the template. */
  source: '--chat-format' | 'template';
  /** Family `derived`: the inferred markup. */
  derived?: DerivedSyntax;
}

/** What /props shows (`chat_format`). */
export function chatFormatProps(format: ChatFormat): Record<string, unknown> {
  return { family: format.family, source: format.source, ...(format.derived ? { derived: describeSyntax(format.derived) } : {}) };
}

export function resolveChatFormat(template: ChatTemplate, chatFormat: FamilyId | undefined, logger: Logger): ChatFormat {
  const source = chatFormat ? '--chat-format' : 'template';
  const family = chatFormat ?? detectFamily(template.source);
  if (family !== 'generic' && family !== 'derived') {
    logger.info({ family, source }, 'output parser');
    return { family, source };
  }
  if (family === 'generic' && chatFormat) {
    logger.info({ family, source }, 'output parser');
    return { family, source };
  }
  const inference = deriveSyntax(template);
  if ('error' in inference) {
    logger.warn(
      { family: 'generic', source, reason: inference.error, notes: inference.notes },
      `the chat template matches no known model family and its markup could not be inferred (${inference.error}): tool calls are parsed only in the Hermes <tool_call> style; pass --chat-format to choose one`,
    );
    return { family: 'generic', source };
  }
  const format: ChatFormat = { family: 'derived', source, derived: inference.syntax };
  logger.info({ ...chatFormatProps(format), notes: inference.notes }, 'output parser: markup inferred from the chat template');
  return format;
}
