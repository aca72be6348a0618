// What every command gets: the streams, colours, and the API client made from the global options.
import { VigilClient, type ClientOptions } from './client.js';
import { colorsFor, painter, render, renderError, tableWidth, type Column, type Io, type OutputFormat, type Paint } from './output.js';
import { resolveTarget } from './target.js';
import { fetchTrusting, trustedCa } from './trust.js';

export interface GlobalOptions {
  readonly endpoint?: string;
  readonly token?: string;
  readonly region?: string;
  readonly profile?: string;
  /** A PEM file of a CA to trust besides the system's (`--ca`; else `VIGIL_CA`; else local mode's, found by itself). */
  readonly ca?: string;
  /** `--no-color` sets it false. */
  readonly color?: boolean;
}

export class Context {
  private cachedClient: VigilClient | undefined;

  constructor(
    readonly io: Io,
    private readonly globals: () => GlobalOptions,
    private readonly clientOptions: ClientOptions = {},
  ) {}

  private colorFlag(): boolean {
    return this.globals().color !== false;
  }

  /** Colours for stdout. */
  get paint(): Paint {
    return painter(colorsFor(this.io.stdout, this.io.env, this.colorFlag()));
  }

  /** Colours for stderr. */
  get paintErr(): Paint {
    return painter(colorsFor(this.io.stderr, this.io.env, this.colorFlag()));
  }

  /** The API client; the target is resolved on first use, so `--help` never needs an endpoint. */
  client(): VigilClient {
    if (this.cachedClient) return this.cachedClient;
    const target = resolveTarget(this.globals(), this.io.env);
    // A request sent again because the API was busy is said on stderr, so that a slow command explains itself.
    this.cachedClient = new VigilClient(target, {
      onRetry: (message) => this.warn(message),
      ...this.clientOptions,
      fetch: this.fetchFor(target.endpoint),
    });
    return this.cachedClient;
  }

  /** The fetch for requests to `url`: trusting the CA of `--ca`, `VIGIL_CA` or local mode when there is one. */
  fetchFor(url: URL): typeof fetch {
    if (this.clientOptions.fetch) return this.clientOptions.fetch;
    const ca = trustedCa({ endpoint: url, auth: { kind: 'none' } }, this.globals().ca, this.io.env);
    return ca ? fetchTrusting(ca.pem) : fetch;
  }

  /** Data, on stdout. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  /** Messages for people, on stderr (so that stdout stays parseable). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A progress line on a terminal's stderr, rewritten in place; `undefined` clears it. Nothing when stderr is
   * no terminal (CI, pipes, logs), where a line per step would only be noise.
   */
  progress(text: string | undefined): void {
    if (this.io.stderr.isTTY !== true) return;
    if (text === undefined) {
      if (this.progressShown) this.io.stderr.write('\r\u001b[2K');
      this.progressShown = false;
      return;
    }
    this.io.stderr.write(`\r\u001b[2K${text}`);
    this.progressShown = true;
  }

  private progressShown = false;

  warn(text: string): void {
    this.note(this.paintErr('yellow', `warning: ${text}`));
  }

  /** Prints items (or one item) as a table, JSON or YAML. */
  output<T>(data: T | readonly T[], format: OutputFormat, columns: readonly Column<T>[]): void {
    this.print(render(data, format, columns, this.paint, tableWidth(this.io.stdout, this.io.env)));
  }

  error(head: string, details: readonly { path: string; message: string }[] = []): void {
    this.io.stderr.write(renderError(head, details, this.paintErr));
  }
}
