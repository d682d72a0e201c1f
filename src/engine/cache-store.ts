// Hot restarts: the KV caches of the slots are written to disk when the server stops and read
// back when it starts, so the next turn of a long conversation does not process its whole
// history again. Uses llama.cpp's sequence state files (through node-llama-cpp's
// saveStateToFile / loadStateFromFile), which hold the KV cells and the tokens they encode.
//
// Layout: <dir>/<model key>/manifest.json and one `<cache>.<slot>.state` file per saved slot.
// The model key is derived from the model file's path, size and modification time: loading a
// state file made by another model can crash llama.cpp, so a changed model never sees them.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export interface SavedSlot {
  cache: string;
  slot: number;
  /** Tokens per slot of the cache when saved: a state only loads into a slot as large. */
  contextSize: number;
  tokens: number;
  file: string;
  /** When the slot was last used (epoch ms), to keep the least-recently-used order. */
  lastUsedAt: number;
}

const Manifest = z.object({
  version: z.literal(1),
  model: z.object({ path: z.string(), size: z.number(), mtimeMs: z.number() }),
  slots: z.array(z.object({ cache: z.string(), slot: z.number().int(), contextSize: z.number().int(), tokens: z.number().int(), file: z.string(), lastUsedAt: z.number() })),
});
type Manifest = z.infer<typeof Manifest>;

/** Where one model's saved slots live, and the manifest that lists them. */
export class CacheStore {
  readonly folder: string;
  private readonly model: Manifest['model'];

  constructor(dir: string, modelPath: string) {
    const path = resolve(modelPath);
    const stat = statSync(path);
    this.model = { path, size: stat.size, mtimeMs: Math.round(stat.mtimeMs) };
    const key = createHash('sha256').update(JSON.stringify(this.model)).digest('hex').slice(0, 16);
    this.folder = join(resolve(dir), key);
  }

  /** The saved slots for this exact model file, or none (no manifest, another model, a damaged manifest). */
  saved(): SavedSlot[] {
    let manifest: Manifest;
    try {
      manifest = Manifest.parse(JSON.parse(readFileSync(join(this.folder, 'manifest.json'), 'utf8')));
    } catch {
      return [];
    }
    if (JSON.stringify(manifest.model) !== JSON.stringify(this.model)) return [];
    return manifest.slots;
  }

  /** Path of a slot's state file, written under a temporary name first. */
  stateFile(cache: string, slot: number): { path: string; temporary: string; file: string } {
    const file = `${encodeURIComponent(cache)}.${slot}.state`;
    return { path: join(this.folder, file), temporary: join(this.folder, `${file}.tmp`), file };
  }

  prepare(): void {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
  }

  /** Record what was saved; the manifest is replaced atomically, so a crash mid-save leaves the old one. */
  commit(slots: SavedSlot[]): void {
    const manifest: Manifest = { version: 1, model: this.model, slots };
    const path = join(this.folder, 'manifest.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(manifest, null, 2), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    // State files of slots that are empty now (or caches that are gone) would only take space.
    const kept = new Set(slots.map((slot) => slot.file));
    for (const name of readdirSync(this.folder)) {
      if (name.endsWith('.state') && !kept.has(name)) rmSync(join(this.folder, name), { force: true });
    }
  }

  /** Forget a state file that could not be loaded. */
  discard(file: string): void {
    rmSync(join(this.folder, file), { force: true });
  }

  finishWrite(temporary: string, path: string): void {
    renameSync(temporary, path);
  }
}
