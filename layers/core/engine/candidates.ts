/**
 * The candidate index: which policies could apply to a workload, found without visiting the others.
 *
 * A policy is filed under the literal text its scope requires in one dimension (see ScopeConstraints): an
 * exact value, a prefix, a suffix or a delimiter-bounded token; or, when its scope requires exact values in
 * two dimensions (a cluster and a namespace, say), under the pair. Each filing carries the policy's scope
 * compiled for workloads that reached it, so that what the index already established is not evaluated again.
 *
 * A lookup runs for every admission request and must not allocate: exact values are looked up directly (a
 * workload's strings cache their hash); prefixes, suffixes and tokens are found by hashing the part of the
 * value in place, one character at a time, and comparing the stored text only on a hash hit.
 */
import {
  ANY_WORKLOAD,
  isTokenDelimiterCode,
  type ConstraintKind,
  type Dimension,
  type WorkloadAttributes,
  type WorkloadPredicate,
} from '../scope/index.js';

/** What the index files: anything with a scratch mark used to report it once per lookup. */
export interface Stamped {
  stamp: number;
}

/** One filing of a policy. */
export interface Filing<T extends Stamped> {
  readonly item: T;
  /**
   * The item's scope for workloads that reached this filing. Every filing of an item a lookup reaches gives
   * the same answer for that workload, so the first one reached decides. Writable so that a predicate
   * compiled on first use can take the place of the one that compiled it.
   */
  inScope: WorkloadPredicate;
}

/** One lookup in progress: the workload, its stamp, and where the items it reaches go. */
interface Lookup<T extends Stamped> {
  readonly workload: WorkloadAttributes;
  readonly stamp: number;
  readonly into: T[];
  /** Only items whose scope holds for the workload, or every item reached. */
  readonly withinScope: boolean;
}

// One counter for every index: an item can sit in the indexes of several actions (create, update and debug
// share the pod-spec controls), and stamps from separate counters could collide and hide it.
let lastStamp = 0;

/** Polynomial string hash kept within V8's small-integer range, so that map keys are never boxed. */
const HASH_MASK = 0x3fffffff;

function step(hash: number, code: number): number {
  return (Math.imul(hash, 31) + code) & HASH_MASK;
}

function hashForward(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = step(hash, text.charCodeAt(i));
  return hash;
}

function hashBackward(text: string): number {
  let hash = 0;
  for (let i = text.length - 1; i >= 0; i--) hash = step(hash, text.charCodeAt(i));
  return hash;
}

function addTo<T extends Stamped>(buckets: Map<string, Array<Filing<T>>>, text: string, filing: Filing<T>): void {
  const bucket = buckets.get(text);
  if (bucket) bucket.push(filing);
  else buckets.set(text, [filing]);
}

function collectBucket<T extends Stamped>(bucket: ReadonlyArray<Filing<T>>, lookup: Lookup<T>): void {
  const { stamp } = lookup;
  for (let i = 0; i < bucket.length; i++) {
    const filing = bucket[i]!;
    const { item } = filing;
    if (item.stamp === stamp) continue;
    item.stamp = stamp;
    if (lookup.withinScope && filing.inScope !== ANY_WORKLOAD && !filing.inScope(lookup.workload)) continue;
    lookup.into.push(item);
  }
}

interface Entry<T extends Stamped> {
  readonly text: string;
  readonly bucket: Array<Filing<T>>;
  /** Another text with the same hash (rare). */
  next: Entry<T> | undefined;
}

/** Bits of the filter in front of a text table: small enough to stay in the CPU's first-level cache. */
const FILTER_BITS = 4096;

function filterBit(hash: number): number {
  return (hash ^ (hash >>> 13)) & (FILTER_BITS - 1);
}

/**
 * Texts of one dimension by hash, with the lengths that occur so that a lookup probes only those. Most
 * probes miss: a bit filter answers those without touching the map, whose entries are spread over memory.
 */
class TextTable<T extends Stamped> {
  private readonly byHash = new Map<number, Entry<T>>();
  private readonly filter = new Int32Array(FILTER_BITS / 32);
  /** hasLength[n] is true when some stored text is n characters long. */
  readonly hasLength: boolean[] = [false];
  maxLength = 0;

  add(text: string, hash: number, filing: Filing<T>): void {
    let entry = this.byHash.get(hash);
    while (entry && entry.text !== text) entry = entry.next;
    if (entry) {
      entry.bucket.push(filing);
      return;
    }
    this.byHash.set(hash, { text, bucket: [filing], next: this.byHash.get(hash) });
    const bit = filterBit(hash);
    this.filter[bit >>> 5]! |= 1 << (bit & 31);
    // Kept dense: holes would turn every probe into a dictionary lookup.
    while (this.hasLength.length <= text.length) this.hasLength.push(false);
    this.hasLength[text.length] = true;
    if (text.length > this.maxLength) this.maxLength = text.length;
  }

