// Finds the line where a key of a TOML document is defined, so schema errors (which smol-toml
// cannot place: it gives positions for syntax errors only) can say "line 12". A light line scan,
// not a parser: it follows [table] and [[array]] headers and `key = value` lines, and skips the
// inside of multi-line strings. Good enough for config files; a miss just means no line number.

export type KeyPath = readonly (string | number)[];

export class KeyLines {
  private readonly lines = new Map<string, number>();

  constructor(source: string) {
    let table: (string | number)[] = [];
    const arrayCounts = new Map<string, number>();
    let inMultiline: '"""' | "'''" | undefined;
    source.split(/\r?\n/).forEach((raw, index) => {
      const lineNumber = index + 1;
      if (inMultiline) {
        if (raw.includes(inMultiline)) inMultiline = undefined;
        return;
      }
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const arrayHeader = /^\[\[\s*(.+?)\s*\]\]/.exec(line);
      const tableHeader = arrayHeader ? undefined : /^\[\s*(.+?)\s*\]/.exec(line);
      if (arrayHeader || tableHeader) {
        const keys = splitKey((arrayHeader ?? tableHeader)![1]!);
        // Each segment of a header refers to the latest element when that segment is an array of tables.
        const path: (string | number)[] = [];
        keys.forEach((key, i) => {
          path.push(key);
          const id = pathId(path);
          if (arrayHeader && i === keys.length - 1) {
            this.set(path, lineNumber); // the array itself: where its first element starts
            const count = arrayCounts.get(id) ?? 0;
            arrayCounts.set(id, count + 1);
            path.push(count);
          } else if (arrayCounts.has(id)) {
            path.push(arrayCounts.get(id)! - 1);
          }
        });
        table = path;
        this.set(path, lineNumber);
        return;
      }
      const assignment = /^((?:"[^"]*"|'[^']*'|[^=\s"']+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[^=\s."']+))*)\s*=\s*(.*)$/.exec(line);
      if (!assignment) return;
      const keys = splitKey(assignment[1]!);
      this.set([...table, ...keys], lineNumber);
      const value = assignment[2]!;
      for (const quote of ['"""', "'''"] as const) {
        if (value.startsWith(quote) && value.indexOf(quote, 3) === -1) inMultiline = quote;
      }
      // An inline table on one line: place its keys on that line too.
      const inline = /^\{(.*)\}\s*(#.*)?$/.exec(value);
      if (inline) {
        for (const match of inline[1]!.matchAll(/(?:^|,)\s*("[^"]*"|'[^']*'|[^=\s,"']+)\s*=/g)) {
          this.set([...table, ...keys, ...splitKey(match[1]!)], lineNumber);
        }
      }
    });
  }

  /** The line of the key, or of its closest enclosing key or table that has one. */
  lineOf(path: KeyPath): number | undefined {
    for (let length = path.length; length > 0; length--) {
      const line = this.lines.get(pathId(path.slice(0, length)));
      if (line !== undefined) return line;
    }
    return undefined;
  }

  private set(path: KeyPath, line: number): void {
    const id = pathId(path);
    if (!this.lines.has(id)) this.lines.set(id, line);
  }
}

function pathId(path: KeyPath): string {
  return JSON.stringify(path);
}

function splitKey(text: string): string[] {
  const keys: string[] = [];
  for (const match of text.matchAll(/\s*("([^"]*)"|'([^']*)'|[^.\s"']+)\s*(?:\.|$)/g)) {
    keys.push(match[2] ?? match[3] ?? match[1]!);
  }
  return keys;
}

/** `cache[1].route[0].model`: how errors name a key. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}
