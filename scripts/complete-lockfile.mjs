#!/usr/bin/env node
// node-llama-cpp lists one prebuilt-binary package per platform as optional dependencies.
// When `npm install` runs where the registry cannot serve some of them (a partial mirror),
// npm leaves them out of package-lock.json, and `npm ci` then refuses the lockfile as out of
// sync. This adds the missing entries (version, os and cpu only), so `npm ci` skips them on
// other platforms and fetches them by version where they apply. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS = {
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
  'linux-armv7l': { os: ['linux'], cpu: ['arm'] },
  'linux-riscv64': { os: ['linux'], cpu: ['riscv64'] },
  'linux-x64': { os: ['linux'], cpu: ['x64'] },
  'linux-x64-cuda': { os: ['linux'], cpu: ['x64'] },
  'linux-x64-cuda-ext': { os: ['linux'], cpu: ['x64'] },
  'linux-x64-vulkan': { os: ['linux'], cpu: ['x64'] },
  'mac-arm64-metal': { os: ['darwin'], cpu: ['arm64', 'x64'] },
  'mac-x64': { os: ['darwin'], cpu: ['x64'] },
  'win-arm64': { os: ['win32'], cpu: ['arm64', 'x64'] },
  'win-x64': { os: ['win32'], cpu: ['x64'] },
  'win-x64-cuda': { os: ['win32'], cpu: ['x64'] },
  'win-x64-cuda-ext': { os: ['win32'], cpu: ['x64'] },
  'win-x64-vulkan': { os: ['win32'], cpu: ['x64'] },
};

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const wanted = lock.packages['node_modules/node-llama-cpp']?.optionalDependencies ?? {};
let added = 0;
for (const [name, version] of Object.entries(wanted)) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const platform = PLATFORMS[name.replace('@node-llama-cpp/', '')];
  if (!platform) throw new Error(`unknown node-llama-cpp platform package ${name}: add it to PLATFORMS`);
  lock.packages[key] = { version, license: 'MIT', optional: true, ...platform, engines: { node: '>=20.0.0' } };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} missing node-llama-cpp platform entries`);
