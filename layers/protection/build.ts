// Builds the protection layer artifact:
//   vigil/preload.cjs    CommonJS, for NODE_OPTIONS=--require (set by vigil/vigil-wrapper)
//   vigil/protect.mjs    ESM, protect(handler)
//   vigil/middy.mjs      ESM, vigilProtection() middleware
//   vigil/vigil-wrapper  the AWS_LAMBDA_EXEC_WRAPPER script
//   vigil/guard/<arch>/vigil-guard.so  the native exec guard (x86_64 and aarch64), loaded by the wrapper
//   python/vigil/*.py    the Python package (standard library only); Lambda puts /opt/python on sys.path
//   python/vigil/__pycache__/*.cpython-3XX.pyc  its bytecode, for each of python3.11-3.13 found on this machine
// The core engine is bundled in. No @aws-sdk/* module is bundled or imported: the layer runs inside users'
// functions, talks to the control plane over node:http(s) only, and must not add the SDK's cold-start cost
// or clash with the SDK version the function ships. (A token kept in SSM or Secrets Manager is read with
// the SDK the Lambda runtime provides, loaded at run time only when configured: see tokenSource.ts.)
// No npm package is bundled at all: the build fails if one is.
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuard } from './native/build.js';
import { findPythonInterpreters, type PythonVersion } from './python-interpreters.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Throws when an output bundles or imports anything but the layer, the core and Node built-ins. Every
 * package adds cold-start time to the user's function; zod alone was most of the layer's, and it stays out
 * only as long as the layer reaches the core through its engine and scope modules (never its index).
 */
function assertSelfContained(metafile: Metafile): void {
  for (const [output, details] of Object.entries(metafile.outputs)) {
    const bundled = Object.keys(details.inputs).filter((input) => input.includes('node_modules/'));
    const imported = details.imports.filter((entry) => entry.external && !entry.path.startsWith('node:'));
    if (bundled.length > 0 || imported.length > 0) {
      throw new Error(
        `${output} must not contain or import npm packages: ${[...bundled, ...imported.map((entry) => entry.path)].join(', ')}`,
      );
    }
  }
}

/** Copies the Python package's modules (sources; their bytecode is compiled next to them). */
function copyPythonPackage(to: string): void {
  const from = join(here, 'python', 'vigil');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a folder of this build's output, under the path it was given
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) if (name.endsWith('.py')) copyFileSync(join(from, name), join(to, name));
}

/**
 * Compiles the package's bytecode with every python3.11-3.13 interpreter found here, where each runtime looks
 * for it (`__pycache__/<module>.cpython-3XX.pyc`), and returns the versions compiled. The layer's /opt is
 * read-only in Lambda, so without them every cold start compiles the package again. They are unchecked-hash
 * pycs (PEP 552): the runtime neither compares a timestamp (a zip or a deployment may change every file's
 * mtime) nor hashes the source on each import; the source and its bytecode ship together in one layer.
 * A version with no interpreter here ships sources only and still works (compiled at its cold start).
 */
export function compilePythonBytecode(packageDir: string): PythonVersion[] {
  const compiled: PythonVersion[] = [];
  // The names in the code objects (and so the bytes of the files) are where Lambda puts the package, not
  // this build's temporary directory; the runtime names the real source in tracebacks either way.
  const env = { ...process.env, PYTHONPYCACHEPREFIX: '', PYTHONDONTWRITEBYTECODE: '' };
  for (const { version, executable } of findPythonInterpreters()) {
    const result = spawnSync(
      executable,
      ['-m', 'compileall', '-q', '-f', '--invalidation-mode', 'unchecked-hash', '-d', '/opt/python/vigil', packageDir],
      { encoding: 'utf8', env, timeout: 120_000 },
    );
    if (result.status !== 0) throw new Error(`compiling the Python package with python${version} failed: ${result.stdout}${result.stderr}`);
    compiled.push(version);
  }
  return compiled;
}

/** Builds the layer into `outDir` (the layer's /opt); returns the directory holding the entries. */
export async function buildProtectionLayer(outDir: string): Promise<string> {
  const target = join(outDir, 'vigil');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a folder of this build's output, under the path it was given
  mkdirSync(target, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['@aws-sdk/*'],
    metafile: true,
    legalComments: 'none',
    minify: true,
    logLevel: 'warning',
  };
  const preload = await build({
    ...common,
    entryPoints: [join(here, 'preload.ts')],
    format: 'cjs',
    outfile: join(target, 'preload.cjs'),
    // CommonJS has no import.meta; the layer uses import.meta.url to resolve modules from its own location.
    define: { 'import.meta.url': 'vigilModuleUrl' },
    banner: { js: 'var vigilModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  const modules = await build({
    ...common,
    entryPoints: { protect: join(here, 'protect.ts'), middy: join(here, 'middy.ts') },
    format: 'esm',
    outdir: target,
    outExtension: { '.js': '.mjs' },
  });
  assertSelfContained(preload.metafile!);
  assertSelfContained(modules.metafile!);
  copyFileSync(join(here, 'wrapper', 'vigil-wrapper'), join(target, 'vigil-wrapper'));
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a folder of this build's output, under the path it was given
  chmodSync(join(target, 'vigil-wrapper'), 0o755);
  buildGuard(join(target, 'guard'));
  copyPythonPackage(join(outDir, 'python', 'vigil'));
  compilePythonBytecode(join(outDir, 'python', 'vigil'));
  return target;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/protection-layer');
  buildProtectionLayer(out).then(
    (dir) => {
      const cache = join(out, 'python', 'vigil', '__pycache__');
      // No interpreter found: no bytecode folder, and the layer ships the sources alone.
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the output folder this build just wrote, listed
      const tags = new Set(existsSync(cache) ? readdirSync(cache).map((name) => name.split('.')[1]) : []);
      process.stdout.write(`protection layer built in ${dir} (Python bytecode: ${[...tags].sort().join(', ') || 'none'})\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
