// Hot restarts: the KV caches of the slots are written to disk when the server stops and read
// back when it starts, so the next turn of a long conversation does not process its whole
// history again. Uses llama.cpp's sequence state files (through node-llama-cpp's
// saveStateToFile / loadStateFromFile), which hold the KV cells and the tokens they encode.
//
// Layout: <dir>/<model key>/manifest.json and one `<cache>.<slot>.state` file per saved slot.
// The model key is derived from the model file's path, size and modification time: loading a
// state file made by another model can crash llama.cpp, so a changed model never sees them.
//
// The folder's files are not trusted (issue 15): a manifest entry naming "../../x" made the
// server delete a file outside the folder, and flipped bytes in a state file were restored and
// reused silently. So a state file's name is always computed from its cache and slot (never
// read from the manifest), and each is checked against the size and SHA-256 the manifest
// recorded when it was written before llama.cpp reads it. Files are private (0600, folder 0700).

import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export interface SavedSlot {
  cache: string;
  slot: number;
  /** Tokens per slot of the cache when saved: a state only loads into a slot as large. */
  contextSize: number;
  tokens: number;
  /** The state file's name in the folder (always `stateFileName(cache, slot)`). */
  file: string;
  /** When the slot was last used (epoch ms), to keep the least-recently-used order. */
  lastUsedAt: number;
  /** Size and SHA-256 (hex) of the state file as written. */
  bytes: number;
  sha256: string;
}

// Version 2 added bytes and sha256; a version-1 manifest is not trusted and its slots start cold.
const Manifest = z.object({
  version: z.literal(2),
  model: z.object({ path: z.string(), size: z.number(), mtimeMs: z.number() }),
  slots: z.array(
    z.object({
      cache: z.string(),
      slot: z.number().int().min(0),
      contextSize: z.number().int(),
      tokens: z.number().int(),
      file: z.string(),
      lastUsedAt: z.number(),
      bytes: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

/** A slot's state file name: computed, so no manifest can point anywhere else. */
export function stateFileName(cache: string, slot: number): string {
  return `${encodeURIComponent(cache)}.${slot}.state`;
}

/** SHA-256 (hex) of a file, read as a stream (state files are hundreds of MB). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
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
    // An entry whose file is not the name we would have given it was not written by us.
    return manifest.slots.filter((slot) => slot.file === stateFileName(slot.cache, slot.slot));
  }

  /**
   * Why a saved slot's state file must not be loaded (missing, another size, another checksum
   * than when it was written), or undefined when it is the file we wrote.
   */
  async verify(saved: SavedSlot): Promise<string | undefined> {
    const path = join(this.folder, stateFileName(saved.cache, saved.slot));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return 'the state file is missing';
    }
    if (size !== saved.bytes) return `the state file has ${size} bytes, ${saved.bytes} when it was written`;
    if ((await hashFile(path)) !== saved.sha256) return 'the state file changed since it was written (SHA-256 differs)';
    return undefined;
  }

  /** Path of a slot's state file, written under a temporary name first. */
  stateFile(cache: string, slot: number): { path: string; temporary: string; file: string } {
    const file = stateFileName(cache, slot);
    return { path: join(this.folder, file), temporary: join(this.folder, `${file}.tmp`), file };
  }

  prepare(): void {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
  }

  /** Record what was saved; the manifest is replaced atomically, so a crash mid-save leaves the old one. */
  commit(slots: SavedSlot[]): void {
    const manifest: Manifest = { version: 2, model: this.model, slots };
    const path = join(this.folder, 'manifest.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(manifest, null, 2), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    // State files of slots that are empty now (or caches that are gone) would only take space.
    const kept = new Set(slots.map((slot) => slot.file));
    for (const name of readdirSync(this.folder)) {
      if (name.endsWith('.state') && !kept.has(name)) rmSync(join(this.folder, name), { force: true });
    }
  }

  /** Forget a slot's state file that could not be loaded. */
  discard(cache: string, slot: number): void {
    rmSync(join(this.folder, stateFileName(cache, slot)), { force: true });
  }

  /** Put a written state file in place, private, and return its size and checksum for the manifest. */
  async finishWrite(temporary: string, path: string): Promise<{ bytes: number; sha256: string }> {
    chmodSync(temporary, 0o600);
    const bytes = statSync(temporary).size;
    const sha256 = await hashFile(temporary);
    renameSync(temporary, path);
    return { bytes, sha256 };
  }
}
