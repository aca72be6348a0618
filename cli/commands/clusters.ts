// `vigil clusters register|rotate-secret|rotate-node-agent-token` and `vigil groups rotate-token`: the secrets the API shows once.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { segment } from '../client.js';
import type { Context } from '../context.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { fileProblem, refuseUnwritableFile, refuseUnwritableFolder } from '../files.js';

/**
 * Writes a file with exactly `mode`, also when it exists already: `writeFile`'s mode applies only to a file it
 * creates, so an existing world-readable file would keep its mode and expose the secret written into it. The mode is
 * set before anything is written.
 */
async function writeFileWithMode(file: string, text: string, mode: number): Promise<void> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the path is the one the user named on the command line
  const handle = await open(file, 'w', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  } finally {
    await handle.close();
  }
}

interface WebhookAnswer {
  name: string;
  enforcerGroup?: string;
  webhookUrl: string;
  manifest: string;
  warnings?: string[];
  nodeAgent?: NodeAgentAnswer;
}

interface NodeAgentAnswer {
  enforcerGroup: string;
  image: string;
  namespace: string;
  token: string;
  manifest: string;
  tetragonValues: string;
}

export interface WebhookOptions {
  readonly manifestFile?: string;
  /** Write the manifest even into a git work tree that does not ignore it. */
  readonly allowGitTracked?: boolean;
  readonly output?: 'manifest' | 'json' | 'yaml';
}

/**
 * `git check-ignore`'s answer for a path: ignored, not ignored (inside a work tree, or already tracked), or no work
 * tree (or no git installed: nothing to protect from).
 */
function gitIgnoreStatus(file: string): Promise<'ignored' | 'not-ignored' | 'outside'> {
  const path = resolve(file);
  return new Promise((settle) => {
    execFile('git', ['check-ignore', '--quiet', '--', path], { cwd: dirname(path) }, (error) => {
      if (!error) settle('ignored');
      else settle((error as { code?: unknown }).code === 1 ? 'not-ignored' : 'outside');
    });
  });
}

/**
 * The manifest holds the webhook secret in its URL: refuse, before anything is issued, to write it where git would
 * pick it up (a work tree that does not ignore the file), unless asked to.
 */
async function refuseManifestInGit(options: WebhookOptions): Promise<void> {
  await refuseSecretFileInGit(options.manifestFile, 'the manifest holds the webhook secret', 'a pattern such as *.webhook.yaml', options);
}

/** Refuses, before anything is issued, a secret file that cannot be written, or that git would pick up. */
async function refuseSecretFileInGit(
  file: string | undefined,
  why: string,
  pattern: string,
  options: { readonly allowGitTracked?: boolean },
): Promise<void> {
  await refuseUnwritableFile(file, 'Nothing was issued.');
  if (file === undefined || file === '-' || options.allowGitTracked === true) return;
  if ((await gitIgnoreStatus(file)) !== 'not-ignored') return;
  throw new CliError(
    `${file} is inside a git work tree that does not ignore it, and ${why}: ` +
      `write it elsewhere, add ${pattern} to .gitignore, or pass --allow-git-tracked. Nothing was issued.`,
  );
}

/**
 * Prints what registration and rotation return. By default the manifest goes to stdout (so that it can be piped
 * to `kubectl apply -f -`) and the webhook URL to stderr; with --manifest-file the manifest goes to the file
 * and the URL to stdout. The URL carries the secret: it is shown this once.
 */
async function showWebhook(ctx: Context, answer: WebhookAnswer, options: WebhookOptions): Promise<void> {
  for (const warning of answer.warnings ?? []) ctx.warn(warning);
  if (options.output === 'json' || options.output === 'yaml') {
    ctx.output(answer, options.output, []);
    return;
  }
  if (options.manifestFile !== undefined && options.manifestFile !== '-') {
    // The URL first: it carries the secret and is shown only once, whatever happens to the file.
    ctx.print(`Webhook URL: ${answer.webhookUrl}`);
    try {
      await writeFileWithMode(options.manifestFile, answer.manifest, 0o600);
    } catch (error) {
      ctx.print(answer.manifest);
      throw new CliError(`${options.manifestFile}: cannot write the manifest (printed above instead): ${fileProblem(error)}`);
    }
    ctx.note(`Manifest written to ${options.manifestFile}: apply it with kubectl apply -f ${options.manifestFile}`);
    return;
  }
  ctx.note(`Webhook URL: ${answer.webhookUrl}`);
  ctx.print(answer.manifest);
}

export interface RegisterOptions extends WebhookOptions {
  readonly arn?: string;
  readonly group?: string;
  /** Also issue the node agents (bridge and forwarder) and their token. */
  readonly nodeAgent?: boolean;
  readonly nodeAgentGroup?: string;
  readonly nodeAgentImage?: string;
  readonly nodeAgentNamespace?: string;
  readonly nodeAgentFile?: string;
  readonly tetragonValuesFile?: string;
}

