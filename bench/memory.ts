// Process memory of a server under test, for the target "memory beyond model + KV cache".
// Read from /proc/<pid>/status of the group's largest process (for ours that is the node
// process running the server; the `tsx` launcher npm starts beside it in development is a
// separate, smaller process that `npx llama-bridge` does not have).

import { readFileSync } from 'node:fs';
import { groupProcesses } from './cpu.js';

export interface ProcessMemory {
  pid: number;
  /** Resident now and at its peak (VmRSS, VmHWM). */
  rssBytes: number;
  peakBytes: number;
  /** Anonymous memory (heaps, KV cache, compute buffers) and file-backed pages (the memory-mapped model, binaries). */
  anonBytes: number;
  fileBytes: number;
}

export function groupMemory(pgid: number | undefined): ProcessMemory | undefined {
  if (pgid === undefined) return undefined;
  let largest: ProcessMemory | undefined;
  for (const pid of groupProcesses(pgid)) {
    try {
      const memory = parseStatus(pid, readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!largest || memory.rssBytes > largest.rssBytes) largest = memory;
    } catch {
      // the process ended meanwhile
    }
  }
  return largest;
}

export function parseStatus(pid: number, status: string): ProcessMemory {
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { pid, rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM'), anonBytes: kib('RssAnon'), fileBytes: kib('RssFile') };
}

/** f16 K and V for every layer and every cell of every slot (llama.cpp's default cache type). */
export function kvCacheBytes(dims: { nLayer: number; nHead: number; nHeadKv: number; nEmbd: number }, cells: number): number {
  const headDim = dims.nEmbd / dims.nHead;
  return dims.nLayer * cells * 2 * dims.nHeadKv * headDim * 2;
}
