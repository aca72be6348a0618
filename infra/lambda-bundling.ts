// How the control plane's functions are bundled: one definition for the CDK stack (NodejsFunction) and the
// `bundles` benchmark, so that the sizes the benchmark reports are the sizes that get deployed.
import { fileURLToPath } from 'node:url';

/** The repository root: NodejsFunction's project root, and the base of every entry path below. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The Lambda functions of the control plane, by name, with their entry files relative to the repository root. */
export const functionEntries = {
  api: 'functions/api/index.ts',
  admission: 'functions/admission/index.ts',
  enforcer: 'functions/enforcer/index.ts',
  modeChange: 'functions/mode-change/index.ts',
  auditExport: 'functions/audit-export/index.ts',
  auditReplay: 'functions/audit-replay/index.ts',
  bootstrap: 'functions/bootstrap/index.ts',
} as const;

export type VigilFunctionName = keyof typeof functionEntries;

/** esbuild's target for the Lambda runtime `nodejs24.x`. */
export const lambdaTarget = 'node24';

/**
 * CommonJS dependencies inside an ESM bundle may call `require()` (yaml does, for `process`), which an ES
 * module does not have: the banner gives the bundle one.
 */
export const esmRequireBanner = "import{createRequire as __vigilRequire}from'node:module';const require=__vigilRequire(import.meta.url);";

/** Prefer packages' ES module builds: they tree-shake (the SDK's `dist-es` drops what a client never calls). */
export const mainFields: readonly string[] = ['module', 'main'];

/**
 * Nothing is external: the AWS SDK clients are bundled at the versions pinned in package-lock.json, so that
 * what was tested is what runs, instead of whichever SDK version the Lambda runtime ships that month
 * (docs/adr/0006). The protection layer is built separately and never bundles the SDK.
 */
export const externalModules: readonly string[] = [];

/**
 * Modules the bundles take from elsewhere, by import path → path relative to the repository root (esbuild
 * resolves an alias from its working directory, which is the repository root for the stack and the
 * benchmarks alike). The SDK's default credential chain gives way to the environment alone, where Lambda puts
 * the role's credentials: see functions/shared/environment-credentials.ts and docs/adr/0007.
 */
export const moduleAliases: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/shared/environment-credentials.ts',
};

/**
 * NODE_OPTIONS of every function: the bundles carry source maps, and without this flag Node ignores them in
 * stack traces. The benchmarks start their cold-start processes with it too.
 */
export const lambdaNodeOptions = '--enable-source-maps';
