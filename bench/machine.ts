/** Where and on what a benchmark ran: recorded with every result so that numbers can be compared. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly availableParallelism: number;
  readonly totalMemoryGiB: number;
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The git directory of a checkout: `.git` itself, or the directory a `.git` file (worktree) points to. */
function gitDirectory(root: string): string | undefined {
  const dotGit = join(root, '.git');
  if (!existsSync(dotGit)) return undefined;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const pointer = readText(dotGit)?.match(/^gitdir:\s*(.+)$/m)?.[1];
  if (!pointer) return undefined;
  return isAbsolute(pointer) ? pointer : resolve(root, pointer);
}

/**
 * The checked-out commit, read from the repository's files (best effort, no git process):
 * HEAD, then the loose ref or packed-refs it names. Undefined fields when unknown.
 */
export function gitCommit(root: string): { commit: string | null; ref: string | null } {
  const gitDir = gitDirectory(root);
  if (!gitDir) return { commit: null, ref: null };
  const head = readText(join(gitDir, 'HEAD'));
  if (!head) return { commit: null, ref: null };
  const ref = head.match(/^ref:\s*(.+)$/)?.[1];
  if (!ref) return { commit: /^[0-9a-f]{40,64}$/.test(head) ? head : null, ref: null };
  // Linked worktrees keep shared refs in the common directory.
  const common = readText(join(gitDir, 'commondir'));
  const dirs = [gitDir, ...(common ? [resolve(gitDir, common)] : [])];
  for (const dir of dirs) {
    const loose = readText(join(dir, ref));
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return { commit: loose, ref };
    const packed = readText(join(dir, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    if (line) return { commit: line.split(' ')[0] ?? null, ref };
  }
  return { commit: null, ref };
}
