// Option value parsers that reject bad input with a message naming the flag.
import { InvalidArgumentError } from '@commander-js/extra-typings';

export function intOption(flag: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(
        `${flag} takes a whole number${min > Number.MIN_SAFE_INTEGER ? ` ≥ ${min}` : ''}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}, not "${value}".`,
      );
    }
    return number;
  };
}

/** A layer count, or `auto` (all that fit) / `max`/`all` (every layer); llama.cpp's -1 means all. */
export function parseGpuLayers(value: string): number | 'auto' | 'max' {
  const lower = value.toLowerCase();
  if (lower === 'auto') return 'auto';
  if (lower === 'max' || lower === 'all' || lower === '-1') return 'max';
  return intOption('--n-gpu-layers', 0)(value);
}
