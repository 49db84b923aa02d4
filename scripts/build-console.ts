// `npm run build` (also `prepare`, so `npm install` / `npm ci` run it): bundles the admin console
// (controller/console/web/src) with esbuild into controller/console/web/dist — one app.js, one app.css, no
// network at run time — and reports the bundle size (docs/console.md "Bundle").
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..', 'controller', 'console', 'web');
const out = join(root, 'dist');

export async function buildConsole(opts: { quiet?: boolean } = {}): Promise<{ file: string; bytes: number; gzip: number }[]> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'src', 'main.tsx') },
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    // The chart library is a chunk of its own, loaded by the release page only.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = readdirSync(out).sort().map((f) => {
    const body = readFileSync(join(out, f));
    return { file: f, bytes: body.length, gzip: gzipSync(body).length };
  });
  if (!opts.quiet) {
    for (const f of files) process.stdout.write(`console bundle: ${f.file} ${(f.bytes / 1024).toFixed(1)} KiB (${(f.gzip / 1024).toFixed(1)} KiB gzip)\n`);
  }
  return files;
}

if (import.meta.main) await buildConsole();
