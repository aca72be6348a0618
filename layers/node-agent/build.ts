// Builds the node agents (bridge and forwarder) into one self-contained ES module, the file the container image
// runs with plain `node` (layers/node-agent/Dockerfile):
//   <out>/node-agent.mjs   node node-agent.mjs bridge|forward [options]
// Every package the agents use (and the core's compiler, which the forwarder and the bridge run) is bundled in, so
// the image holds no node_modules and no TypeScript loader.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStandaloneBundle } from '../../infra/standalone-bundle.js';

const here = dirname(fileURLToPath(import.meta.url));

export const NODE_AGENT_BUNDLE = 'node-agent.mjs';

/** Builds the agents into `outDir`; returns the bundle's path and the built-in modules it imports. */
export async function buildNodeAgent(outDir: string): Promise<{ file: string; imports: string[] }> {
  const outfile = join(outDir, NODE_AGENT_BUNDLE);
  const imports = await buildStandaloneBundle({
    entry: join(here, 'main.ts'),
    outfile,
    name: 'node-agent',
    // The image has nothing but Node; the yaml package (kubeconfig parsing in the bridge) imports these built-ins
    // by their bare names.
    alias: { process: 'node:process', buffer: 'node:buffer' },
  });
  return { file: outfile, imports };
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
