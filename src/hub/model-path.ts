// Turns what the user typed after --model into one GGUF file to load, or a clear
// FatalError that says what was looked at and what to do.

import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { FatalError } from '../errors.js';
import { hfdCommand, parseModelRef, selectModelFiles, type ModelRef } from './model-ref.js';

const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

export interface ResolveOptions {
  /** Folder where downloaded models live (default: ./models). */
  modelsDir?: string;
  cwd?: string;
}

/** Accepts a file, a directory holding a .gguf, or either of those relative to the models folder. */
export function resolveModelPath(input: string, options: ResolveOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const modelsDir = resolve(cwd, options.modelsDir ?? 'models');
  const candidates = [resolve(cwd, input), join(modelsDir, input)];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const stats = statSync(candidate);
    const file = stats.isDirectory() ? firstGgufIn(candidate) : candidate;
    checkGgufFile(file);
    return file;
  }
  // A Hugging Face reference: org/repo, org/repo/<file>, org/repo:<quant>, looked up under models/.
  const ref = parseModelRef(input);
  const downloaded = ref ? findDownloadedModel(ref, modelsDir) : undefined;
  if (downloaded) {
    checkGgufFile(downloaded);
    return downloaded;
  }
  throw new FatalError(
    `Model not found: "${input}". Looked at ${ref ? join(modelsDir, ref.repo) : candidates.join(' and ')}.` +
      (ref
        ? ` If this is a Hugging Face repository, download it first with: ${hfdCommand(ref)} (or add --pull to serve).`
        : ' Pass a .gguf file, a folder holding one, or a path under the models folder.'),
  );
}

/** The downloaded GGUF `ref` names under models/<repo>/ (sub-folders included), if present. */
export function findDownloadedModel(ref: ModelRef, modelsDir: string): string | undefined {
  return findGgufUnder(join(modelsDir, ...ref.repo.split('/')), ref);
}

function findGgufUnder(dir: string, ref: ModelRef): string | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const chosen = selectModelFiles(
    listFiles(dir).map((path) => ({ path })),
    ref,
  );
  const first = chosen.find((file) => !SPLIT_PART.test(file.path) || SPLIT_PART.exec(file.path)?.[1] === '00001') ?? chosen[0];
  return first ? join(dir, ...first.path.split('/')) : undefined;
}

/** Relative `/`-separated paths of the files under `dir`, skipping dot-folders (hfd's records, caches). */
function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.')) return [];
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full, root);
    return entry.isFile() ? [relative(root, full).split(sep).join('/')] : [];
  });
}

function firstGgufIn(dir: string): string {
  const ggufs = readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.gguf'))
    // Vision projectors sit beside the weights in many repos; they are not the model.
    .filter((name) => !/^mmproj/i.test(name))
    .sort();
  // A split model is loaded from its first part; llama.cpp finds the others beside it.
  const first = ggufs.find((name) => !SPLIT_PART.test(name) || SPLIT_PART.exec(name)?.[1] === '00001');
  if (!first) {
    const nested = findGgufUnder(dir, { repo: basename(dir) });
    if (nested) return nested;
    throw new FatalError(`No .gguf file in folder ${dir}.`);
  }
  return join(dir, first);
}

/** Cheap checks before handing the file to llama.cpp, so the common mistakes get a plain message. */
export function checkGgufFile(file: string): void {
  const stats = statSync(file);
  if (!stats.isFile()) throw new FatalError(`Not a file: ${file}`);
  if (stats.size === 0) throw new FatalError(`Model file is empty: ${file}`);
  const magic = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') {
    throw new FatalError(`Not a GGUF file (no GGUF header): ${file}`);
  }
  const split = SPLIT_PART.exec(basename(file));
  if (split) {
    const total = Number(split[2]);
    for (let part = 1; part <= total; part++) {
      const name = file.replace(SPLIT_PART, `-${String(part).padStart(5, '0')}-of-${split[2]}.gguf`);
      if (!existsSync(name)) throw new FatalError(`Split model is incomplete: part ${part} of ${total} is missing (${name}).`);
    }
  }
}
