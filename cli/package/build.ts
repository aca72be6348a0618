// Builds the publishable CLI package: one self-contained ES module and a package.json, so that CI can install
// the `vigil` command without this repository, its dev dependencies or a TypeScript loader:
//   <out>/package.json      @vigil-runtime/cli, bin `vigil`, no dependencies
//   <out>/bin/vigil.mjs     node bin/vigil.mjs …
//   npm pack <out>          the tarball to publish or to install from a file
// The package is scoped: the unscoped npm name `vigil` belongs to an unrelated package, so `npx vigil` outside a
// checkout would run that one. The command keeps the name `vigil`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStandaloneBundle } from '../../infra/standalone-bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

export const CLI_PACKAGE_NAME = '@vigil-runtime/cli';
export const CLI_BIN = join('bin', 'vigil.mjs');

interface RootPackage {
  version: string;
  license: string;
  engines: { node: string };
}

/** Builds the package into `outDir`; returns the bundle's path and the built-in modules it imports. */
export async function buildCliPackage(outDir: string): Promise<{ file: string; imports: string[] }> {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as RootPackage;
  const outfile = join(outDir, CLI_BIN);
  // The shebang makes the file the `bin`; the package has no dependencies, so only Node built-ins stay external.
  const imports = await buildStandaloneBundle({
    entry: join(repoRoot, 'cli', 'vigil.ts'),
    outfile,
    name: 'CLI',
    shebang: true,
    bareBuiltins: true,
  });
  const manifest = {
    name: CLI_PACKAGE_NAME,
    version: root.version,
    description: 'The vigil command: policy as code, resources and audit of a Vigil control plane.',
    license: root.license,
    type: 'module',
    engines: root.engines,
    // `vigil --version` reads this file (../package.json from the bundle), as it reads the repository's in a checkout.
    bin: { vigil: CLI_BIN.split('\\').join('/') },
    files: ['bin'],
  };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(outDir, 'README.md'),
    `# ${CLI_PACKAGE_NAME}\n\nThe \`vigil\` command of the Vigil control plane, bundled with its dependencies (Node.js ${root.engines.node}).\n` +
      'Run `vigil --help`; the full reference is docs/cli.md in the Vigil repository.\n',
  );
  return { file: outfile, imports };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/cli');
  buildCliPackage(out).then(
    ({ file }) => process.stdout.write(`CLI package built: ${file}\nnpm pack ${out} makes its tarball\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
