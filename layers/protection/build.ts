// Builds the protection layer artifact:
//   vigil/preload.cjs    CommonJS, for NODE_OPTIONS=--require (set by vigil/vigil-wrapper)
//   vigil/protect.mjs    ESM, protect(handler)
//   vigil/middy.mjs      ESM, vigilProtection() middleware
//   vigil/vigil-wrapper  the AWS_LAMBDA_EXEC_WRAPPER script
// The core engine is bundled in. No @aws-sdk/* module is bundled or imported: the layer runs inside users'
// functions, talks to the control plane over node:http(s) only, and must not add the SDK's cold-start cost
// or clash with the SDK version the function ships.
import { build, type BuildOptions } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the layer into `outDir` (the layer's /opt); returns the directory holding the entries. */
export async function buildProtectionLayer(outDir: string): Promise<string> {
  const target = join(outDir, 'vigil');
  mkdirSync(target, { recursive: true });
  const common: BuildOptions = { bundle: true, platform: 'node', target: 'node20', external: ['@aws-sdk/*'], legalComments: 'none', minify: true, logLevel: 'warning' };
  await build({ ...common, entryPoints: [join(here, 'preload.ts')], format: 'cjs', outfile: join(target, 'preload.cjs') });
  await build({
    ...common,
    entryPoints: { protect: join(here, 'protect.ts'), middy: join(here, 'middy.ts') },
    format: 'esm',
    outdir: target,
    outExtension: { '.js': '.mjs' },
  });
  copyFileSync(join(here, 'wrapper', 'vigil-wrapper'), join(target, 'vigil-wrapper'));
  chmodSync(join(target, 'vigil-wrapper'), 0o755);
  return target;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/protection-layer');
  buildProtectionLayer(out).then(
    (dir) => process.stdout.write(`protection layer built in ${dir}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
