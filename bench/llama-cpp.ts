// Finds or builds llama.cpp's own `llama-server` and `llama-bench` from the source that
// node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the
// reference tools are built from the same llama.cpp commit as our engine.
//
// The build lives in a cache folder outside the repo:
//   $LLAMA_BRIDGE_CACHE/llama.cpp-<commit>  or  ~/.cache/llama-bridge/llama.cpp-<commit>
// A first build takes ~15 minutes on 2 cores; later runs find the binaries and return at once.
// Nothing here ever commits or writes inside the repository.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface LlamaCppTools {
  /** Full commit hash of the llama.cpp source. */
  commit: string;
  /** The source checkout (build output in build/bin). */
  dir: string;
  server: string;
  bench: string;
  /** Environment for spawning the tools: the shared libraries sit next to the binaries. */
  env: NodeJS.ProcessEnv;
}

/** Root of all bench caches (llama.cpp build, generated model, raw results). */
export function cacheRoot(): string {
  return process.env.LLAMA_BRIDGE_CACHE ?? join(homedir(), '.cache', 'llama-bridge');
}

export function bundlePath(): string {
  // The package's `exports` map hides package.json: resolve the entry point and step up.
  const require = createRequire(import.meta.url);
  const entry = require.resolve('node-llama-cpp');
  return join(dirname(entry), '..', 'llama', 'gitRelease.bundle');
}

/** The commit the bundle's HEAD points to (`git bundle list-heads`). */
export function bundleCommit(bundle = bundlePath()): string {
  const heads = execFileSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' });
  const lines = heads.split('\n').map((line) => line.trim().split(/\s+/));
  const head = lines.find((parts) => parts[1] === 'HEAD') ?? lines.find((parts) => /^[0-9a-f]{40}$/.test(parts[0] ?? ''));
  const commit = head?.[0];
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`Could not read a commit from ${bundle}:\n${heads}`);
  return commit;
}

const TARGETS = ['llama-server', 'llama-bench'] as const;

/** Finds the built tools, building them (with progress on stderr) when missing. */
export async function ensureLlamaCpp(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<LlamaCppTools> {
  const bundle = bundlePath();
  const commit = bundleCommit(bundle);
  const dir = join(cacheRoot(), `llama.cpp-${commit.slice(0, 12)}`);
  const bin = join(dir, 'build', 'bin');
  const tools = (): LlamaCppTools => ({
    commit,
    dir,
    server: join(bin, 'llama-server'),
    bench: join(bin, 'llama-bench'),
    env: { ...process.env, LD_LIBRARY_PATH: [bin, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });

  if (TARGETS.every((target) => existsSync(join(bin, target)))) {
    log(`llama.cpp ${commit.slice(0, 12)}: using the build in ${dir}`);
    return tools();
  }

  if (!existsSync(join(dir, 'CMakeLists.txt'))) {
    log(`llama.cpp ${commit.slice(0, 12)}: cloning ${bundle} into ${dir}`);
    mkdirSync(dirname(dir), { recursive: true });
    // Clone under a temporary name and rename, so an interrupted clone is never mistaken for a source tree.
    const temp = `${dir}.tmp-${process.pid}`;
    rmSync(temp, { recursive: true, force: true });
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, temp], { stdio: 'inherit' });
    execFileSync('git', ['-C', temp, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit], { stdio: 'inherit' });
    renameSync(temp, dir);
  }

  // A build folder configured elsewhere (the checkout was moved) cannot be reused by CMake.
  const cmakeCache = join(dir, 'build', 'CMakeCache.txt');
  if (existsSync(cmakeCache) && !readFileSync(cmakeCache, 'utf8').includes(`CMAKE_CACHEFILE_DIR:INTERNAL=${join(dir, 'build')}`)) {
    log('llama.cpp: the build folder was configured in another place; starting it over');
    rmSync(join(dir, 'build'), { recursive: true, force: true });
  }

  const jobs = String(Math.max(1, cpus().length));
  log(`llama.cpp ${commit.slice(0, 12)}: building ${TARGETS.join(' and ')} with ${jobs} jobs (about 15 minutes on 2 cores; done once)`);
  const started = Date.now();
  await run(
    'cmake',
    [
      '-B',
      'build',
      '-DCMAKE_BUILD_TYPE=Release',
      '-DLLAMA_CURL=OFF',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_EXAMPLES=OFF',
      // Binaries find their shared libraries relative to themselves, so the folder can move.
      '-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON',
    ],
    dir,
    log,
  );
  await run('cmake', ['--build', 'build', '-j', jobs, '--target', ...TARGETS], dir, log);
  for (const target of TARGETS) {
    if (!existsSync(join(bin, target))) throw new Error(`llama.cpp build finished but ${join(bin, target)} is missing`);
  }
  log(`llama.cpp: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return tools();
}

/** Runs a build step, echoing progress lines ("[ 42%] Building ...") and keeping the tail for errors. */
function run(command: string, args: string[], cwd: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (data: Buffer): void => {
      for (const line of data.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (/^\[\s*\d+%\]|^-- (Configuring|Generating|Build files)|error/i.test(line)) log(`  ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed with exit code ${code}:\n${tail.join('\n')}`));
    });
  });
}

/** The version line of `llama-server --version` (printed on stderr), for the report. */
export function toolVersion(tools: LlamaCppTools): string {
  const result = spawnSync(tools.server, ['--version'], { env: tools.env, encoding: 'utf8' });
  const out = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  return (
    out
      .split('\n')
      .find((line) => line.startsWith('version:'))
      ?.replace(/^version:\s*/, '')
      .trim() ?? 'unknown'
  );
}
