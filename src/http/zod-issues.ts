// What both APIs need to turn a zod error into one message naming the field at fault; each
// API words the message and formats the path its own way (OpenAI `messages[1].role`,
// Anthropic `messages.1.role`).

import type { z } from 'zod';

export type Issue = z.core.$ZodIssue;
export type Path = PropertyKey[];

/** The value at `path` in the request body, or undefined where the path leaves it. */
export function valueAt(input: unknown, path: Path): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * For a plain union (`string | blocks`): the first issue of the branch worth explaining — of
 * the branches that got past the value's type, the one that got furthest into the value.
 * Undefined when every branch rejected the value's type outright.
 */
export function explainingBranch(issue: Extract<Issue, { code: 'invalid_union' }>): Issue | undefined {
  const typeMismatch = (branch: Issue[]) => branch.length > 0 && branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
  const candidates = issue.errors.filter((branch) => branch.length > 0 && !typeMismatch(branch));
  let best = candidates[0];
  for (const branch of candidates) if ((branch[0]?.path.length ?? 0) > (best![0]?.path.length ?? 0)) best = branch;
  return best?.[0];
}

/** The types a union's branches expected, for "expected string or array". */
export function expectedTypes(issue: Extract<Issue, { code: 'invalid_union' }>): string[] {
  const types = issue.errors.flatMap((branch) => branch.map((i) => (i.code === 'invalid_type' ? i.expected : undefined)));
  return [...new Set(types)].filter((type): type is NonNullable<typeof type> => type !== undefined);
}

export type IssueDescriber = (issue: Issue, base: Path, input: unknown) => { path: Path; message: string };

/** One message naming the first field at fault (`<field>: <what is wrong>`), and that field as `param`. */
export function describeFirstIssue(error: z.ZodError, input: unknown, describe: IssueDescriber, formatPath: (path: Path) => string): { message: string; param?: string } {
  const first = error.issues[0];
  if (first === undefined) return { message: 'Invalid request body' };
  const { path, message } = describe(first, [], input);
  if (path.length === 0) return { message: `Invalid request body: ${message}` };
  const param = formatPath(path);
  return { message: `${param}: ${message}`, param };
}
