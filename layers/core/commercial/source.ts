/**
 * Reading one object of the commercial product's JSON: typed reads that refuse wrong types (naming the field),
 * a record of which fields were carried over, and what a translation changed in meaning. Everything the reads did
 * not consume and that holds a setting is reported as not carried over.
 */

export type Json = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value carries a setting: false, 0, "", [], null and objects made only of those lose nothing when dropped. */
export function inUse(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.values(value).some(inUse);
  return false;
}

/** A value as a user would recognise it in an error message: its JSON, shortened. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? typeof value;
  const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `the ${typeof value}`;
  return `${kind} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** A field the source held that Vigil reads differently; `message` is written for the person migrating. */
export interface MeaningChange {
  readonly field: string;
  readonly message: string;
}

/** A field whose value cannot be read at all (wrong type): the import is refused and names it. */
export interface SourceIssue {
  readonly path: string;
  readonly message: string;
}

export class Source {
  private readonly consumed = new Set<string>();
  private readonly explicit: string[] = [];
  readonly issues: SourceIssue[] = [];
  readonly meaningChanges: MeaningChange[] = [];

  /** @param ignored fields that are bookkeeping of the product (ids, timestamps, counters): dropping them loses no protection. */
  constructor(
    readonly root: Json,
    ignored: readonly string[] = [],
  ) {
    for (const field of ignored) this.consumed.add(field);
  }

  get(path: string): unknown {
    let node: unknown = this.root;
    for (const key of path.split('.')) {
      if (Array.isArray(node) && /^\d+$/.test(key)) node = (node as unknown[])[Number(key)];
      else if (isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, key)) node = node[key];
      else return undefined;
    }
    return node;
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Marks a path as carried over. */
  take(path: string): void {
    this.consumed.add(path);
  }

  /** Reports a path that was read (so the walk skips it) but could not be carried over. */
  report(path: string): void {
    this.consumed.add(path);
    this.explicit.push(path);
  }

  /** Records that `field` was carried over with a different meaning, in words for the user. */
  changed(field: string, message: string): void {
    this.meaningChanges.push({ field, message });
  }

  /** Refuses a value of the wrong type, naming the field; the path counts as read so it is not reported twice. */
  refuse(path: string, expected: string): void {
    this.consumed.add(path);
    this.issues.push({ path, message: `must be ${expected}; it is ${describeValue(this.get(path))}` });
  }

  /** A boolean; absent or null reads as undefined, anything else is refused (a string "false" must not enable a policy). */
  bool(path: string): boolean | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) {
      if (value === null) this.take(path);
      return undefined;
    }
    if (typeof value !== 'boolean') {
      this.refuse(path, 'true or false');
      return undefined;
    }
    this.take(path);
    return value;
  }

  /** True only for an explicit `true`; the product writes every flag, so absence means off. */
  flag(path: string): boolean {
    return this.bool(path) === true;
  }

  string(path: string): string | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) {
      if (value === null) this.take(path);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.refuse(path, 'a string');
      return undefined;
    }
    this.take(path);
    return value;
  }

  /** A list of strings; `null` (how the product writes an empty list) reads as empty. */
  strings(path: string): string[] | undefined {
    const value = this.get(path);
    if (value === undefined) return undefined;
    if (value === null) {
      this.take(path);
      return [];
    }
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
      this.refuse(path, 'a list of strings');
      return undefined;
    }
    this.take(path);
    return value;
  }

  /** A whole number, not yet marked as carried over (some numbers only count in combination). */
  peekInteger(path: string): number | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.refuse(path, 'a whole number');
      return undefined;
    }
    return value;
  }

  /**
   * The control object at `path` when it holds any setting; an object of defaults only (the product writes every
   * control, mostly `{"enabled": false, …: []}`) is taken as carried over, because dropping it loses nothing.
   */
  control(path: string): Json | undefined {
    const value = this.get(path);
    if (value === undefined) return undefined;
    if (value === null || (isPlainObject(value) && !inUse(value))) {
      this.take(path);
      return undefined;
    }
    if (!isPlainObject(value)) {
      this.refuse(path, 'an object');
      return undefined;
    }
    return value;
  }

  /**
   * Every field that holds a setting and was not carried over, sorted. A control object that is switched off
   * (`enabled: false`) protects nothing in the product either, so it is not listed: the list stays about protection
   * that would be lost.
   */
  leftovers(): string[] {
    const found = new Set(this.explicit);
    const walk = (value: unknown, path: string): void => {
      if (path !== '' && this.consumed.has(path)) return;
      const prefix = path === '' ? '' : `${path}.`;
      // Descend only into objects that were partly carried over; an untouched object is reported as a whole.
      if (isPlainObject(value) && (path === '' || [...this.consumed].some((taken) => taken.startsWith(prefix)))) {
        for (const [key, child] of Object.entries(value)) walk(child, `${prefix}${key}`);
        return;
      }
      if (isPlainObject(value) && value.enabled === false) return;
      if (inUse(value)) found.add(path);
    };
    walk(this.root, '');
    return [...found].sort();
  }
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
