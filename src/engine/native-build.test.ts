import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NATIVE_CMAKE_OPTIONS, nativeBuildInvocation } from './native-build.js';

describe('nativeBuildInvocation', () => {
  it("runs node-llama-cpp's own CLI: source download, CPU only, our CMake options in its environment variables", () => {
    const { command, args, env } = nativeBuildInvocation({ PATH: '/usr/bin', CI: 'true', HOME: '/home/x' });
    expect(command).toBe(process.execPath);
    expect(existsSync(args[0]!)).toBe(true);
    expect(args[0]).toMatch(/node-llama-cpp[\\/]dist[\\/]cli[\\/]cli\.js$/);
    expect(args.slice(1)).toEqual(['source', 'download', '--gpu', 'false', '--noUsageExample']);
    for (const [name, value] of Object.entries(NATIVE_CMAKE_OPTIONS)) expect(env[`NODE_LLAMA_CPP_CMAKE_OPTION_${name}`]).toBe(value);
    expect(env.CI).toBeUndefined();
    expect(env.PATH).toBe('/usr/bin');
  });
});
