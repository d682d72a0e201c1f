// Model-load progress: a bar on a terminal, a start and an end line otherwise (logs, CI).
import cliProgress from 'cli-progress';
import { basename } from 'node:path';

export interface LoadProgress {
  update(fraction: number): void;
  /** Stop the bar; print the summary line if given. */
  done(summary?: string): void;
}

export function createLoadProgress(modelPath: string, stream: NodeJS.WriteStream = process.stderr): LoadProgress {
  const name = basename(modelPath);
  if (!stream.isTTY) {
    stream.write(`loading ${name}…\n`);
    return {
      update: () => undefined,
      done: (summary) => {
        if (summary) stream.write(`${summary}\n`);
      },
    };
  }
  const bar = new cliProgress.SingleBar({ stream, format: `loading ${name} [{bar}] {percentage}%`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  bar.start(100, 0);
  return {
    update: (fraction) => bar.update(Math.round(fraction * 100)),
    done: (summary) => {
      bar.stop();
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
