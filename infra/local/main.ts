// `npm start`: the whole control plane on this machine (see USAGE in settings.ts).
// Exit status: 0 after a clean stop or --help, 1 when starting fails, 2 for bad arguments or settings.

import { parseArgs } from 'node:util';
import { LocalModeError } from './errors.js';
import { stderrLogger } from './http-adapter.js';
import { SettingsError, USAGE, settingsFromEnv, type LocalSettings } from './settings.js';
import type { LocalMode } from './start.js';

async function main(argv: readonly string[]): Promise<void> {
  let help: boolean | undefined;
  let tls: boolean | undefined;
  try {
    ({
      values: { help, tls },
    } = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' }, tls: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`vigil: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (help) {
    process.stdout.write(USAGE);
    return;
  }

  let settings: LocalSettings;
  try {
    settings = settingsFromEnv(process.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`vigil: ${error.message}\nRun with --help to see the settings.\n`);
    process.exitCode = 2;
    return;
  }

  let local: LocalMode;
  try {
    // Loaded only now: --help and setting errors must not depend on the handlers loading.
    // Local mode supports Node 20; the SDK's notice that later releases will need Node 22 only alarms users here.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { startLocalMode } = await import('./start.js');
    if (!tls && settings.tlsHostnames !== undefined) process.stderr.write('vigil: VIGIL_TLS_HOSTNAMES is ignored without --tls\n');
    local = await startLocalMode({ ...settings, tls: tls === true, logger: stderrLogger });
  } catch (error) {
    if (error instanceof LocalModeError) {
      process.stderr.write(`vigil: ${error.message}\n`);
    } else {
      process.stderr.write(
        `vigil: local mode failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = 1;
    return;
  }

  // Handlers first: whoever waits for the banner may signal as soon as it appears.
  stopOnSignal(local);
  process.stdout.write(banner(local));
}

function banner(local: LocalMode): string {
  const tokenNote = {
    environment: '(from VIGIL_ADMIN_TOKEN)',
    'data-dir': '(stored in the data dir)',
    generated: '(generated now and stored in the data dir)',
  }[local.adminTokenSource];
  const caFile = local.caFile;
  return [
    'Vigil local mode is running.',
    '',
    `  URL:          ${local.url}`,
    ...(local.publicUrl !== local.url ? [`  Public URL:   ${local.publicUrl}  (in webhook URLs and manifests)`] : []),
    `  Admin token:  ${local.adminToken}  ${tokenNote}`,
    `  Data dir:     ${local.dataDir}`,
    `  DynamoDB:     ${local.dynamodbEndpoint}`,
    ...(caFile !== undefined
      ? [
          `  CA:           ${caFile}  ${local.caCreated ? '(generated now)' : '(stored in the data dir)'}`,
          '',
          'Clusters trust this CA through the manifest from POST /v1/clusters, which carries it as caBundle',
          '(after a new CA, fetch and apply the manifest again).',
          `Their API server must reach ${local.publicUrl}${local.publicUrl === local.url ? '; for kind, e.g.:' : '.'}`,
          ...(local.publicUrl === local.url
            ? ['  HOST=0.0.0.0 VIGIL_PUBLIC_URL=https://host.docker.internal:8787 npm start -- --tls']
            : []),
        ]
      : []),
    '',
    'Try it:',
    `  curl${caFile !== undefined ? ` --cacert ${shellQuote(caFile)}` : ''} -H ${shellQuote(`Authorization: Bearer ${local.adminToken}`)} ${local.url}/v1/policies`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** Double quotes when nothing inside needs escaping in a POSIX shell, else single quotes. */
function shellQuote(text: string): string {
  if (!/["$`\\!]/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A repeat of the same signal within this window is the same request: npm forwards a terminal's SIGINT to
 * its child, which the terminal has already signalled as part of the process group, so one Ctrl-C arrives twice.
 */
const REPEATED_SIGNAL_WINDOW_MS = 500;

/** The first SIGINT/SIGTERM stops cleanly and exits 0; a later, separate one exits at once. */
function stopOnSignal(local: LocalMode): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (first !== undefined) {
      if (signal === first.signal && now - first.at < REPEATED_SIGNAL_WINDOW_MS) return;
      process.stderr.write(`vigil: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    first = { signal, at: now };
    process.stderr.write(`vigil: ${signal} received, stopping (send it again to force)\n`);
    local.stop().then(
      () => {
        process.stderr.write('vigil: stopped\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`vigil: stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`vigil: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
