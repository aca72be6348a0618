/**
 * A problem the person running local mode can fix (a missing Java, a port in use, a bad setting).
 * `npm start` prints only its message, without a stack trace, and exits with status 1.
 */
export class LocalModeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModeError';
  }
}
