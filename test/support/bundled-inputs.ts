import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository's root, which the bundler resolves entry points against. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The source files (repository-relative) that bundling `entry` reaches, the AWS SDK left out. */
export async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: repoRoot,
  });
  return Object.keys(result.metafile.inputs);
}
