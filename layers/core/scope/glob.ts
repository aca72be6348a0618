/**
 * Star-only globs for scope values (image names, namespaces, label values).
 *
 * Patterns come from policy authors, so they are never turned into regular
 * expressions: a hostile pattern must not be able to trigger catastrophic
 * backtracking. A star-only glob can be decided in linear time by locating its
 * literal segments left to right.
 */

/** Decides whether a value matches a compiled glob. */
export type GlobMatcher = (value: string) => boolean;

const STAR = '*';

/** Reports whether a pattern is matched only by itself (it contains no `*`). */
export function isLiteralGlob(pattern: string): boolean {
  return !pattern.includes(STAR);
}

/** Compiles a star-only glob that must match the whole value, case-sensitively. */
export function compileGlob(pattern: string): GlobMatcher {
  if (isLiteralGlob(pattern)) {
    return (value) => value === pattern;
  }

  // Consecutive stars are equivalent to one, so empty inner segments carry no
  // constraint; the outer ones must stay because they anchor the ends.
  const parts = pattern.split(STAR);
  const prefix = parts[0] ?? '';
  const suffix = parts[parts.length - 1] ?? '';
  const middles = parts.slice(1, -1).filter((segment) => segment !== '');

  if (middles.length === 0) {
    if (prefix === '' && suffix === '') return () => true;
    if (suffix === '') return (value) => value.startsWith(prefix);
    if (prefix === '') return (value) => value.endsWith(suffix);
  }

  const fixedLength = prefix.length + suffix.length;
  return (value) => {
    // Prefix and suffix must not share characters: "a*a" does not match "a".
    if (value.length < fixedLength) return false;
    if (!value.startsWith(prefix) || !value.endsWith(suffix)) return false;
    // Taking the leftmost occurrence of each middle segment is never worse
    // than any later one, because a star can absorb whatever is skipped; so
    // one forward scan decides the match without backtracking.
    const end = value.length - suffix.length;
    let cursor = prefix.length;
    for (const segment of middles) {
      const found = value.indexOf(segment, cursor);
      if (found < 0 || found + segment.length > end) return false;
      cursor = found + segment.length;
    }
    return true;
  };
}
