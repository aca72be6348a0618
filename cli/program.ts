// The `vigil` command line: commands, options and help (commander), and the mapping of every outcome to an exit code.
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ClientOptions } from './client.js';
import type { AuditFilters } from './commands/audit.js';
import type { RegisterOptions } from './commands/clusters.js';
import type { SimulateOptions as SimulateCliOptions, SimulatedOperation as SimulateOperationName } from './commands/simulate.js';
import type { GroupSetOptions, PolicySetOptions, ScopeSetOptions, SettingsSetOptions } from './commands/set.js';
import { Context, type GlobalOptions } from './context.js';
import { ApiError, CliError, ExitCode, UsageError } from './errors.js';
// Command modules are imported when their command runs: the policy schemas take a while to load, and `--help`,
// usage errors and simple reads should not wait for them.
import { findKind, kindNames, type Json } from './kinds.js';
import { outputFormats, type Io, type OutputFormat } from './output.js';
import { parseDuration } from './time.js';

/** The operations of `vigil simulate` (kept here so that --help does not load the command). */
const simulatedOperationNames = ['exec', 'attach', 'port-forward', 'debug', 'create'];

const EXIT_CODES = `
Exit codes:
  0  success (vigil diff: the files and the server agree)
  1  error: the API refused a request, the files are invalid, the endpoint cannot be reached
  2  usage error (unknown command or option, missing argument or endpoint); vigil diff: differences found`;

