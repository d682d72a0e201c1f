// `--model` by Hugging Face repository id: `org/repo`, `org/repo/path/file.gguf` or
// `org/repo:Q4_K_M` (a quantisation hint, as llama.cpp's -hf takes). Pure functions shared by
// the local lookup under models/ and by `serve --pull`.
import { FatalError } from '../errors.js';

export interface ModelRef {
  repo: string;
  /** A path inside the repository. */
  file?: string;
  /** A quantisation name to pick among the repository's GGUF files. */
  quant?: string;
}

const SEGMENT = /^[A-Za-z0-9][\w.-]*$/;
const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The reference, or undefined when the input does not look like a repository id. */
export function parseModelRef(input: string): ModelRef | undefined {
  const match = /^([^:]+?)(?::([\w.-]+))?$/.exec(input);
  if (!match) return undefined;
  const segments = match[1]!.split('/');
  if (segments.length < 2 || !segments.every((segment) => SEGMENT.test(segment) && !segment.includes('..'))) return undefined;
  const [owner, name, ...rest] = segments;
  if (name!.toLowerCase().endsWith('.gguf')) return undefined; // dir/file.gguf: a local path
  const ref: ModelRef = { repo: `${owner}/${name}` };
  if (rest.length > 0) ref.file = rest.join('/');
  if (match[2]) ref.quant = match[2];
  return ref;
}

export function isVisionProjector(path: string): boolean {
  return /^mmproj/i.test(path.split('/').pop() ?? '');
}

/** Whether a path names the quantisation: `Q4_K` matches `…-Q4_K.gguf` or `Q4_K/…`, not `…-Q4_K_M.gguf`. */
export function matchesQuant(path: string, quant: string): boolean {
  const escaped = quant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[-._/])${escaped}([-./]|$)`, 'i').test(path);
}

/** The model a split part belongs to (its path without `-0000k-of-0000n`). */
function modelKey(path: string): string {
  return path.replace(SPLIT, '');
}

/** The GGUF files making up the one model `ref` names (all parts of a split model). */
export function selectModelFiles<T extends { path: string }>(files: readonly T[], ref: ModelRef): T[] {
  const ggufs = files.filter((file) => file.path.toLowerCase().endsWith('.gguf') && !isVisionProjector(file.path));
  let chosen: T[];
  if (ref.file) {
    const exact = files.find((file) => file.path === ref.file);
    if (!exact) return [];
    chosen = SPLIT.test(exact.path) ? ggufs.filter((file) => modelKey(file.path) === modelKey(exact.path) && SPLIT.test(file.path)) : [exact];
  } else {
    chosen = ref.quant ? ggufs.filter((file) => matchesQuant(file.path, ref.quant!)) : ggufs;
  }
  const models = new Map<string, T[]>();
  for (const file of chosen) models.set(modelKey(file.path), [...(models.get(modelKey(file.path)) ?? []), file]);
  if (models.size > 1) {
    const hint = ref.quant ? `several files match ${ref.quant}` : 'it holds several models';
    throw new FatalError(
      `${ref.repo}${ref.quant ? `:${ref.quant}` : ''} is ambiguous: ${hint}. Pick one with ${ref.repo}:<quant> or ${ref.repo}/<file>:\n` +
        [...models.keys()].map((key) => `  ${key}${SPLIT.test(models.get(key)![0]!.path) ? ` (${models.get(key)!.length} parts)` : ''}`).join('\n'),
    );
  }
  return chosen;
}

/** The command that downloads what `ref` names, for messages. */
export function hfdCommand(ref: ModelRef): string {
  const include = ref.file ? ref.file : ref.quant ? `*${ref.quant}*` : undefined;
  return `npm run hfd -- ${ref.repo}${include ? ` --include "${include}"` : ''}`;
}
