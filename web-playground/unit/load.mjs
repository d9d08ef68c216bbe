// Loads a TypeScript module from src/ in Node for the unit tests: esbuild compiles it (and the
// src/ files it imports) into one ES module under node_modules/.cache, so npm packages it imports
// resolve as they do in the app.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules', '.cache', 'unit');

export async function load(entry) {
  await mkdir(cache, { recursive: true });
  const outfile = join(cache, `${entry.replace(/[/\\.]/g, '_')}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'node20',
    packages: 'external',
    jsx: 'automatic',
    logLevel: 'error',
  });
  return import(pathToFileURL(outfile).href);
}
