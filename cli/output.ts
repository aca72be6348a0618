// How the CLI prints: data on stdout (table, JSON or YAML), messages and errors on stderr, colours only on a
// terminal and never with NO_COLOR or --no-color.
import { stringify } from 'yaml';
import type { ErrorDetail } from './errors.js';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export interface Writable {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** A terminal's width in characters. */
  readonly columns?: number;
}

/** Table width when stdout is not a terminal (a pipe, a file): wide enough that little is cut. */
export const DEFAULT_TABLE_WIDTH = 160;

/** How wide tables may be: the terminal's width, else COLUMNS when it is a positive number, else the default. */
export function tableWidth(stream: Writable, env: Readonly<Record<string, string | undefined>>): number {
  if (stream.isTTY === true && stream.columns !== undefined && stream.columns > 0) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_TABLE_WIDTH;
}

/** The process's streams and environment, injectable for tests. */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks a yes/no question on the terminal; absent when nobody can answer (no terminal: CI, pipes). */
  readonly confirm?: (question: string) => Promise<boolean>;
}

const codes = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
export type Style = keyof typeof codes;

/** Paints text with ANSI colours, or returns it unchanged when colours are off. */
export type Paint = (style: Style, text: string) => string;

/** Whether to colour a stream: only a terminal, and never with NO_COLOR (any value) or --no-color. */
export function colorsFor(stream: Writable, env: Io['env'], flag: boolean): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function painter(enabled: boolean): Paint {
  return enabled ? (style, text) => (text === '' ? text : `\u001b[${codes[style]}m${text}\u001b[0m`) : (_style, text) => text;
}

/** YAML as `vigil export` writes it: block style, no folding of long strings (folding makes noisy diffs). */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** One column of a table: its header and how to read the cell from an item. */
export interface Column<T> {
  readonly header: string;
  readonly value: (item: T) => unknown;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'string') {
    // Tables are one line per item: a multi-line value would break the columns.
    return value.replace(/\s*\n\s*/g, ' ');
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** The text cut to `width` characters, its last one an ellipsis when something was cut. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

/** The text cut or padded to exactly `width` characters. */
export function fixed(text: string, width: number): string {
  return cut(text, width).padEnd(width);
}

/** The narrowest a cut column gets: its header, or a few characters and the ellipsis. */
const MIN_CUT_WIDTH = 4;

/**
 * A plain text table: a header line and one line per item, columns padded with two spaces between them. With
 * `maxWidth` (the terminal's width), lines longer than that have their widest column cut with an ellipsis.
 */
export function renderTable<T>(
  items: readonly T[],
  columns: readonly Column<T>[],
  paint: Paint = painter(false),
  maxWidth?: number,
): string {
  const rows = items.map((item) => columns.map((column) => cell(column.value(item))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => [...(row[i] ?? '')].length)));
  if (maxWidth !== undefined && widths.length > 0) {
    const total = widths.reduce((sum, width) => sum + width, 0) + 2 * (widths.length - 1);
    const widest = widths.indexOf(Math.max(...widths));
    const floor = Math.max(MIN_CUT_WIDTH, columns[widest]?.header.length ?? 0);
    widths[widest] = Math.max(floor, (widths[widest] ?? 0) - Math.max(0, total - maxWidth));
  }
  const line = (cells: readonly string[]) =>
    cells
      .map((text, i) => (i === cells.length - 1 ? cut(text, widths[i] ?? 0) : fixed(text, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(columns.map((c) => c.header))), ...rows.map(line)].join('\n') + '\n';
}

/** Renders data in the requested format; `table` needs columns. */
export function render<T>(
  data: T | readonly T[],
  format: OutputFormat,
  columns: readonly Column<T>[],
  paint?: Paint,
  maxWidth?: number,
): string {
  if (format === 'json') return toJson(data);
  if (format === 'yaml') return toYaml(data);
  return renderTable(Array.isArray(data) ? (data as readonly T[]) : [data as T], columns, paint, maxWidth);
}

/** An error line and its details, as printed on stderr. */
export function renderError(head: string, details: readonly ErrorDetail[], paint: Paint): string {
  const lines = [paint('red', head), ...details.map((d) => `  ${d.path === '' ? '(root)' : d.path}: ${d.message}`)];
  return lines.join('\n') + '\n';
}
