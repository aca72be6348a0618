import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, query } from './api';
import { ErrorMessage, useLoad } from './load';

interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export interface PagedList<T> {
  readonly items: readonly T[] | undefined;
  readonly error: string | undefined;
  readonly pageNumber: number;
  readonly hasNext: boolean;
  readonly hasPrevious: boolean;
  readonly next: () => void;
  readonly previous: () => void;
  readonly reload: () => void;
}

/**
 * One page of a list route at a time, moved with the API's cursors: only the current page is in memory
 * (with the cursors of the pages before it, to go back), however long the list is.
 */
export function usePagedList<T>(path: string, filters: Record<string, string | undefined>, limit = 50): PagedList<T> {
  const filterKey = JSON.stringify(filters);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [generation, setGeneration] = useState(0);

  // New filters start again at the first page.
  useEffect(() => setCursors([undefined]), [path, filterKey]);

  const cursor = cursors[cursors.length - 1];
  // filters is compared through filterKey (its JSON), so a new object with the same values loads nothing.
  const { value: page, error } = useLoad(
    () => call<Page<T>>('GET', `${path}${query({ ...filters, limit, cursor })}`),
    [path, filterKey, cursor, limit, generation],
  );

  return {
    items: page?.items,
    error,
    pageNumber: cursors.length,
    hasNext: page?.nextCursor !== undefined,
    hasPrevious: cursors.length > 1,
    next: () => page?.nextCursor !== undefined && setCursors([...cursors, page.nextCursor]),
    previous: () => cursors.length > 1 && setCursors(cursors.slice(0, -1)),
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}

function Pager({ list, label }: { list: PagedList<unknown>; label: string }) {
  if (!list.hasNext && !list.hasPrevious) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={!list.hasPrevious} onClick={list.previous}>
        Previous page
      </button>
      <span>Page {list.pageNumber}</span>
      <button type="button" disabled={!list.hasNext} onClick={list.next}>
        Next page
      </button>
    </nav>
  );
}

/** A paged list's error, its loading and empty states, its items once there are some, and the pager under them. */
export function PagedListBody<T>({
  list,
  label,
  empty,
  children,
}: {
  list: PagedList<T>;
  label: string;
  empty: string;
  children: (items: readonly T[]) => ComponentChildren;
}) {
  return (
    <>
      <ErrorMessage message={list.error} />
      {list.items === undefined ? <p role="status">Loading…</p> : list.items.length === 0 ? <p>{empty}</p> : children(list.items)}
      <Pager list={list} label={label} />
    </>
  );
}
