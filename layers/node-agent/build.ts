// Builds the node agents (bridge and forwarder) into one self-contained ES module, the file the container image
// runs with plain `node` (layers/node-agent/Dockerfile):
//   <out>/node-agent.mjs   node node-agent.mjs bridge|forward [options]
// Every package the agents use (and the core's compiler, which the forwarder and the bridge run) is bundled in, so
// the image holds no node_modules and no TypeScript loader.
import { build, type Metafile } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const NODE_AGENT_BUNDLE = 'node-agent.mjs';

/** What the bundle imports at run time (left external); throws unless all are Node built-ins: the image has nothing else. */
function runTimeImports(metafile: Metafile): string[] {
  const imports = Object.values(metafile.outputs).flatMap((details) =>
    details.imports.filter((entry) => entry.external).map((entry) => entry.path),
  );
  const packages = imports.filter((path) => !path.startsWith('node:'));
  if (packages.length > 0) throw new Error(`the node-agent bundle must import only Node built-ins: ${packages.join(', ')}`);
  return [...new Set(imports)].sort();
}

/** Builds the agents into `outDir`; returns the bundle's path and the built-in modules it imports. */
export async function buildNodeAgent(outDir: string): Promise<{ file: string; imports: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, NODE_AGENT_BUNDLE);
  const result = await build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    // Bundled CommonJS packages may call require(); an ES module has none of its own.
    banner: {
      js: 'import { createRequire as vigilCreateRequire } from "node:module"; const require = vigilCreateRequire(import.meta.url);',
    },
    // The yaml package (kubeconfig parsing in the bridge) imports these built-ins by their bare names.
    alias: { process: 'node:process', buffer: 'node:buffer' },
    metafile: true,
    legalComments: 'none',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  return { file: outfile, imports: runTimeImports(result.metafile) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/node-agent');
  buildNodeAgent(out).then(
    ({ file }) => process.stdout.write(`node agents built: ${file}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
