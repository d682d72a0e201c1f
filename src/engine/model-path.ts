// Turns what the user typed after --model into one GGUF file to load, or a clear
// FatalError that says what was looked at and what to do.

import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FatalError } from '../errors.js';

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
  const looksLikeRepo = /^[\w.-]+\/[\w.-]+$/.test(input) && !input.endsWith('.gguf');
  throw new FatalError(
    `Model not found: "${input}". Looked at ${candidates.join(' and ')}.` +
      (looksLikeRepo
        ? ` If this is a Hugging Face repository, download it first into ${join(modelsDir, input)}.`
        : ' Pass a .gguf file, a folder holding one, or a path under the models folder.'),
  );
}

function firstGgufIn(dir: string): string {
  const ggufs = readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.gguf'))
    // Vision projectors sit beside the weights in many repos; they are not the model.
    .filter((name) => !/^mmproj/i.test(name))
    .sort();
  // A split model is loaded from its first part; llama.cpp finds the others beside it.
  const first = ggufs.find((name) => !SPLIT_PART.test(name) || SPLIT_PART.exec(name)?.[1] === '00001');
  if (!first) throw new FatalError(`No .gguf file in folder ${dir}.`);
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