/** Where the node agents' manifest and the Tetragon values go when no file is named. */
export function nodeAgentFiles(name: string, options: RegisterOptions): { manifest: string; values: string } {
  return {
    manifest: options.nodeAgentFile ?? `vigil-node-agent-${name}.yaml`,
    values: options.tetragonValuesFile ?? `tetragon-values-${name}.yaml`,
  };
}

function nodeAgentBody(options: RegisterOptions): Record<string, unknown> {
  const chosen = {
    ...(options.nodeAgentGroup === undefined ? {} : { enforcerGroup: options.nodeAgentGroup }),
    ...(options.nodeAgentImage === undefined ? {} : { image: options.nodeAgentImage }),
    ...(options.nodeAgentNamespace === undefined ? {} : { namespace: options.nodeAgentNamespace }),
  };
  const named = Object.keys(chosen).length > 0 || options.nodeAgentFile !== undefined || options.tetragonValuesFile !== undefined;
  if (!options.nodeAgent) {
    if (named)
      throw new UsageError(
        '--node-agent-group, --node-agent-image, --node-agent-namespace, --node-agent-file and --tetragon-values-file need --node-agent',
      );
    return {};
  }
  return { nodeAgent: Object.keys(chosen).length > 0 ? chosen : true };
}

async function writeOrPrint(ctx: Context, file: string, text: string, mode: number, what: string): Promise<void> {
  try {
    await writeFileWithMode(file, text, mode);
  } catch (error) {
    ctx.print(text);
    throw new CliError(`${file}: cannot write ${what} (printed above instead): ${fileProblem(error)}`);
  }
}

/**
 * Writes the node agents' manifest (it holds their token: readable only by the user) and the Tetragon values, and
 * shows the token this once: on stdout when stdout is free, on stderr when it carries the webhook manifest.
 */
async function showNodeAgents(ctx: Context, name: string, agent: NodeAgentAnswer, options: RegisterOptions): Promise<void> {
  const files = nodeAgentFiles(name, options);
  const webhookOnStdout = options.manifestFile === undefined || options.manifestFile === '-';
  const tokenLine = `Node-agent token (shown only now; the manifest's Secret holds it): ${agent.token}`;
  if (webhookOnStdout) ctx.note(tokenLine);
  else ctx.print(tokenLine);
  await writeOrPrint(ctx, files.manifest, agent.manifest, 0o600, 'the node-agent manifest');
  await writeOrPrint(ctx, files.values, agent.tetragonValues, 0o644, 'the Tetragon values');
  ctx.note(
    [
      `Node-agent manifest written to ${files.manifest} (image ${agent.image}, namespace ${agent.namespace}, agent group "${agent.enforcerGroup}").`,
      `Tetragon values written to ${files.values}. Install Tetragon with them, then the agents:`,
      `  helm upgrade --install tetragon cilium/tetragon --version 1.7.0 -n kube-system -f ${files.values}`,
      `  kubectl apply -f ${files.manifest}`,
    ].join('\n'),
  );
}

export async function registerClusterCommand(ctx: Context, name: string, options: RegisterOptions): Promise<number> {
  const nodeAgent = nodeAgentBody(options);
  await refuseManifestInGit(options);
  const writesFiles = options.output !== 'json' && options.output !== 'yaml';
  if (nodeAgent.nodeAgent !== undefined && writesFiles) {
    await refuseSecretFileInGit(
      nodeAgentFiles(name, options).manifest,
      "the node-agent manifest holds the agents' token",
      'a pattern such as vigil-node-agent-*.yaml',
      options,
    );
    await refuseUnwritableFile(nodeAgentFiles(name, options).values, 'Nothing was issued.');
  }
  const body = {
    name,
    ...(options.arn === undefined ? {} : { arn: options.arn }),
    ...(options.group === undefined ? {} : { enforcerGroup: options.group }),
    ...nodeAgent,
  };
  const answer = (await ctx.client().request<WebhookAnswer>('POST', '/v1/clusters', { body })).body;
  await showWebhook(ctx, answer, options);
  if (answer.nodeAgent && writesFiles) await showNodeAgents(ctx, name, answer.nodeAgent, options);
  return ExitCode.ok;
}

export async function rotateSecretCommand(ctx: Context, name: string, options: WebhookOptions): Promise<number> {
  await refuseManifestInGit(options);
  const answer = (await ctx.client().request<WebhookAnswer>('POST', `/v1/clusters/${segment(name)}/secret`)).body;
  await showWebhook(ctx, answer, options);
  ctx.note('The previous webhook URL no longer works: apply the new manifest to the cluster.');
  return ExitCode.ok;
}

export interface RotateNodeAgentTokenOptions {
  readonly file?: string;
  readonly allowGitTracked?: boolean;
  readonly output?: 'file' | 'json' | 'yaml';
}

