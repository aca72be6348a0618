// The `vigil` program: runs the command line with the process's streams and sets the exit code.
import { createInterface } from 'node:readline/promises';
import { main } from './program.js';

// `vigil … | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/** A yes/no question on the terminal: only "y" or "yes" agrees. */
async function confirm(question: string): Promise<boolean> {
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await readline.question(question)).trim());
  } finally {
    readline.close();
  }
}

const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  ...(interactive ? { confirm } : {}),
});
