// Joining the pages of GET /v1/export into one document (docs/adr/0016): every page is of the revision the first one
// was read at, and a page asked for after the configuration changed answers 410, so the export starts over. No Node
// built-ins: `vigil export` and the web console's export both assemble the document with this loop.

/** The lists a page carries; a page with nextCursor is one piece of a document. */
export interface ExportPageShape {
  readonly nextCursor?: string;
  readonly policies?: readonly unknown[];
  readonly applicationScopes?: readonly unknown[];
  readonly enforcerGroups?: readonly unknown[];
}

/** Whole exports started at most this often while the configuration keeps changing under them. */
export const EXPORT_ATTEMPTS = 3;

/** How one client reads pages and tells a 410; the callbacks report progress. */
export interface ExportPager<P extends ExportPageShape> {
  /** GET /v1/export, with ?cursor= for every page but the first. */
  readonly page: (cursor: string | undefined) => Promise<P>;
  /** Whether a failed page is the API's 410: the configuration moved on since the export began. */
  readonly isGone: (error: unknown) => boolean;
  readonly onPage?: (pages: number, policies: number) => void;
  readonly onRestart?: () => void;
}

/** The whole export as one document: the first page's fields with the lists of every page joined, without nextCursor. */
export async function fetchExportDocument<P extends ExportPageShape>(pager: ExportPager<P>): Promise<Omit<P, 'nextCursor'>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { nextCursor: first, ...document } = await pager.page(undefined);
      const policies: unknown[] = [...(document.policies ?? [])];
      const applicationScopes: unknown[] = [...(document.applicationScopes ?? [])];
      const enforcerGroups: unknown[] = [...(document.enforcerGroups ?? [])];
      let pages = 1;
      for (let cursor = first; cursor !== undefined;) {
        const page = await pager.page(cursor);
        policies.push(...(page.policies ?? []));
        applicationScopes.push(...(page.applicationScopes ?? []));
        enforcerGroups.push(...(page.enforcerGroups ?? []));
        cursor = page.nextCursor;
        pages++;
        pager.onPage?.(pages, policies.length);
      }
      return { ...document, policies, applicationScopes, enforcerGroups };
    } catch (error) {
      if (!pager.isGone(error) || attempt >= EXPORT_ATTEMPTS) throw error;
      pager.onRestart?.();
    }
  }
}
