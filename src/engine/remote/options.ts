// The remote engines there are, by the protocol they speak (flags and config refer to them).

/** llama.cpp's server (`POST /completion`), or vLLM / SGLang (`POST /v1/completions`); both with token ids. */
export type RemoteProtocol = 'llama-server' | 'openai-completions';

export const REMOTE_PROTOCOLS: readonly RemoteProtocol[] = ['llama-server', 'openai-completions'];

export function isRemoteProtocol(value: string): value is RemoteProtocol {
  return (REMOTE_PROTOCOLS as readonly string[]).includes(value);
}
