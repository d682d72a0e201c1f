// Tiny globs for route rules: `*` matches any run of characters (slashes included), `?` one
// character; everything else is literal. Case-insensitive: model ids and header values differ
// in case between clients (`Claude-3-5-Haiku`), and no rule means to tell them apart.

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}
