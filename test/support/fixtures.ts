import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's fixture folder. */
export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

/** Reads a JSON fixture relative to test/fixtures. */
export function readFixture<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(fixturesDir, ...parts), 'utf8')) as T;
}

/** The JSON files of one fixture folder, by file name; empty when the folder does not exist. */
export function fixtureFiles(...parts: string[]): string[] {
  const dir = join(fixturesDir, ...parts);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** Sub-folders of a fixture folder. */
export function fixtureDirs(...parts: string[]): string[] {
  return readdirSync(join(fixturesDir, ...parts), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
