import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // node-llama-cpp's native addon is safest in separate processes, not worker threads.
    pool: 'forks',
    // Model tests load llama.cpp and generate fixture files: generous, not timed assertions.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
