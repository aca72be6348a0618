// Errors the CLI reports and the exit codes they map to. The contract is documented in docs/cli.md and in
// the epilogue of `vigil --help`; scripts and CI pipelines rely on it, so change it only deliberately.

/** Process exit codes of `vigil`. */
export const ExitCode = {
  /** The command did what was asked (for `vigil diff`: the files and the server agree). */
  ok: 0,
  /** Something failed: the API refused a request, the files are invalid, the endpoint cannot be reached. */
  error: 1,
  /** The command line is wrong (unknown command or option, missing argument, missing endpoint). */
  usage: 2,
  /** `vigil diff` only: the files and the server differ. */
  differences: 2,
} as const;

/** One field-level problem, named by its JSON path (as the API reports them). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** An error the CLI reports as `error: <message>` with an exit code. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.error,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** The command line itself is wrong: exit code 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The API answered with an error body: reported as `<code>: <message>` and one line per detail. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details: readonly ErrorDetail[] = [],
    /** A hint for the user that the API cannot give (e.g. which setting is missing). */
    readonly hint?: string,
  ) {
    super(message, ExitCode.error, details);
  }
}
