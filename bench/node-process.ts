import { spawn } from 'node:child_process';

/** What a finished `node` process printed, and how it ended. */
export interface NodeProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a fresh `node` with `args` and exactly the environment given, to its end, and collects its output.
 * It settles on `close`, when the process has exited and both output streams are drained (`exit` can come
 * before the last output).
 */
export function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<NodeProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
