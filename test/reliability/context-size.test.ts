// A context size the machine cannot hold is refused at load, before llama.cpp allocates any of
// it: `-c 99999999999` used to grow the process to 12 GB while "loading", never ready.

import { memoryUsage } from 'node:process';
import { describe, expect, it } from 'vitest';
import { makeScriptedModel } from '../fixtures/models.js';
import { startTestServer } from '../helpers/server.js';

describe('n_ctx beyond the machine', () => {
  it('fails the start with what it would need and what the machine has, without allocating it', async () => {
    const model = await makeScriptedModel({ script: 'Hello.' });
    const before = memoryUsage.rss();
    const start = startTestServer({ model: model.path, nCtx: 99_999_999_999, parallel: 2 });
    await expect(start).rejects.toThrow(
      /^Could not create cache "default" \(a context of 99999999999 tokens × 2 slots\): it would need about \d+ GiB \(KV cache and compute buffers, estimated\) and this machine has \d+(\.\d)? GiB of RAM/,
    );
    // The weights of the fixture are a few MB; nothing near the context was allocated.
    expect(memoryUsage.rss() - before).toBeLessThan(512 * 2 ** 20);
  });

  it('still starts with a large context that fits', async () => {
    const model = await makeScriptedModel({ script: 'Hello.' });
    const server = await startTestServer({ model: model.path, nCtx: 65_536, parallel: 1 });
    await server.stop();
  });
});