/** Where the rotated token's Secret goes when no file is named. */
export function nodeAgentTokenFile(name: string, options: RotateNodeAgentTokenOptions): string {
  return options.file ?? `vigil-node-agent-token-${name}.yaml`;
}

/**
 * `vigil clusters rotate-node-agent-token <name>`: a new token for the cluster's bridge and forwarders. The token
 * Secret goes to a file readable only by the user (like `register --node-agent`), the token is shown once on
 * stdout, and the steps that put it to use go to stderr.
 */
export async function rotateNodeAgentTokenCommand(ctx: Context, name: string, options: RotateNodeAgentTokenOptions): Promise<number> {
  const structured = options.output === 'json' || options.output === 'yaml';
  const file = nodeAgentTokenFile(name, options);
  if (!structured)
    await refuseSecretFileInGit(file, "the token Secret holds the agents' token", 'a pattern such as vigil-node-agent-*.yaml', options);
  const answer = (
    await ctx
      .client()
      .request<{ name: string; nodeAgent: Omit<NodeAgentAnswer, 'tetragonValues'> }>(
        'POST',
        `/v1/clusters/${segment(name)}/node-agent-token`,
      )
  ).body;
  if (structured) {
    ctx.output(answer, options.output, []);
  } else {
    const agent = answer.nodeAgent;
    ctx.print(`Node-agent token (shown only now; the Secret holds it): ${agent.token}`);
    await writeOrPrint(ctx, file, agent.manifest, 0o600, 'the token Secret');
    ctx.note(
      [
        `Token Secret written to ${file}. Apply it and restart the agents so that they read it:`,
        `  kubectl apply -f ${file}`,
        `  kubectl rollout restart -n ${agent.namespace} deployment/vigil-bridge daemonset/vigil-forwarder`,
      ].join('\n'),
    );
  }
  ctx.note(
    `The previous node-agent token of "${name}" no longer works. Until the agents restart, the applied Tetragon policies stay in force and events wait in Tetragon's export.`,
  );
  return ExitCode.ok;
}

export async function rotateTokenCommand(ctx: Context, name: string, options: { output?: 'token' | 'json' | 'yaml' }): Promise<number> {
  const answer = (await ctx.client().request<{ name: string; token: string }>('POST', `/v1/enforcer-groups/${segment(name)}/token`)).body;
  if (options.output === 'json' || options.output === 'yaml') ctx.output(answer, options.output, []);
  else ctx.print(answer.token);
  ctx.note(`New token of enforcer group "${name}": it is shown only this once, and the previous token no longer works.`);
  return ExitCode.ok;
}

export interface ReissueOptions {
  readonly manifestDir?: string;
  readonly allowGitTracked?: boolean;
  readonly output?: 'files' | 'json' | 'yaml';
}

/**
 * `vigil groups reissue <group>`: new secrets and manifests for every cluster of the group whose manifest no longer
 * matches the group, each written to `<dir>/<cluster>.webhook.yaml` (mode 0600), or the whole answer with -o.
 */
export async function reissueGroupCommand(ctx: Context, name: string, options: ReissueOptions): Promise<number> {
  const structured = options.output === 'json' || options.output === 'yaml';
  if (!structured && options.manifestDir === undefined)
    throw new UsageError('give --manifest-dir <dir> for the new manifests (they hold the new secrets), or -o json|yaml');
  const fileOf = (cluster: string) => join(options.manifestDir ?? '.', `${cluster.replace(/[^A-Za-z0-9_.-]/g, '_')}.webhook.yaml`);
  if (!structured) {
    await refuseUnwritableFolder(options.manifestDir ?? '.', 'Nothing was issued.');
    await refuseManifestInGit({ manifestFile: fileOf('check'), allowGitTracked: options.allowGitTracked });
  }
  const answer = (await ctx.client().request<{ items: WebhookAnswer[] }>('POST', `/v1/enforcer-groups/${segment(name)}/reissue`)).body;
  if (structured) {
    ctx.output(answer, options.output, []);
  } else {
    for (const item of answer.items) {
      for (const warning of item.warnings ?? []) ctx.warn(warning);
      ctx.print(`${item.name}: ${item.webhookUrl}`);
      const file = fileOf(item.name);
      try {
        await writeFileWithMode(file, item.manifest, 0o600);
      } catch (error) {
        ctx.print(item.manifest);
        throw new CliError(`${file}: cannot write the manifest (printed above instead): ${fileProblem(error)}`);
      }
      ctx.note(`Manifest of ${item.name} written to ${file}: apply it with kubectl --context <${item.name}'s context> apply -f ${file}`);
    }
  }
  ctx.note(
    answer.items.length === 0
      ? `Every cluster of "${name}" already carries the group's settings: nothing was re-issued.`
      : `Re-issued ${answer.items.length} cluster${answer.items.length === 1 ? '' : 's'}: their previous webhook URLs no longer work, so apply the new manifests now.`,
  );
  return ExitCode.ok;
}