  /** The chain of entries with this hash (undefined for most texts not stored); the caller confirms length and text. */
  first(hash: number): Entry<T> | undefined {
    const bit = filterBit(hash);
    if ((this.filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return undefined;
    return this.byHash.get(hash);
  }
}

/** How an index matches a value against its texts; `pair` refines an exact value by a second dimension's. */
type IndexKind = ConstraintKind | 'pair';

/**
 * The filings of one dimension (or, for `pair`, of an exact value in one dimension and then in a second).
 * One class for every kind, switching on it, so that the lookup's calls stay monomorphic.
 */
class DimensionIndex<T extends Stamped> {
  // Only the structure of the index's kind is allocated: a configuration has an inner pair map per namespace.
  /** exact: filings by value. */
  private readonly buckets: Map<string, Array<Filing<T>>> | undefined;
  /** prefix, suffix, token: filings by text hash. */
  private readonly table: TextTable<T> | undefined;
  /** pair: filings by the first dimension's value, then by the second's. */
  private readonly byFirst: Map<string, Map<string, Array<Filing<T>>>> | undefined;

  constructor(
    private readonly kind: IndexKind,
    /** pair: the dimension refining the first one. */
    private readonly second: Dimension | undefined,
  ) {
    this.buckets = kind === 'exact' ? new Map() : undefined;
    this.table = kind === 'prefix' || kind === 'suffix' || kind === 'token' ? new TextTable() : undefined;
    this.byFirst = kind === 'pair' ? new Map() : undefined;
  }

  add(text: string, filing: Filing<T>): void {
    switch (this.kind) {
      case 'exact':
        addTo(this.buckets!, text, filing);
        return;
      case 'prefix':
      case 'token':
        this.table!.add(text, hashForward(text), filing);
        return;
      case 'suffix':
        this.table!.add(text, hashBackward(text), filing);
        return;
      case 'pair':
        throw new TypeError('a pair index files under two texts: use addPair');
    }
  }

  addPair(firstText: string, secondText: string, filing: Filing<T>): void {
    const byFirst = this.byFirst!;
    let bySecond = byFirst.get(firstText);
    if (!bySecond) byFirst.set(firstText, (bySecond = new Map<string, Array<Filing<T>>>()));
    addTo(bySecond, secondText, filing);
  }

  /** Collects the items one value of the dimension reaches. */
  findValue(value: string, lookup: Lookup<T>): void {
    switch (this.kind) {
      case 'exact': {
        const bucket = this.buckets!.get(value);
        if (bucket) collectBucket(bucket, lookup);
        return;
      }
      case 'pair': {
        const bySecond = this.byFirst!.get(value);
        if (bySecond) this.findSecond(bySecond, lookup);
        return;
      }
      case 'prefix':
        this.findPrefixes(value, lookup);
        return;
      case 'suffix':
        this.findSuffixes(value, lookup);
        return;
      case 'token':
        this.findTokens(value, lookup);
        return;
    }
  }

  /** The pair filings under each of the workload's values of the second dimension. */
  private findSecond(bySecond: ReadonlyMap<string, Array<Filing<T>>>, lookup: Lookup<T>): void {
    const { attribute, name } = this.second!;
    const { workload } = lookup;
    if (name !== undefined) {
      const value = workload.keyed.get(attribute)?.get(name);
      const bucket = value === undefined ? undefined : bySecond.get(value);
      if (bucket) collectBucket(bucket, lookup);
      return;
    }
    const values = workload.values.get(attribute);
    if (!values) return;
    for (let i = 0; i < values.length; i++) {
      const bucket = bySecond.get(values[i]!);
      if (bucket) collectBucket(bucket, lookup);
    }
  }

  private findPrefixes(value: string, lookup: Lookup<T>): void {
    const table = this.table!;
    const { hasLength } = table;
    const limit = Math.min(table.maxLength, value.length);
    let hash = 0;
    for (let length = 1; length <= limit; length++) {
      hash = step(hash, value.charCodeAt(length - 1));
      if (!hasLength[length]) continue;
      for (let entry = table.first(hash); entry; entry = entry.next) {
        if (entry.text.length === length && value.startsWith(entry.text)) collectBucket(entry.bucket, lookup);
      }
    }
  }

  private findSuffixes(value: string, lookup: Lookup<T>): void {
    const table = this.table!;
    const { hasLength } = table;
    const limit = Math.min(table.maxLength, value.length);
    let hash = 0;
    for (let length = 1; length <= limit; length++) {
      hash = step(hash, value.charCodeAt(value.length - length));
      if (!hasLength[length]) continue;
      for (let entry = table.first(hash); entry; entry = entry.next) {
        if (entry.text.length === length && value.endsWith(entry.text)) collectBucket(entry.bucket, lookup);
      }
    }
  }

  private findTokens(value: string, lookup: Lookup<T>): void {
    const table = this.table!;
    const { hasLength, maxLength } = table;
    const end = value.length;
    let start = 0;
    let hash = 0;
    // One pass: hash each delimiter-bounded token as it is read; i === end closes the last one.
    for (let i = 0; i <= end; i++) {
      if (i < end) {
        const code = value.charCodeAt(i);
        if (!isTokenDelimiterCode(code)) {
          hash = step(hash, code);
          continue;
        }
      }
      const length = i - start;
      if (length > 0 && length <= maxLength && hasLength[length]) {
        for (let entry = table.first(hash); entry; entry = entry.next) {
          if (entry.text.length === length && value.startsWith(entry.text, start)) collectBucket(entry.bucket, lookup);
        }
      }
      start = i + 1;
      hash = 0;
    }
  }
}

/** Where one filing goes: one dimension's text, or an exact value in each of two dimensions. */
export type Placement =
  | { readonly key: string; readonly dimension: Dimension; readonly text: string }
  | {
      readonly key: string;
      readonly first: Dimension;
      readonly firstText: string;
      readonly second: Dimension;
      readonly secondText: string;
    };

/** The policies of one (type, action). */
/** The indexes over one attribute (and key): the workload's values are fetched once for all of them. */
interface AttributeIndexes<T extends Stamped> {
  readonly attribute: string;
  readonly name: string | undefined;
  readonly indexes: Array<DimensionIndex<T>>;
}

export class CandidateIndex<T extends Stamped> {
  private readonly unindexed: Array<Filing<T>> = [];
  private readonly singles = new Map<string, DimensionIndex<T>>();
  private readonly pairs = new Map<string, DimensionIndex<T>>();
  /** Every index, grouped by the attribute it reads (an array: iterating a Map allocates an iterator per lookup). */
  private readonly byAttribute: Array<AttributeIndexes<T>> = [];

  /** Files an item that no dimension narrows: every lookup reaches it. */
  addUnindexed(filing: Filing<T>): void {
    this.unindexed.push(filing);
  }

  add(placement: Placement, filing: Filing<T>): void {
    if ('dimension' in placement) {
      let index = this.singles.get(placement.key);
      if (!index) {
        index = new DimensionIndex<T>(placement.dimension.kind, undefined);
        this.singles.set(placement.key, index);
        this.group(placement.dimension, index);
      }
      index.add(placement.text, filing);
      return;
    }
    let index = this.pairs.get(placement.key);
    if (!index) {
      index = new DimensionIndex<T>('pair', placement.second);
      this.pairs.set(placement.key, index);
      this.group(placement.first, index);
    }
    index.addPair(placement.firstText, placement.secondText, filing);
  }

  private group(dimension: Dimension, index: DimensionIndex<T>): void {
    const { attribute, name } = dimension;
    const existing = this.byAttribute.find((group) => group.attribute === attribute && group.name === name);
    if (existing) existing.indexes.push(index);
    else this.byAttribute.push({ attribute, name, indexes: [index] });
  }

  /**
   * Appends to `into` every item the workload's values reach, each once, in no particular order: only those
   * whose scope holds for the workload when `withinScope`, otherwise every candidate.
   */
  collect(workload: WorkloadAttributes, into: T[], withinScope: boolean): void {
    const { unindexed, byAttribute } = this;
    // An item can be reached through several filings (two images, two prefixes): a per-lookup stamp skips
    // repeats without allocating a set.
    const lookup: Lookup<T> = { workload, stamp: ++lastStamp, into, withinScope };
    collectBucket(unindexed, lookup);
    for (let g = 0; g < byAttribute.length; g++) {
      const { attribute, name, indexes } = byAttribute[g]!;
      if (name !== undefined) {
        const value = workload.keyed.get(attribute)?.get(name);
        if (value !== undefined) for (let i = 0; i < indexes.length; i++) indexes[i]!.findValue(value, lookup);
        continue;
      }
      const values = workload.values.get(attribute);
      if (!values) continue;
      for (let v = 0; v < values.length; v++) {
        const value = values[v]!;
        for (let i = 0; i < indexes.length; i++) indexes[i]!.findValue(value, lookup);
      }
    }
  }
}
