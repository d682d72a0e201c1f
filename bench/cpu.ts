// CPU accounting for a shared machine: how many cores the server under test used during a
// measurement, and how many everything else used (other people's builds and tests).

import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuSample {
  /** Jiffies (USER_HZ) of all cores: busy and in all. */
  busy: number;
  total: number;
  /** Jiffies used by the processes of one process group. */
  group: number;
}

export interface CpuUse {
  /** Cores the server's process group kept busy on average. */
  serverCores: number;
  /** Cores busy with anything else (including this bench's own client). */
  otherCores: number;
}

function systemTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** The ids of the processes in process group `pgid` (a server and what it started). */
export function groupProcesses(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(readFileSync(`/proc/${entry}/stat`, 'utf8'))[2]) === pgid) pids.push(Number(entry));
    } catch {
      // the process exited meanwhile
    }
  }
  return pids;
}

/** CPU ticks (utime + stime) of the whole group, threads that exited included (the processes' own totals). */
export function groupTicks(pgid: number): number {
  let sum = 0;
  for (const pid of groupProcesses(pgid)) {
    try {
      const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      sum += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process exited meanwhile
    }
  }
  return sum;
}

/** The fields of a /proc stat line after the command name (which may hold spaces): state(0) ppid pgrp(2) … utime(11) stime(12). */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** undefined where /proc is not available. */
export function cpuSample(pgid: number | undefined): CpuSample | undefined {
  try {
    return { ...systemTicks(), group: pgid === undefined ? 0 : groupTicks(pgid) };
  } catch {
    return undefined;
  }
}

export function cpuUse(before: CpuSample | undefined, after: CpuSample | undefined): CpuUse | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  const cores = cpus().length;
  const total = after.total - before.total;
  const server = after.group - before.group;
  const busy = after.busy - before.busy;
  return { serverCores: (server / total) * cores, otherCores: (Math.max(0, busy - server) / total) * cores };
}

/**
 * For a child that runs to completion (llama-bench): this process's own CPU plus that of its
 * reaped children (cutime/cstime in /proc/self/stat), in jiffies.
 */
export function selfAndChildrenSample(): CpuSample | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime(11) stime(12) cutime(13) cstime(14)
    const group = [11, 12, 13, 14].reduce((sum, i) => sum + Number(rest[i]), 0);
    return { ...systemTicks(), group };
  } catch {
    return undefined;
  }
}
