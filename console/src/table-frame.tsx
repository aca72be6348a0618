import type { ComponentChildren } from 'preact';

/**
 * A table of the console: its column headings and rows inside a frame that scrolls sideways on its own on a
 * narrow window (the page never does), focusable and named so that keyboard users can scroll it too.
 */
export function TableFrame({ label, columns, children }: { label: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
