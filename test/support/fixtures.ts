import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's fixture folder. */
export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

/** Reads a JSON fixture relative to test/fixtures. */
export function readFixture<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(fixturesDir, ...parts), 'utf8')) as T;
}

/**
 * An AdmissionReview of test/fixtures/admission (`exec-guard/denied/exec-sh.json`), as the API server would send
 * it again: with a new uid, so that the webhook answers it as a new review; `patch` edits it before it is sent.
 */
export function admissionReview(file: string, patch: (review: any) => void = () => undefined): any {
  const review = readFixture<any>('admission', ...file.split('/'));
  review.request.uid = crypto.randomUUID();
  patch(review);
  return review;
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

/**
 * The shared AdmissionReview corpus (real bodies captured by other projects, and documented variants): read
 * from beside the repository, never copied into it.
 */
export const admissionReviewsDir = join(import.meta.dirname, '..', '..', '..', 'shared', 'testdata', 'admission-reviews');

/** Reads one body of the shared AdmissionReview corpus, e.g. `bodies/attach-v1-custodian.json`. */
export function readAdmissionReview<T = any>(file: string): T {
  return JSON.parse(readFileSync(join(admissionReviewsDir, file), 'utf8')) as T;
}

/** The JSON files of one folder of the shared AdmissionReview corpus (`bodies`, `derived`, `sequences`). */
export function admissionReviewFiles(folder: string): string[] {
  return readdirSync(join(admissionReviewsDir, folder))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => `${folder}/${f}`);
}
