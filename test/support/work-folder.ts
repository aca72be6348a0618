import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface WorkFolder {
  /** A path inside the folder. */
  path(...parts: string[]): string;
  /** Writes `files` (name → text) into the sub-folder `name` and returns its path: the files one `-f` reads. */
  folder(name: string, files: Record<string, string>): Promise<string>;
}

/** A temporary folder for the files the tests of one file write, created before them and removed after them. */
export function useWorkFolder(prefix: string): WorkFolder {
  let root: string | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));
  const path = (...parts: string[]): string => {
    if (!root) throw new Error('useWorkFolder(): only inside tests and hooks');
    return join(root, ...parts);
  };
  return {
    path,
    async folder(name, files) {
      const dir = path(name);
      await mkdir(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      return dir;
    },
  };
}
