// Download progress: on a terminal a bar per active file plus a total (bytes, speed, ETA) with
// cli-progress; elsewhere (logs, CI, pipes) a plain line every few seconds and one per event.
// Either way a summary at the end. Everything goes to stderr: stdout stays clean.
import cliProgress from 'cli-progress';
import type { FileEvents, FileOutcome } from './file-download.js';
import { formatBytes, formatDuration } from './format.js';
import type { RemoteFile } from './hub-client.js';

export interface DownloadPlan {
  repo: string;
  commit: string;
  dir: string;
  toFetch: readonly RemoteFile[];
  skipped: readonly RemoteFile[];
}

export interface DownloadSummary {
  repo: string;
  commit: string;
  dir: string;
  downloaded: RemoteFile[];
  /** Already present and verified. */
  skipped: RemoteFile[];
  failed: Array<{ file: RemoteFile; message: string }>;
  /** Bytes that came over the network in this run. */
  bytesTransferred: number;
  seconds: number;
}

export interface ProgressReporter extends FileEvents {
  plan(plan: DownloadPlan): void;
  fileDone(path: string, outcome: FileOutcome): void;
  fileFailed(path: string, message: string): void;
  note(message: string): void;
  finish(summary: DownloadSummary): void;
}

/** Speed over a sliding window of samples. */
class Rate {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 8000) {}
  add(bytes: number, now = Date.now()): void {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > this.windowMs) this.samples.shift();
  }
  perSecond(now = Date.now()): number {
    if (this.samples.length === 0) return 0;
    const span = Math.max(1000, now - this.samples[0]![0]);
    return (this.samples.reduce((sum, [, bytes]) => sum + Math.max(0, bytes), 0) * 1000) / span;
  }
}

interface FileState {
  size: number;
  done: number;
  rate: Rate;
}

/** Byte accounting shared by both renderers. */
class Tracker {
  total = 0;
  done = 0;
  transferred = 0;
  readonly rate = new Rate();
  readonly files = new Map<string, FileState>();
  readonly sizes = new Map<string, number>();

  plan(plan: DownloadPlan): void {
    for (const file of plan.toFetch) this.sizes.set(file.path, file.size);
    this.total = plan.toFetch.reduce((sum, file) => sum + file.size, 0);
  }
  start(path: string, size: number, from: number): FileState {
    const state: FileState = { size, done: from, rate: new Rate() };
    this.files.set(path, state);
    this.done += from;
    return state;
  }
  progress(path: string, delta: number): FileState | undefined {
    const state = this.files.get(path);
    if (!state) return undefined;
    state.done += delta;
    state.rate.add(delta);
    this.done += delta;
    if (delta > 0) {
      this.transferred += delta;
      this.rate.add(delta);
    }
    return state;
  }
  finishFile(path: string): void {
    const state = this.files.get(path);
    const size = this.sizes.get(path) ?? state?.size ?? 0;
    this.done += size - (state?.done ?? 0);
    this.files.delete(path);
  }
  eta(): number {
    const speed = this.rate.perSecond();
    return speed > 0 ? (this.total - this.done) / speed : Number.POSITIVE_INFINITY;
  }
  line(): string {
    const percent = this.total > 0 ? Math.floor((this.done / this.total) * 100) : 100;
    return `${percent}% ${formatBytes(this.done)} / ${formatBytes(this.total)}, ${formatBytes(this.rate.perSecond())}/s, ETA ${formatDuration(this.eta())}`;
  }
}

export function summaryLines(summary: DownloadSummary): string[] {
  const lines: string[] = [];
  const bytes = summary.downloaded.reduce((sum, file) => sum + file.size, 0);
  const speed = summary.seconds > 0 ? summary.bytesTransferred / summary.seconds : 0;
  lines.push(
    `${summary.failed.length ? 'Incomplete' : 'Done'}: ${summary.downloaded.length} file${summary.downloaded.length === 1 ? '' : 's'} downloaded (${formatBytes(bytes)} in ${formatDuration(summary.seconds)}` +
      `${summary.bytesTransferred > 0 ? `, ${formatBytes(speed)}/s` : ''}), ${summary.skipped.length} already present and verified` +
      `${summary.failed.length ? `, ${summary.failed.length} failed` : ''}.`,
  );
  for (const { file, message } of summary.failed) lines.push(`  failed: ${file.path}: ${message}`);
  lines.push(`${summary.repo} @ ${summary.commit.slice(0, 12)} → ${summary.dir}`);
  return lines;
}

export interface ReporterOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain mode: how often to print the total line (default 5 s). */
  intervalMs?: number;
  /** Force a mode (default: bars when the stream is a TTY). */
  tty?: boolean;
}

export function createProgressReporter(options: ReporterOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  return (options.tty ?? stream.isTTY === true) ? new BarReporter(stream) : new LineReporter(stream, options.intervalMs ?? 5000);
}

export const silentReporter: ProgressReporter = {
  plan: () => undefined,
  fileDone: () => undefined,
  fileFailed: () => undefined,
  note: () => undefined,
  finish: () => undefined,
};

function planLine(plan: DownloadPlan): string {
  const bytes = plan.toFetch.reduce((sum, file) => sum + file.size, 0);
  return `${plan.repo} @ ${plan.commit.slice(0, 12)}: ${plan.toFetch.length} file${plan.toFetch.length === 1 ? '' : 's'} to fetch (${formatBytes(bytes)})${plan.skipped.length ? `, ${plan.skipped.length} already present` : ''} → ${plan.dir}`;
}

