// The Hub's REST API, the parts a downloader needs: which commit a revision points at, and the
// repository's file tree with sizes and hashes. Endpoints and headers are the real Hub's:
//   GET {endpoint}/api/models/{repo}/revision/{rev}          → { sha, gated, private, … }
//   GET {endpoint}/api/models/{repo}/tree/{sha}?recursive=true → [{ type, path, size, oid, lfs?: { oid, size } }],
//       paginated with a `Link: <…>; rel="next"` header
//   GET {endpoint}/{repo}/resolve/{sha}/{path}               → the bytes, or a 302 to a CDN host
import { HubError, hubErrorFromResponse } from './errors.js';
import { hubFetch, withRetries, type RetryOptions } from './http.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface RemoteFile {
  /** Path inside the repository, `/`-separated. */
  path: string;
  size: number;
  /** LFS files: the sha256 of the content (hex). */
  sha256?: string;
  /** Regular (non-LFS) files: the git blob id (sha1 of `blob <size>\0` + content). */
  gitOid?: string;
}

export interface RevisionInfo {
  /** The commit the revision resolves to: every file is fetched at this commit. */
  sha: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
}

export interface HubClientOptions {
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  token?: string;
  retry?: RetryOptions;
  onRetry?: (message: string) => void;
}

const REPO_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

export function assertRepoId(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes('..') || repo.includes('--') || repo.length > 200) {
    throw new HubError(`"${repo}" is not a Hugging Face repository id: expected <owner>/<name>, e.g. unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF.`);
  }
}

/** Encode each segment of a repository path, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export class HubClient {
  readonly endpoint: string;
  readonly token: string | undefined;
  private readonly origin: string;
  private readonly retry: RetryOptions;
  private readonly onRetry: ((message: string) => void) | undefined;

  constructor(options: HubClientOptions = {}) {
    const endpoint = (options.endpoint || process.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
    try {
      this.origin = new URL(endpoint).origin;
    } catch {
      throw new HubError(`HF_ENDPOINT / endpoint "${endpoint}" is not a URL.`);
    }
    this.endpoint = endpoint;
    this.token = options.token || undefined;
    this.retry = options.retry ?? {};
    this.onRetry = options.onRetry;
  }

  /** Origin allowed to receive the token. */
  get tokenOrigin(): string {
    return this.origin;
  }

  async revisionInfo(repo: string, revision: string, signal?: AbortSignal): Promise<RevisionInfo> {
    assertRepoId(repo);
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const body = (await this.getJson(url, repo, revision, signal)).json as { sha?: unknown; gated?: unknown; private?: unknown };
    if (typeof body.sha !== 'string' || !/^[0-9a-f]{40}$/.test(body.sha)) throw new HubError(`The Hub's answer for ${repo}@${revision} has no commit sha.`);
    return { sha: body.sha, gated: body.gated === 'auto' || body.gated === 'manual' ? body.gated : false, private: body.private === true };
  }

  /** Every file of the repository at `revision` (a commit sha is best), following pagination. */
  async listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<RemoteFile[]> {
    assertRepoId(repo);
    const files: RemoteFile[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true&expand=false`;
    for (let page = 0; url && page < 10_000; page++) {
      const { json, headers } = await this.getJson(url, repo, revision, signal);
      if (!Array.isArray(json)) throw new HubError(`The Hub's file list for ${repo} is not a list.`);
      for (const entry of json as Array<Record<string, unknown>>) {
        if (entry.type !== 'file') continue;
        files.push(toRemoteFile(entry, repo));
      }
      url = nextLink(headers.get('link'), url);
    }
    return files;
  }

  /** The download URL of one file (the Hub answers it directly or with a redirect to its CDN). */
  fileUrl(repo: string, revision: string, path: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
  }

  private async getJson(url: string, repo: string, revision: string, signal?: AbortSignal): Promise<{ json: unknown; headers: Headers }> {
    return withRetries(
      async () => {
        const { response } = await hubFetch(url, {
          ...(this.token ? { token: this.token } : {}),
          tokenOrigin: this.origin,
          headers: { accept: 'application/json' },
          ...(signal ? { signal } : {}),
        });
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          throw hubErrorFromResponse(response.status, response.headers, { endpoint: this.endpoint, repo, revision, hasToken: this.token !== undefined });
        }
        try {
          return { json: await response.json(), headers: response.headers };
        } catch (error) {
          throw new HubError(`The Hub's answer from ${url} is not JSON: ${(error as Error).message}`, response.status, true);
        }
      },
      { ...this.retry, ...(signal ? { signal } : {}), onRetry: (error, delay) => this.onRetry?.(`${error.message} Retrying in ${(delay / 1000).toFixed(1)} s.`) },
    );
  }
}

function toRemoteFile(entry: Record<string, unknown>, repo: string): RemoteFile {
  const path = entry.path;
  const size = entry.size;
  if (typeof path !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new HubError(`The Hub's file list for ${repo} has a malformed entry: ${JSON.stringify(entry).slice(0, 200)}`);
  }
  const lfs = entry.lfs as { oid?: unknown; size?: unknown } | undefined;
  if (lfs && typeof lfs === 'object') {
    const oid = typeof lfs.oid === 'string' ? lfs.oid.replace(/^sha256:/, '').toLowerCase() : undefined;
    if (!oid || !/^[0-9a-f]{64}$/.test(oid)) throw new HubError(`The Hub lists ${path} as an LFS file without a sha256.`);
    return { path, size: typeof lfs.size === 'number' ? lfs.size : size, sha256: oid };
  }
  const oid = typeof entry.oid === 'string' && /^[0-9a-f]{40}$/.test(entry.oid) ? entry.oid : undefined;
  return { path, size, ...(oid ? { gitOid: oid } : {}) };
}

function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return new URL(match[1]!, base).href;
  }
  return undefined;
}
