// Renders a plan as people read diffs: `+` lines for what the files add, `-` for what they remove, hunks of YAML
// with a little context for updates, and a closing summary line.
import { toYaml, type Paint } from './output.js';
import { summarize, type Change, type ChangeKind, type Plan } from './plan.js';

export type LineOp = { readonly op: ' ' | '-' | '+'; readonly line: string };

/**
 * A shortest edit script between two lists of lines (longest common subsequence). Inputs are single items of
 * policy-as-code, a few hundred lines at most; past a size bound it falls back to "all removed, all added".
 */
export function diffLines(a: readonly string[], b: readonly string[]): LineOp[] {
  if (a.length * b.length > 4_000_000)
    return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: LineOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) ops.push({ op: '-', line: a[i++]! });
    else ops.push({ op: '+', line: b[j++]! });
  }
  while (i < n) ops.push({ op: '-', line: a[i++]! });
  while (j < m) ops.push({ op: '+', line: b[j++]! });
  return ops;
}

/** Groups an edit script into unified-diff hunks with `context` unchanged lines around each change. */
export function hunks(ops: readonly LineOp[], context = 3): string[][] {
  const changed = ops.map((op, index) => (op.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return [];
  const ranges: Array<[number, number]> = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length - 1, index + context);
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }
  return ranges.map(([start, end]) => {
    // Line numbers of the hunk in the old and the new text, as unified diffs give them.
    let oldLine = 1;
    let newLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.op !== '+') oldLine++;
      if (ops[k]!.op !== '-') newLine++;
    }
    const slice = ops.slice(start, end + 1);
    const oldCount = slice.filter((op) => op.op !== '+').length;
    const newCount = slice.filter((op) => op.op !== '-').length;
    return [`@@ -${oldLine},${oldCount} +${newLine},${newCount} @@`, ...slice.map((op) => `${op.op} ${op.line}`)];
  });
}

const nouns: Readonly<Record<ChangeKind, string>> = {
  applicationScope: 'application scope',
  policy: 'policy',
  settings: 'enforcer settings',
  enforcerGroup: 'enforcer group',
};

export function describeItem(change: Pick<Change, 'kind' | 'name'>): string {
  return change.kind === 'settings' ? nouns.settings : `${nouns[change.kind]} "${change.name}"`;
}

function yamlLines(value: unknown): string[] {
  return toYaml(value).replace(/\n$/, '').split('\n');
}

function paintLine(line: string, paint: Paint): string {
  if (line.startsWith('@@')) return paint('cyan', line);
  if (line.startsWith('+')) return paint('green', line);
  if (line.startsWith('-')) return paint('red', line);
  return line;
}

/** One change as text: a header line, then the YAML lines that differ (none for unchanged items). */
export function renderChange(change: Change, paint: Paint): string[] {
  const what = describeItem(change);
  switch (change.action) {
    case 'create':
      return [paint('green', `+ create ${what}`), ...yamlLines(change.after).map((line) => paint('green', `+ ${line}`))];
    case 'delete':
      return [paint('red', `- delete ${what}`), ...yamlLines(change.before).map((line) => paint('red', `- ${line}`))];
    case 'update': {
      const parts = hunks(diffLines(yamlLines(change.before), yamlLines(change.after))).flat();
      const body = parts.length > 0 ? parts : ['  (only write-only values differ: the API never shows them)'];
      return [paint('yellow', `~ update ${what}`), ...body.map((line) => paintLine(line, paint))];
    }
    case 'unchanged':
      return [];
  }
}

/** The whole plan: each change, the items kept without prune, and a summary line. */
export function renderPlan(plan: Plan, paint: Paint, options: { prune: boolean }): string {
  const lines: string[] = [];
  for (const change of plan.changes) {
    const rendered = renderChange(change, paint);
    if (rendered.length > 0) lines.push(...rendered, '');
  }
  if (plan.undeclared.length > 0) {
    lines.push(
      paint(
        'dim',
        `# ${plan.undeclared.length} item${plan.undeclared.length === 1 ? ' is' : 's are'} on the server but not in the files (kept; --prune deletes ${plan.undeclared.length === 1 ? 'it' : 'them'}):`,
      ),
    );
    for (const change of plan.undeclared) lines.push(paint('dim', `#   ${describeItem(change)}`));
    lines.push('');
  }
  const counts = summarize(plan.changes);
  const parts = [
    `${counts.create} to create`,
    `${counts.update} to update`,
    ...(options.prune ? [`${counts.delete} to delete`] : []),
    `${counts.unchanged} unchanged`,
  ];
  lines.push(`Plan: ${parts.join(', ')}.`);
  return lines.join('\n') + '\n';
}