class LineReporter implements ProgressReporter {
  private readonly tracker = new Tracker();
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly intervalMs: number,
  ) {}
  private write(text: string): void {
    this.stream.write(`hfd: ${text}\n`);
  }
  plan(plan: DownloadPlan): void {
    this.tracker.plan(plan);
    this.write(planLine(plan));
    if (plan.toFetch.length === 0) return;
    this.timer = setInterval(() => this.write(`${this.tracker.line()} (${this.tracker.files.size} active)`), this.intervalMs);
    this.timer.unref();
  }
  start(path: string, size: number, from: number): void {
    this.tracker.start(path, size, from);
    this.write(from > 0 ? `resuming ${path} at ${formatBytes(from)} of ${formatBytes(size)}` : `downloading ${path} (${formatBytes(size)})`);
  }
  progress(path: string, delta: number): void {
    this.tracker.progress(path, delta);
  }
  restart(path: string, reason: string): void {
    this.write(`${path}: ${reason}`);
  }
  retry(path: string, message: string): void {
    this.write(`${path}: ${message}`);
  }
  waiting(path: string, holder: string): void {
    this.write(`${path}: another download (${holder}) holds it; waiting`);
  }
  fileDone(path: string, outcome: FileOutcome): void {
    this.tracker.finishFile(path);
    this.write(outcome === 'skipped' ? `${path}: already present and verified` : `${path}: done, verified`);
  }
  fileFailed(path: string, message: string): void {
    this.tracker.finishFile(path);
    this.write(`${path}: FAILED: ${message}`);
  }
  note(message: string): void {
    this.write(message);
  }
  finish(summary: DownloadSummary): void {
    clearInterval(this.timer);
    for (const line of summaryLines(summary)) this.stream.write(`${line}\n`);
  }
}

function bar(fraction: number, width = 24): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function shorten(name: string, width = 40): string {
  return name.length <= width ? name.padEnd(width) : `…${name.slice(name.length - width + 1)}`;
}

class BarReporter implements ProgressReporter {
  private readonly tracker = new Tracker();
  private readonly multibar: cliProgress.MultiBar;
  private totalBar: cliProgress.SingleBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {
    this.multibar = new cliProgress.MultiBar({
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 8,
      format: (_options, params, payload: { name: string; line: string }) => `${shorten(payload.name)} ${bar(params.progress)} ${payload.line}`,
    });
  }
  private fileLine(state: { size: number; done: number; rate: Rate }): string {
    const speed = state.rate.perSecond();
    return `${formatBytes(state.done)} / ${formatBytes(state.size)}  ${formatBytes(speed)}/s  ETA ${formatDuration(speed > 0 ? (state.size - state.done) / speed : Number.POSITIVE_INFINITY)}`;
  }
  private refreshTotal(): void {
    this.totalBar?.update(Math.max(0, this.tracker.done), { name: 'total', line: this.tracker.line() });
  }
  plan(plan: DownloadPlan): void {
    this.tracker.plan(plan);
    this.multibar.log(`${planLine(plan)}\n`);
    if (plan.toFetch.length === 0) return;
    this.totalBar = this.multibar.create(Math.max(1, this.tracker.total), 0, { name: 'total', line: this.tracker.line() });
    this.ticker = setInterval(() => {
      for (const [path, item] of this.bars) {
        const state = this.tracker.files.get(path);
        if (state) item.update(Math.max(0, state.done), { name: path, line: this.fileLine(state) });
      }
      this.refreshTotal();
    }, 250);
    this.ticker.unref();
  }
  start(path: string, size: number, from: number): void {
    const state = this.tracker.start(path, size, from);
    this.bars.set(path, this.multibar.create(Math.max(1, size), from, { name: path, line: this.fileLine(state) }));
  }
  progress(path: string, delta: number): void {
    this.tracker.progress(path, delta);
  }
  restart(path: string, reason: string): void {
    this.multibar.log(`${path}: ${reason}\n`);
  }
  retry(path: string, message: string): void {
    this.multibar.log(`${path}: ${message}\n`);
  }
  waiting(path: string, holder: string): void {
    this.multibar.log(`${path}: another download (${holder}) holds it; waiting\n`);
  }
  private removeBar(path: string): void {
    const item = this.bars.get(path);
    if (item) this.multibar.remove(item);
    this.bars.delete(path);
  }
  fileDone(path: string, outcome: FileOutcome): void {
    this.removeBar(path);
    this.tracker.finishFile(path);
    this.multibar.log(`${path}: ${outcome === 'skipped' ? 'already present and verified' : 'done, verified'}\n`);
    this.refreshTotal();
  }
  fileFailed(path: string, message: string): void {
    this.removeBar(path);
    this.tracker.finishFile(path);
    this.multibar.log(`${path}: FAILED: ${message}\n`);
  }
  note(message: string): void {
    this.multibar.log(`${message}\n`);
  }
  finish(summary: DownloadSummary): void {
    clearInterval(this.ticker);
    this.refreshTotal();
    this.multibar.stop();
    for (const line of summaryLines(summary)) this.stream.write(`${line}\n`);
  }
}
