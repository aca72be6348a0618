// `npm run console:build`: writes the built console to console/dist (the files the AWS stack uploads) and
// prints each file's size, raw and gzipped, as the build report of the console's budgets.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetSizes, buildConsole } from './build.js';

const DIST = fileURLToPath(new URL('./dist/', import.meta.url));

const assets = await buildConsole();
await rm(DIST, { recursive: true, force: true });
for (const [path, asset] of assets) {
  const file = join(DIST, path === '/' ? 'index.html' : path.slice(1));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, asset.body);
}
process.stdout.write(`${JSON.stringify({ dir: 'console/dist', files: assetSizes(assets) }, null, 2)}\n`);
