import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';

describe('acquireLock', () => {
  it('makes a second holder wait until the first releases', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'f.lock');
    const first = await acquireLock(path);
    const order: string[] = [];
    let waitedFor: string | undefined;
    const second = acquireLock(path, { pollMs: 10, onWait: (holder) => (waitedFor = holder) }).then((lock) => {
      order.push('second');
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('release');
    await first.release();
    await (await second).release();
    expect(order).toEqual(['release', 'second']);
    expect(waitedFor).toBe(`pid ${process.pid} on ${hostname()}`);
    expect(existsSync(path)).toBe(false);
  });

  it('takes over the lock of a process that is gone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'f.lock');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), started: new Date().toISOString() }));
    const lock = await acquireLock(path, { pollMs: 10 });
    await lock.release();
  });
});
