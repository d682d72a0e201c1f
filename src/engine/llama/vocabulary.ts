// A GGUF's vocabulary and metadata alone (no weights, no context): what a remote engine needs
// here to render and tokenize exactly as in-process, in a few megabytes of memory.

import { basename } from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { FatalError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { messageOf } from '../errors.js';
import type { ModelInfo } from '../types.js';

export async function loadVocabulary(modelPath: string, logger: Logger): Promise<{ llama: Llama; model: LlamaModel }> {
  let lastNativeError = '';
  const llama = await getLlama({
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.error) lastNativeError = message.trim();
      logNative(logger, level, message);
    },
  });
  try {
    // gpuLayers 0: nothing is offloaded, and node-llama-cpp skips its memory estimate (which fails without weights).
    const model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0 });
    return { llama, model };
  } catch (error) {
    await llama.dispose().catch(() => undefined);
    throw new FatalError(`Could not read the vocabulary of ${modelPath}: ${lastNativeError.replace(/^llama_model_load: error loading model: /, '') || messageOf(error)}`, {
      cause: error,
    });
  }
}

/** What a GGUF says of itself that the chat layer needs, the same for the in-process and remote engines. */
export function describeVocabulary(
  model: LlamaModel,
  modelPath: string,
): Pick<ModelInfo, 'name' | 'path' | 'eogTokens' | 'chatTemplate' | 'bosToken' | 'eosToken' | 'architecture'> {
  const tokens = model.tokens;
  const eogTokens = [tokens.eos, tokens.eot].filter((token): token is Token => token !== null).map((token) => model.detokenize([token], true));
  // GGUF metadata as the file has it: only these two keys are read, and they may be missing.
  const metadata = model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown }; general?: { architecture?: unknown } } | undefined;
  const chatTemplate = metadata?.tokenizer?.chat_template;
  const architecture = metadata?.general?.architecture;
  return {
    name: basename(modelPath).replace(/\.gguf$/i, ''),
    path: modelPath,
    eogTokens: [...new Set(eogTokens)],
    ...(typeof chatTemplate === 'string' ? { chatTemplate } : {}),
    ...(tokens.bosString ? { bosToken: tokens.bosString } : {}),
    ...(tokens.eosString ? { eosToken: tokens.eosString } : {}),
    ...(typeof architecture === 'string' ? { architecture } : {}),
  };
}

/** llama.cpp's own log lines, at their level, marked as its. */
export function logNative(logger: Logger, level: LlamaLogLevel, message: string): void {
  const text = message.trimEnd();
  if (!text) return;
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logger.error({ source: 'llama.cpp' }, text);
  else if (level === LlamaLogLevel.warn) logger.warn({ source: 'llama.cpp' }, text);
  else logger.debug({ source: 'llama.cpp' }, text);
}
