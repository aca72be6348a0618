// Stops DynamoDB Local when the process that started it is gone, however it went (even SIGKILL, which runs
// no exit handler): started detached by infra/local/dynamodb-local.ts with the two pids and the lock file.
import { unlinkSync } from 'node:fs';

const [parentPid, childPid, lockFile] = process.argv.slice(2);
const POLL_MS = 500;

function alive(pid: string | undefined): boolean {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else; only ESRCH means it is gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const timer = setInterval(() => {
  if (!alive(childPid)) {
    clearInterval(timer);
    return;
  }
  if (alive(parentPid)) return;
  clearInterval(timer);
  try {
    process.kill(Number(childPid), 'SIGKILL');
  } catch {
    // Gone in the meantime: nothing left to stop.
  }
  try {
    if (lockFile) unlinkSync(lockFile);
  } catch {
    // Already removed.
  }
}, POLL_MS);
