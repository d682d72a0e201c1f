// Hugging Face's file filters (`allow_patterns` / `ignore_patterns`, the CLI's --include /
// --exclude) use Python's fnmatch: `*` matches any run of characters *including* `/`, `?` one
// character, `[seq]` / `[!seq]` a character set; case-sensitive (as on Linux and macOS). A pattern
// ending in `/` means everything under that folder. picomatch and friends stop `*` at `/`, so
// `*Q6_K_XL*` would miss `UD-Q6_K_XL/model-00001-of-00002.gguf`: hence this small translator.
import { FatalError } from '../errors.js';

/** Python's fnmatch.translate, as a JavaScript RegExp. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i++]!;
    if (char === '*') {
      if (!source.endsWith('.*')) source += '.*'; // `**` is the same as `*`
    } else if (char === '?') {
      source += '.';
    } else if (char === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i, j);
      i = j + 1;
      const negate = set.startsWith('!');
      if (negate) set = set.slice(1);
      if (set === '') {
        source += negate ? '.' : '(?!)'; // `[!]`: any character; `[]` cannot match
        continue;
      }
      set = set.replace(/[\\\]^]/g, '\\$&');
      source += `[${negate ? '^' : ''}${set}]`;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  try {
    return new RegExp(`^${source}$`, 's');
  } catch (error) {
    throw new FatalError(`Invalid file pattern "${pattern}": ${(error as Error).message}`);
  }
}

function compile(pattern: string): RegExp {
  return fnmatchToRegExp(pattern.endsWith('/') ? `${pattern}*` : pattern);
}

export interface PathFilter {
  include?: readonly string[];
  exclude?: readonly string[];
}

/** huggingface_hub's filter_repo_objects: kept if it matches some include (or there are none) and no exclude. */
export function filterPaths<T>(items: readonly T[], filter: PathFilter, pathOf: (item: T) => string): T[] {
  const include = (filter.include ?? []).map(compile);
  const exclude = (filter.exclude ?? []).map(compile);
  return items.filter((item) => {
    const path = pathOf(item);
    if (include.length > 0 && !include.some((re) => re.test(path))) return false;
    return !exclude.some((re) => re.test(path));
  });
}
