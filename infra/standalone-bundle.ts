// One self-contained ES module for plain `node`, as the publishable CLI and the node agents' image need: every
// package bundled in, only Node built-ins left to import at run time (checked after the build).
import { build, type Metafile } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';

export interface StandaloneBundle {
  /** The TypeScript entry point. */
  readonly entry: string;
  readonly outfile: string;
  /** Names the bundle in the error when it would import a package at run time. */
  readonly name: string;
  /** Starts the file with `#!/usr/bin/env node`, to make it a package's `bin`. */
  readonly shebang?: boolean;
  /** Bare built-in names (`process` rather than `node:process`) allowed at run time. */
  readonly bareBuiltins?: boolean;
  readonly alias?: Record<string, string>;
}

/** What the bundle imports at run time (left external); throws unless all are Node built-ins. */
function runTimeImports(metafile: Metafile, bundle: StandaloneBundle): string[] {
  const imports = Object.values(metafile.outputs).flatMap((details) =>
    details.imports.filter((entry) => entry.external).map((entry) => entry.path),
  );
  const packages = imports.filter((path) => !path.startsWith('node:') && !(bundle.bareBuiltins === true && builtinModules.includes(path)));
  if (packages.length > 0) throw new Error(`the ${bundle.name} bundle must import only Node built-ins: ${packages.join(', ')}`);
  return [...new Set(imports)].sort();
}

/** Builds the bundle; returns the built-in modules it imports. */
export async function buildStandaloneBundle(bundle: StandaloneBundle): Promise<string[]> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the output folder the build script was given
  mkdirSync(dirname(bundle.outfile), { recursive: true });
  const result = await build({
    entryPoints: [bundle.entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: bundle.outfile,
    // Bundled CommonJS packages may call require(), which an ES module lacks.
    banner: {
      js: `${bundle.shebang === true ? '#!/usr/bin/env node\n' : ''}import { createRequire as vigilCreateRequire } from "node:module"; const require = vigilCreateRequire(import.meta.url);`,
    },
    ...(bundle.alias ? { alias: bundle.alias } : {}),
    metafile: true,
    legalComments: 'none',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  return runTimeImports(result.metafile, bundle);
}
