import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AssetHashType, DockerImage, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { repoRoot } from './lambda-bundling.js';

/**
 * Runtimes the layer is published for: the Node part is built for Node 20 syntax and needs nothing newer
 * (nodejs20.x is deprecated by Lambda); the Python package (python/vigil) uses the standard library of 3.11
 * to 3.13 only.
 */
export const protectionLayerRuntimes: readonly lambda.Runtime[] = [
  lambda.Runtime.NODEJS_22_X,
  lambda.Runtime.NODEJS_24_X,
  lambda.Runtime.PYTHON_3_11,
  lambda.Runtime.PYTHON_3_12,
  lambda.Runtime.PYTHON_3_13,
];

export interface ProtectionLayerProps {
  /**
   * Keep old layer versions when the stack replaces or deletes them: functions that use a version keep working.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Runs layers/protection/build.ts into CDK's bundling output directory. CDK's local bundling hook is
 * synchronous and the build is an async esbuild script, hence a child process.
 */
function buildLayerInto(outputDir: string): boolean {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const result = spawnSync(process.execPath, ['--import', tsx, join(repoRoot, 'layers', 'protection', 'build.ts'), outputDir], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`building the protection layer failed (${result.error?.message ?? `exit ${String(result.status)}`}): ${result.stderr}`);
  return true;
}

/**
 * The Lambda protection layer (layers/protection) as a LayerVersion: `/opt/vigil/{vigil-wrapper, preload.cjs,
 * protect.mjs, middy.mjs}`, the native exec guard for both architectures under `/opt/vigil/guard/`, and the
 * Python package under `/opt/python/vigil` (on the Python runtimes' sys.path). One build serves arm64 and x86_64.
 */
export class ProtectionLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: ProtectionLayerProps = {}) {
    super(scope, id);
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: 'Vigil protection layer (Node.js and Python): AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil/vigil-wrapper',
      compatibleRuntimes: [...protectionLayerRuntimes],
      compatibleArchitectures: [lambda.Architecture.ARM_64, lambda.Architecture.X86_64],
      license: 'Apache-2.0',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      code: lambda.Code.fromAsset(join(repoRoot, 'layers'), {
        // The version changes exactly when the built files do.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: the local build below always runs or fails (there is no Docker fallback).
          image: DockerImage.fromRegistry('scratch'),
          local: { tryBundle: buildLayerInto },
        },
      }),
    });
  }
}
