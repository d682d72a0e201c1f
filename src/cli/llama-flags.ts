// llama.cpp users type llama-server's flags from habit (`-c 8192 -ngl 99 -np 4`). The CLI
// library only knows one-letter short flags, so llama.cpp's multi-letter ones and long
// spellings are rewritten to ours before parsing.

const ALIASES: Record<string, string> = {
  '-np': '--parallel',
  '-ngl': '--n-gpu-layers',
  '--gpu-layers': '--n-gpu-layers',
  '-fa': '--flash-attn',
  '-ub': '--n-ubatch',
  '--ubatch-size': '--n-ubatch',
  '--ctx-size': '--n-ctx',
  '--batch-size': '--n-batch',
  '--threads': '--n-threads',
  '-ctxcp': '--ctx-checkpoints',
  '--swa-checkpoints': '--ctx-checkpoints',
  '--chat-template-file': '--chat-template-file',
  '-md': '--model-draft',
  '--spec-draft-model': '--model-draft',
  '--spec-draft-n-max': '--draft-max',
  '--spec-ngram-mod-n-max': '--draft-max',
  '--draft': '--draft-max',
  '--draft-n': '--draft-max',
  '--spec-draft-n-min': '--draft-min',
  '--spec-ngram-mod-n-min': '--draft-min',
  '--draft-n-min': '--draft-min',
};

export function rewriteLlamaFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const [flag, value] = splitOnce(arg);
    const alias = ALIASES[flag];
    if (!alias) return arg;
    return value === undefined ? alias : `${alias}=${value}`;
  });
}

function splitOnce(arg: string): [string, string | undefined] {
  const at = arg.indexOf('=');
  return at === -1 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}