const ENVIRONMENT = `
Environment:
  VIGIL_ENDPOINT  the API base URL (like --endpoint): local mode http://127.0.0.1:8787,
                  in AWS https://<api-id>.execute-api.<region>.amazonaws.com
  VIGIL_TOKEN     bearer token (like --token), e.g. local mode's admin token; without a token,
                  https endpoints are signed with AWS SigV4 from the default credential chain
  AWS_REGION      signing region when --region is not given and the host name does not tell it
  AWS_PROFILE     the AWS profile of the default credential chain (like --profile)
  VIGIL_CA        PEM file of a CA to trust (like --ca); for https://localhost or 127.0.0.1 without it,
                  local mode's CA ($VIGIL_DATA_DIR/tls/ca.crt, default .vigil/tls/ca.crt) is used when it exists
  NO_COLOR        never colour output (colours are only used on a terminal anyway)

Documentation: docs/cli.md`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positiveInt(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return value;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError('must be a whole number');
  return value;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const outputOption = (defaultFormat: OutputFormat = 'table') =>
  new Option('-o, --output <format>', 'output format').choices(outputFormats).default(defaultFormat);

const fileOption = () =>
  new Option('-f, --file <path>', 'a file or folder of YAML/JSON (repeatable; "-" reads stdin)').argParser(collect).default([]);

function auditFilterOptions(command: Command, withUntil: boolean): Command {
  command
    .addOption(new Option('--status <status>', 'Detect or Block').choices(['Detect', 'Block']))
    .option('--policy <name>', 'events of this policy')
    .option('--cluster <name>', 'events of this cluster')
    .option('--namespace <name>', 'events in this namespace')
    .addOption(new Option('--type <type>', 'policy type').choices(['container', 'function', 'host']))
    .option('--since <when>', 'from this instant (ISO 8601) or this long ago (15m, 2h, 7d)');
  if (withUntil) command.option('--until <when>', 'up to this instant (ISO 8601) or this long ago');
  return command;
}

/** Builds the program; `exit` receives the exit code of the command that ran. */
export function buildProgram(
  io: Io,
  clientOptions: ClientOptions = {},
  exit: (code: number) => void = () => undefined,
): { program: Command; context: Context } {
  const program = new Command();
  const context = new Context(io, () => program.opts<GlobalOptions>(), clientOptions);
  const run = (action: Promise<number>) => action.then(exit);

  program
    .name('vigil')
    .description('Policy as code and administration for Vigil, against local mode or AWS.')
    .version(version(), '-V, --version')
    .option('--endpoint <url>', 'API base URL (default: $VIGIL_ENDPOINT)')
    .option('--token <token>', 'bearer token (default: $VIGIL_TOKEN); without one, https endpoints are signed with SigV4')
    .option('--region <region>', 'AWS region to sign for (default: from the execute-api host name, else $AWS_REGION)')
    .option('--profile <name>', 'AWS profile of the default credential chain (default: $AWS_PROFILE)')
    .option(
      '--ca <file>',
      "PEM file of a CA to trust besides the system's (default: $VIGIL_CA; for https on localhost, local mode's .vigil/tls/ca.crt when it exists)",
    )
    .option('--no-color', 'never colour output')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(context.paintErr('red', text)),
    })
    .exitOverride()
    .showSuggestionAfterError()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT)
    .addHelpText('afterAll', EXIT_CODES);

  // ---------------------------------------------------------------- policy as code

  program
    .command('apply')
    .description(
      'make the server match the files: show the differences, then import them (all or nothing; files larger than 5 MiB go as a multi-part import with one commit)',
    )
    .addOption(fileOption())
    .option('-R, --recursive', 'also read the sub-folders of folders')
    .option(
      '--prune',
      'also delete policies, application scopes and (when the files declare any) enforcer groups that the files no longer declare',
    )
    .option('--dry-run', 'show the differences and the warnings, and write nothing')
    .option('-y, --yes', 'apply risky changes without asking (needed where there is no terminal, e.g. in CI)')
    .addHelpText(
      'after',
      `
Files hold export documents ({formatVersion: 1, policies, applicationScopes, settings, enforcerGroups}),
single policies, application scopes, settings or enforcer groups (kind: EnforcerGroup), or lists of them;
YAML files may hold several documents (---).
Everything is validated before anything is written: with any error, nothing is written and the exit code is 1.
Creates and updates of policies, scopes and settings are one all-or-nothing import; enforcer groups are then
written through the groups API (a declared group is whole, as a policy is and as import takes it: fields left
out take their defaults; a created group's token is printed once; tokens never go in files); --prune deletions run last, each with If-Match.
Save-time warnings are printed before anything is written. Risky changes (removing a global bypass entry, a
policy going to enforce where a group enforces, a group turned to enforce, deletions) are asked about on a
terminal; elsewhere they need --yes, and without it nothing is written (exit 1).`,
    )
    .action((options: { file: string[]; recursive?: boolean; prune?: boolean; dryRun?: boolean; yes?: boolean }) => {
      if (options.file.length === 0) throw new UsageError('apply needs -f <file|folder>');
      return run(import('./commands/apply.js').then(({ applyCommand }) => applyCommand(context, options, false)));
    });

  program
    .command('diff')
    .description('show how the server differs from the files; exit code 0 when they agree, 2 when they differ')
    .addOption(fileOption())
    .option('-R, --recursive', 'also read the sub-folders of folders')
    .option('--prune', 'also count items the files no longer declare as differences (deletions)')
    .action((options: { file: string[]; recursive?: boolean; prune?: boolean }) => {
      if (options.file.length === 0) throw new UsageError('diff needs -f <file|folder>');
      return run(import('./commands/apply.js').then(({ applyCommand }) => applyCommand(context, options, true)));
    });

  program
    .command('export')
    .description(
      'print the policy-as-code document: policies, application scopes, settings and enforcer groups (never tokens); the pages the API answers are joined into one document of one revision',
    )
    .addOption(new Option('-o, --output <format>', 'document format').choices(['yaml', 'json']).default('yaml'))
    .option('--file <path>', 'write to this file instead of stdout')
    .action((options: { output: 'yaml' | 'json'; file?: string }) =>
      run(import('./commands/io.js').then(({ exportCommand }) => exportCommand(context, options))),
    );

  program
    .command('import')
    .description(
      "import one document (an export document with its enforcer groups, or the commercial product's JSON: runtime policies, application scopes, enforcer groups, its list answer, bypass entries); all or nothing; prints each policy's warnings. A document larger than 5 MiB is uploaded in parts and committed at once (progress on a terminal); one over 160 MiB, or needing more than 32 parts, is refused before anything is sent",
    )
    .argument('<file>', 'YAML or JSON file ("-" reads stdin)')
    .option('--dry-run', 'validate and report per item, write nothing')
    .addOption(
      new Option('--mode <mode>', 'upsert replaces existing items; create refuses to change them')
        .choices(['upsert', 'create'])
        .default('upsert'),
    )
    .addOption(outputOption())
    .action((file: string, options: { dryRun?: boolean; mode: 'upsert' | 'create'; output: OutputFormat }) =>
      run(import('./commands/io.js').then(({ importCommand }) => importCommand(context, file, options))),
    );

  // ---------------------------------------------------------------- resources

  const listFilters = (command: Command) =>
    command
      .addOption(new Option('--type <type>', 'policies: container, function or host').choices(['container', 'function', 'host']))
      .addOption(new Option('--enabled <bool>', 'policies: enabled or not').choices(['true', 'false']))
      .option('--group <name>', 'enforcers: of this group')
      .option('--limit <n>', 'at most this many items (audit and activity: default 50)', positiveInt);

  listFilters(
    program
      .command('get')
      .description(`show one item, or list a kind without a name (kinds: ${kindNames('get')})`)
      .argument('<kind>', 'what to show')
      .argument('[name]', 'its name (id for audit events and templates)')
      .addOption(outputOption()),
  ).action((kind: string, name: string | undefined, options: { output: OutputFormat }) =>
    run(import('./commands/resources.js').then(({ getCommand }) => getCommand(context, kind, name, options))),
  );

  listFilters(
    program
      .command('list')
      .alias('ls')
      .description(`list the items of a kind (kinds: ${kindNames('list')})`)
      .argument('<kind>', 'what to list')
      .addOption(outputOption()),
  ).action((kind: string, options: { output: OutputFormat }) =>
    run(import('./commands/resources.js').then(({ listCommand }) => listCommand(context, kind, options))),
  );

  program
    .command('delete')
    .description(`delete one item (kinds: ${kindNames('delete')})`)
    .argument('<kind>', 'what to delete')
    .argument('<name>', 'its name')
    .option('--if-version <version>', 'only if the stored version is still this one (If-Match)', positiveInt)
    .action((kind: string, name: string, options: { ifVersion?: number }) =>
      run(import('./commands/resources.js').then(({ deleteCommand }) => deleteCommand(context, kind, name, options))),
    );

  program
    .command('templates')
    .description('list the predefined policies, or print one as a policy ready to edit and apply')
    .argument('[id]', 'template id, e.g. cis-kubernetes')
    .addOption(
      new Option('-o, --output <format>', 'output format (default: table for the list, yaml for one template)').choices(outputFormats),
    )
    .option('--name <name>', 'with an id: name the printed policy')
    .action(async (id: string | undefined, options: { output?: OutputFormat; name?: string }) => {
      const kind = findKind('templates')!;
      if (id === undefined) {
        context.output(await context.client().listAll<Json>(kind.path), options.output ?? 'table', kind.columns);
        return exit(ExitCode.ok);
      }
      const template = await context.client().get<{ policy: Json }>(`${kind.path}/${encodeURIComponent(id)}`);
      const policy = options.name === undefined ? template.policy : { ...template.policy, name: options.name };
      context.output(policy, options.output ?? 'yaml', kind.columns);
      return exit(ExitCode.ok);
    });

  program
    .command('controls')
    .description('the control catalog: keys, names, the enforcers that act on each')
    .addOption(new Option('--type <type>', 'only controls of this policy type').choices(['container', 'function', 'host']))
    .addOption(outputOption())
    .action(async (options: { type?: string; output: OutputFormat }) => {
      const kind = findKind('controls')!;
      const items = (await context.client().listAll<Json>(kind.path)).filter(
        (c) => options.type === undefined || c.policyType === options.type,
      );
      context.output(items, options.output, kind.columns);
      return exit(ExitCode.ok);
    });

  // ---------------------------------------------------------------- clusters and groups

  const clusters = program
    .command('clusters')
    .description('register EKS clusters, rotate their webhook secrets and node-agent tokens, and preview their node policies');
  const webhookOutput = () =>
    new Option('-o, --output <format>', 'manifest (default), or the whole answer as json or yaml')
      .choices(['manifest', 'json', 'yaml'])
      .default('manifest');
  clusters
    .command('register')
    .description('register a cluster: prints the webhook URL (shown once) and the ValidatingWebhookConfiguration manifest')
    .argument('<name>', 'cluster name')
    .option('--arn <arn>', 'the EKS cluster ARN')
    .option('--group <name>', 'kube_enforcer enforcer group (default: default-ke)')
    .option(
      '--manifest-file <path>',
      'write the manifest (it holds the webhook secret) to this file, readable only by you; refused inside a git work tree that does not ignore it (default: stdout, with the URL on stderr)',
    )
    .option('--allow-git-tracked', 'write --manifest-file and --node-agent-file even where git does not ignore them')
    .option(
      '--node-agent',
      "also issue the node agents (Tetragon bridge and event forwarder): writes their manifest (it holds the agents' token, shown once) and the recommended Tetragon Helm values to files",
    )
    .option('--node-agent-group <name>', 'with --node-agent: the agent enforcer group the agents act for (default: default)')
    .option(
      '--node-agent-image <image>',
      'with --node-agent: the node-agent image you built and pushed (default: localhost/vigil-node-agent:0.1.0, a placeholder)',
    )
    .option('--node-agent-namespace <namespace>', 'with --node-agent: the namespace of the agents (default: vigil-system)')
    .option(
      '--node-agent-file <path>',
      'with --node-agent: where to write their manifest, readable only by you (default: vigil-node-agent-<name>.yaml)',
    )
    .option(
      '--tetragon-values-file <path>',
      'with --node-agent: where to write the Tetragon Helm values (default: tetragon-values-<name>.yaml)',
    )
    .addOption(webhookOutput())
    .action((name: string, options: RegisterOptions & { output: 'manifest' | 'json' | 'yaml' }) =>
      run(import('./commands/clusters.js').then(({ registerClusterCommand }) => registerClusterCommand(context, name, options))),
    );
  clusters
    .command('rotate-secret')
    .description('issue a new webhook secret: the old URL stops working; prints the new URL and manifest')
    .argument('<name>', 'cluster name')
    .option(
      '--manifest-file <path>',
      'write the manifest (it holds the webhook secret) to this file, readable only by you; refused inside a git work tree that does not ignore it (default: stdout, with the URL on stderr)',
    )
    .option('--allow-git-tracked', 'write --manifest-file even where git does not ignore it')
    .addOption(webhookOutput())
    .action((name: string, options: { manifestFile?: string; allowGitTracked?: boolean; output: 'manifest' | 'json' | 'yaml' }) =>
      run(import('./commands/clusters.js').then(({ rotateSecretCommand }) => rotateSecretCommand(context, name, options))),
    );

  clusters
    .command('rotate-node-agent-token')
    .description(
      "issue a new token for the cluster's node agents (bridge and forwarder): the old token stops working; writes the token Secret to apply and prints the token once",
    )
    .argument('<name>', 'cluster name (registered with --node-agent)')
    .option(
      '--file <path>',
      'where to write the token Secret, readable only by you; refused inside a git work tree that does not ignore it (default: vigil-node-agent-token-<name>.yaml)',
    )
    .option('--allow-git-tracked', 'write --file even where git does not ignore it')
    .addOption(
      new Option('-o, --output <format>', 'file (default), or the whole answer (token and Secret) as json or yaml, writing no file')
        .choices(['file', 'json', 'yaml'])
        .default('file'),
    )
    .action((name: string, options: { file?: string; allowGitTracked?: boolean; output: 'file' | 'json' | 'yaml' }) =>
      run(import('./commands/clusters.js').then(({ rotateNodeAgentTokenCommand }) => rotateNodeAgentTokenCommand(context, name, options))),
    );

  clusters
    .command('node-policies')
    .description(
      'preview the Tetragon policies Vigil compiles for the cluster (nothing is applied): a fidelity table per policy and control, or the objects with -o yaml for kubectl apply or GitOps',
    )
    .argument('<name>', 'cluster name')
    .option('--group <name>', 'agent enforcer group whose enforce and protection switches decide Block or Detect (default: default)')
    .addOption(
      new Option('-o, --output <format>', 'table (default), json (objects, report and index), or yaml (the objects, fidelity as comments)')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .action((name: string, options: { group?: string; output: 'table' | 'json' | 'yaml' }) =>
      run(import('./commands/node-policies.js').then(({ nodePoliciesCommand }) => nodePoliciesCommand(context, name, options))),
    );

  const groups = program
    .command('groups')
    .description('enforcer group tokens, re-issued cluster manifests and the rule tables of functions');
  groups
    .command('reissue')
    .description(
      "issue new webhook secrets and manifests for the group's clusters whose manifests no longer match its failMode, timeoutSeconds or exemptKubeSystem (the old URLs stop working)",
    )
    .argument('<name>', 'kube_enforcer enforcer group name')
    .option('--manifest-dir <dir>', 'write each manifest (it holds the new secret) to <dir>/<cluster>.webhook.yaml, readable only by you')
    .option('--allow-git-tracked', 'write the manifests even where git does not ignore them')
    .addOption(
      new Option('-o, --output <format>', 'files (default, with --manifest-dir), or the whole answer as json or yaml')
        .choices(['files', 'json', 'yaml'])
        .default('files'),
    )
    .action((name: string, options: { manifestDir?: string; allowGitTracked?: boolean; output: 'files' | 'json' | 'yaml' }) =>
      run(import('./commands/clusters.js').then(({ reissueGroupCommand }) => reissueGroupCommand(context, name, options))),
    );
  groups
    .command('rules')
    .description(
      "the rule table compiled for one function of a nano_enforcer group, as the function would be served it: save it (> rules.json) and set the Python function's VIGIL_RULES to enforce it from the first invocation",
    )
    .argument('<group>', 'nano_enforcer enforcer group name')
    .requiredOption('--function <name>', 'the function name (AWS_LAMBDA_FUNCTION_NAME)')
    .option('--runtime <runtime>', 'the runtime, e.g. python3.12 (function.runtime)')
    .option('--region <region>', 'the region, e.g. eu-west-1 (cloud.region)')
    .option('--account <id>', 'the AWS account id (cloud.awsaccount)')
    .option('--tag <key=value>', 'a function tag, as in VIGIL_FUNCTION_TAGS (repeatable)', collect, [])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .action(
      (
        group: string,
        options: { function: string; runtime?: string; region?: string; account?: string; tag: string[]; output: 'json' | 'yaml' },
      ) => run(import('./commands/function-rules.js').then(({ functionRulesCommand }) => functionRulesCommand(context, group, options))),
    );
  groups
    .command('rotate-token')
    .description('issue a new token for an enforcer group and print it (shown once; the old token stops working)')
    .argument('<name>', 'enforcer group name')
    .addOption(
      new Option('-o, --output <format>', 'just the token (default), or the whole answer')
        .choices(['token', 'json', 'yaml'])
        .default('token'),
    )
    .action((name: string, options: { output: 'token' | 'json' | 'yaml' }) =>
      run(import('./commands/clusters.js').then(({ rotateTokenCommand }) => rotateTokenCommand(context, name, options))),
    );

  // ---------------------------------------------------------------- partial updates (PATCH)

  const setOptions = (command: Command) =>
    command
      .option('--patch <json>', 'a JSON merge patch of any other fields, e.g. \'{"description": "x"}\' (the options above win)')
      .option('--if-version <version>', 'only if the stored version is still this one (If-Match)', positiveInt)
      .addOption(outputOption())
      .addHelpText(
        'after',
        `
Only the fields named change (PATCH with a JSON merge patch): the server merges them into the stored item,
validates the result like a whole replacement and keeps write-only values. Save-time warnings go to stderr.`,
      );
  const loadSet = () => import('./commands/set.js');

  setOptions(
    groups
      .command('set')
      .description('change some settings of an enforcer group, e.g. `vigil groups set default-ke --enforce` to let policies block')
      .argument('<name>', 'enforcer group name')
      .option('--enforce', 'enforce: verdicts of policies in enforce mode block')
      .option('--no-enforce', 'audit only: Block verdicts are downgraded to Detect')
      .option('--description <text>', 'description')
      .option('--container-protection <on|off>', 'apply container policies')
      .option('--host-protection <on|off>', 'apply host policies')
      .addOption(new Option('--fail-mode <mode>', 'what the webhook answers when it cannot decide').choices(['open', 'closed']))
      .option('--timeout-seconds <n>', 'admission webhook timeout written into new manifests (1-30)', positiveInt)
      .option('--exempt-kube-system <on|off>', 'fail-closed groups: leave kube-system out of the manifest'),
  ).action((name: string, options: GroupSetOptions) =>
    run(loadSet().then(({ setCommand, groupPatch }) => setCommand(context, 'groups', name, groupPatch(options), options))),
  );

  const policies = program.command('policies').description('change runtime policies (list and read them with `vigil get policies`)');
  setOptions(
    policies
      .command('set')
      .description('change some fields of a policy, e.g. `vigil policies set exec-guard --mode enforce`')
      .argument('<name>', 'policy name')
      .addOption(new Option('--mode <mode>', 'enforcement mode from now on (cancels a scheduled switch)').choices(['audit', 'enforce']))
      .option('--enable', 'enable the policy')
      .option('--disable', 'disable the policy')
      .option('--description <text>', 'description')
      .option('--enforce-after-days <n>', 'audit now, switch to enforce this many days from now', positiveInt)
      .option('--enforce-at <instant>', 'audit now, switch to enforce at this ISO 8601 instant')
      .option('--cancel-switch', 'cancel a scheduled switch'),
  ).action((name: string, options: PolicySetOptions & { enable?: boolean; disable?: boolean }) => {
    if (options.enable && options.disable) throw new UsageError('give only one of --enable and --disable');
    const enabled = options.enable ? true : options.disable ? false : undefined;
    return run(
      loadSet().then(({ setCommand, policyPatch }) =>
        setCommand(context, 'policies', name, policyPatch({ ...options, ...(enabled === undefined ? {} : { enabled }) }), options),
      ),
    );
  });

  const scopes = program.command('scopes').description('change application scopes (list and read them with `vigil get scopes`)');
  setOptions(
    scopes
      .command('set')
      .description('change some fields of an application scope')
      .argument('<name>', 'application scope name')
      .option('--description <text>', 'description')
      .option('--expression <formula>', 'the scope formula over its variables, e.g. "v1 && v2"'),
  ).action((name: string, options: ScopeSetOptions) =>
    run(loadSet().then(({ setCommand, scopePatch }) => setCommand(context, 'scopes', name, scopePatch(options), options))),
  );

  const settings = program.command('settings').description('change the global enforcer settings (read them with `vigil get settings`)');
  setOptions(
    settings
      .command('set')
      .description('change some of the global enforcer settings (the bypass list: --patch \'{"bypassScopes": [...]}\')')
      .option('--admission-warnings <on|off>', 'send kubectl warnings for Detect verdicts')
      .option('--audit-retention-days <n>', 'days audit events are kept (1-3650)', positiveInt),
  ).action((options: SettingsSetOptions) =>
    run(loadSet().then(({ setCommand, settingsPatch }) => setCommand(context, 'settings', undefined, settingsPatch(options), options))),
  );

  // ---------------------------------------------------------------- simulate

  program
    .command('simulate')
    .description("send the AdmissionReview of a kubectl action to a registered cluster's webhook and print the verdict")
    .addArgument(new Argument('<operation>', 'what kubectl does').choices(simulatedOperationNames))
    .option('--webhook-url <url>', 'the URL `vigil clusters register` printed (default: $VIGIL_WEBHOOK_URL)')
    .option('--manifest-file <path>', 'read the URL from the manifest `vigil clusters register --manifest-file` wrote')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('--pod <name>', 'pod name', 'demo')
    .option('--container <name>', 'container name', 'app')
    .option('--image <image>', 'container image', 'nginx:1.27')
    .option('-l, --label <key=value>', 'a pod label (repeatable)', collect, [])
    .option('--user <name>', 'the Kubernetes user making the request', 'kubernetes-admin')
    .option('--group <name>', 'a group of that user (repeatable)', collect, [])
    .option('--command <word>', 'exec: a word of the command (repeatable)', collect, [])
    .addOption(
      new Option('-o, --output <format>', 'the verdict as text, or the webhook response').choices(['text', 'json', 'yaml']).default('text'),
    )
    .addHelpText(
      'after',
      `
exec, attach and port-forward send the pod's CREATE first, so that the webhook knows its labels and image (it
learns them from pod creations, as in a cluster). The events appear in the audit log like real ones.
Example: vigil simulate exec --webhook-url "$URL" -n payments --pod web-1 -l app=web --command sh`,
    )
    .action((operation: string, options: SimulateCliOptions) =>
      run(
        import('./commands/simulate.js').then(({ simulateCommand }) =>
          simulateCommand(context, operation as SimulateOperationName, {
            ...options,
            group: options.group.length > 0 ? options.group : ['system:masters', 'system:authenticated'],
            command: options.command.length > 0 ? options.command : ['sh'],
          }),
        ),
      ),
    );

  // ---------------------------------------------------------------- audit

  program
    .command('readiness')
    .description(
      'what enforce mode would have blocked for a policy in audit mode, from its stored Detect events: counts by control, workload, user and command, and what is new since the policy last changed',
    )
    .argument('<policy>', 'policy name')
    .option('--days <n>', 'how many days back to look (1 to 3650)', positiveInt, 7)
    .addOption(outputOption())
    .action((policy: string, options: { days: number; output: OutputFormat }) =>
      run(import('./commands/readiness.js').then(({ readinessCommand }) => readinessCommand(context, policy, options))),
    );

  const audit = program.command('audit').description('the audit log: Detect and Block events');
  auditFilterOptions(audit.command('list').description('audit events, newest first'), true)
    .option('--limit <n>', 'at most this many events', positiveInt, 50)
    .addOption(outputOption())
    .action((options: AuditFilters & { limit: number; output: OutputFormat }) =>
      run(import('./commands/audit.js').then(({ auditListCommand }) => auditListCommand(context, options))),
    );
  audit
    .command('get')
    .description('one audit event')
    .argument('<id>', 'event id')
    .addOption(outputOption('yaml'))
    .action((id: string, options: { output: OutputFormat }) =>
      run(import('./commands/audit.js').then(({ auditGetCommand }) => auditGetCommand(context, id, options))),
    );
  auditFilterOptions(
    audit.command('tail').description('print the newest events, then follow new ones until interrupted (Ctrl-C exits 0)'),
    false,
  )
    .option('--interval <duration>', 'how often to poll', '2s')
    .option('-n, --lines <n>', 'newest events to print first', wholeNumber, 10)
    .addOption(
      new Option('-o, --output <format>', 'table: one line per event; json: one JSON object per line; yaml: one document per event')
        .choices(outputFormats)
        .default('table'),
    )
    .action((options: AuditFilters & { interval: string; lines: number; output: OutputFormat }) =>
      run(
        import('./commands/audit.js').then(({ auditTailCommand }) =>
          auditTailCommand(context, { ...options, intervalMs: parseDuration(options.interval, '--interval') }),
        ),
      ),
    );

  return { program, context };
}

/** Runs the command line (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io, clientOptions: ClientOptions = {}): Promise<number> {
  let code: number = ExitCode.ok;
  const { program, context } = buildProgram(io, clientOptions, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for are successes; `vigil` alone prints help as an error; every other parse error is usage.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
      return ExitCode.usage;
    }
    if (error instanceof ApiError) {
      context.error(`${error.code}: ${error.message}`, error.details);
      if (error.hint) context.note(`hint: ${error.hint}`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      context.error(`error: ${error.message}`, error.details);
      return error.exitCode;
    }
    context.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.error;
  }
}
