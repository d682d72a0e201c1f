// The remote engines there are, by the protocol they speak (flags and config refer to them).

/** llama.cpp's server (`POST /completion` with token ids). */
export type RemoteProtocol = 'llama-server';

export const REMOTE_PROTOCOLS: readonly RemoteProtocol[] = ['llama-server'];

export function isRemoteProtocol(value: string): value is RemoteProtocol {
  return (REMOTE_PROTOCOLS as readonly string[]).includes(value);
}
