import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DebugTraces } from '../debug/trace.js';
import { MAX_FILE_BYTES, readTrace } from './trace-view.js';

describe('readTrace', () => {
  it('reads back the four snapshots a trace wrote, split into their parts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-view-'));
    const traces = new DebugTraces(dir, ['sk-secret-key']);
    const trace = traces.start({ requestId: 'req_1', method: 'POST', url: '/v1/messages', headers: { 'x-api-key': 'sk-secret-key' }, body: { model: 'm' } });
    trace.prompt('<|im_start|>user\n<script>alert(1)</script><|im_end|>\n', { family: 'hermes' });
    trace.promptDetails({ promptTokens: 12, reusedTokens: 4, reusedChars: 17 });
    trace.rawOutput('<think>hm</think>Hello');
    trace.note('tool arguments did not parse', { name: 'f' });
    trace.responseHead(200, { 'content-type': 'application/json' });
    trace.responseChunk('{"ok":true}');
    trace.finish();

    const view = readTrace(dir, basename(trace.folder))!;
    expect(view.request).toMatchObject({ method: 'POST', url: '/v1/messages', body: { model: 'm' } });
    expect(JSON.stringify(view.request)).not.toContain('sk-secret-key');
    expect(view.promptInfo).toMatchObject({ family: 'hermes', promptTokens: '12', reusedTokens: '4', reusedChars: '17' });
    expect(view.prompt).toBe('<|im_start|>user\n<script>alert(1)</script><|im_end|>\n');
    expect(view.reusedChars).toBe(17);
    expect(view.rawOutput).toBe('<think>hm</think>Hello');
    expect(view.notes).toEqual(['tool arguments did not parse {"name":"f"}']);
    expect(view.response).toEqual({ status: 200, contentType: 'application/json', body: { ok: true } });
    expect(view.truncated).toEqual([]);
  });

  it('finds nothing outside the traces folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-view-'));
    mkdirSync(join(dir, 'a'));
    expect(readTrace(dir, '..')).toBeUndefined();
    expect(readTrace(dir, '../a')).toBeUndefined();
    expect(readTrace(dir, 'a/../..')).toBeUndefined();
    expect(readTrace(dir, 'missing')).toBeUndefined();
    expect(readTrace(dir, 'a')).toMatchObject({ name: 'a', prompt: null, rawOutput: null, request: null });
  });

  it('cuts a snapshot larger than the page shows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-view-'));
    mkdirSync(join(dir, 't'));
    writeFileSync(join(dir, 't', '3-raw-output.txt'), 'x'.repeat(MAX_FILE_BYTES + 10));
    const view = readTrace(dir, 't')!;
    expect(view.rawOutput).toHaveLength(MAX_FILE_BYTES);
    expect(view.truncated).toEqual(['3-raw-output.txt']);
  });
});
