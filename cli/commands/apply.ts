// `vigil apply` and `vigil diff`: the files are the desired state; show how the server differs, then make it so.
import { segment } from '../client.js';
import type { Context } from '../context.js';
import { describeItem, renderPlan } from '../diff-render.js';
import { loadDesiredState } from '../documents.js';
import { ApiError, CliError, ExitCode, type ErrorDetail } from '../errors.js';
import { printImportNotes, type ImportAnswer } from '../import-answer.js';
import { sendImport } from '../import-upload.js';
import type { EnforcerGroup } from '../../layers/core/index.js';
import { planNotices } from '../plan-notices.js';
import { fetchState, hasDifferences, locatePath, planChanges, summarize, type Change } from '../plan.js';

export interface ApplyOptions {
  readonly file: readonly string[];
  readonly recursive?: boolean;
  readonly prune?: boolean;
  readonly dryRun?: boolean;
  /** Apply risky changes without asking. */
  readonly yes?: boolean;
}

const resultOf: Readonly<Record<string, string>> = { create: 'created', update: 'updated', unchanged: 'unchanged' };
const deletePaths = {
  policy: '/v1/policies',
  applicationScope: '/v1/application-scopes',
  enforcerGroup: '/v1/enforcer-groups',
} as const;

/** Deletes in dependency order: policies before the application scopes they may use; groups last. */
async function prune(ctx: Context, deletions: readonly Change[]): Promise<{ deleted: number; failures: ErrorDetail[] }> {
  const ordered = (['policy', 'applicationScope', 'enforcerGroup'] as const).flatMap((kind) => deletions.filter((c) => c.kind === kind));
  const failures: ErrorDetail[] = [];
  let deleted = 0;
  for (const change of ordered) {
    if (change.kind === 'settings') continue;
    try {
      await ctx
        .client()
        .request(
          'DELETE',
          `${deletePaths[change.kind]}/${segment(change.name)}`,
          change.version === undefined ? {} : { headers: { 'if-match': `"${change.version}"` } },
        );
      deleted++;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failures.push({ path: describeItem(change), message: `${error.code}: ${error.message}` });
    }
  }
  return { deleted, failures };
}

/**
 * Writes the files' enforcer groups through the groups API, whole (as the import writes them): a new group with
 * POST, whose token is printed this once; a changed group with PUT at the version read. The groups API, not the
 * import, because it answers which clusters need re-issued manifests after a change.
 */
async function writeGroups(ctx: Context, changes: readonly Change[]): Promise<ErrorDetail[]> {
  const failures: ErrorDetail[] = [];
  for (const change of changes) {
    try {
      if (change.action === 'create') {
        const answer = await ctx.client().request<{ token?: string }>('POST', deletePaths.enforcerGroup, { body: change.after });
        ctx.print(
          `Enforcer group "${change.name}" created. Its token, shown only this once (give it to the group's enforcers; \`vigil groups rotate-token ${change.name}\` issues a new one):`,
        );
        ctx.print(answer.body.token ?? '');
      } else {
        const answer = await ctx.client().request<{ warnings?: string[] }>('PUT', `${deletePaths.enforcerGroup}/${segment(change.name)}`, {
          body: change.after,
          headers: change.version === undefined ? {} : { 'if-match': `"${change.version}"` },
        });
        // E.g. clusters whose manifests still carry the group's previous failMode: only the server knows them.
        for (const warning of answer.body.warnings ?? []) ctx.warn(`${describeItem(change)}: ${warning}`);
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failures.push({ path: describeItem(change), message: `${error.code}: ${error.message}` });
    }
  }
  return failures;
}

/**
 * What the server says of the files' unchanged groups (e.g. clusters whose manifests still carry the group's
 * previous failMode): only it knows the clusters' manifests. An empty merge patch asks it: a patch that changes
 * nothing writes nothing, whatever the group holds by then, and answers the advice a save of the group would.
 */
async function adviseUnchangedGroups(ctx: Context, unchanged: readonly Change[]): Promise<void> {
  for (const change of unchanged) {
    const answer = await ctx.client().request<{ warnings?: string[] }>('PATCH', `${deletePaths.enforcerGroup}/${segment(change.name)}`, {
      body: {},
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    for (const warning of answer.body.warnings ?? []) ctx.warn(`${describeItem(change)}: ${warning}`);
  }
}

/** A group the prune would delete while a cluster uses it: the server would refuse, so say so before writing. */
async function refuseDeletingUsedGroups(ctx: Context, deletions: readonly Change[]): Promise<void> {
  const doomed = new Set(deletions.filter((c) => c.kind === 'enforcerGroup').map((c) => c.name));
  if (doomed.size === 0) return;
  const clusters = await ctx.client().listAll<{ name: string; enforcerGroup?: string }>('/v1/clusters');
  const used = clusters.filter((cluster) => cluster.enforcerGroup !== undefined && doomed.has(cluster.enforcerGroup));
  if (used.length === 0) return;
  throw new CliError(
    'the files do not declare enforcer groups that clusters use, so --prune would delete them; nothing was written',
    ExitCode.error,
    used.map((cluster) => ({
      path: `enforcer group "${cluster.enforcerGroup}"`,
      message: `cluster "${cluster.name}" uses it: declare the group in the files, or move the cluster to another group first`,
    })),
  );
}

/** Runs `apply` (or `diff` when `diffOnly`); returns the exit code. */
export async function applyCommand(ctx: Context, options: ApplyOptions, diffOnly: boolean): Promise<number> {
  const prunes = options.prune === true;
  const desired = await loadDesiredState(options.file, options.recursive === true);
  const [current, groups] = await Promise.all([fetchState(ctx.client()), ctx.client().listAll<EnforcerGroup>('/v1/enforcer-groups')]);
  const plan = planChanges(current, desired, prunes, groups);
  ctx.print(renderPlan(plan, ctx.paint, { prune: prunes }));
  // The save-time warnings the API would answer, and the risky changes, before anything is written.
  const notices = planNotices(plan, groups);
  for (const notice of notices) ctx.warn(`${notice.item}: ${notice.message}${notice.risky ? ' (needs confirmation)' : ''}`);
  await adviseUnchangedGroups(
    ctx,
    plan.changes.filter((c) => c.kind === 'enforcerGroup' && c.action === 'unchanged'),
  );

  const differs = hasDifferences(plan);
  if (diffOnly) return differs ? ExitCode.differences : ExitCode.ok;
  if (!differs) {
    ctx.note('Nothing to change.');
    return ExitCode.ok;
  }
  if (options.dryRun) {
    ctx.note('Dry run: nothing was written.');
    return ExitCode.ok;
  }
  const risky = notices.filter((notice) => notice.risky).length;
  if (risky > 0 && options.yes !== true) {
    const what = `${risky} risky change${risky === 1 ? '' : 's'} (marked "needs confirmation" above)`;
    // Only a person at a terminal can answer; a pipeline has to say so up front with --yes.
    if (!ctx.io.confirm) throw new CliError(`the plan has ${what}: run again with --yes to apply them; nothing was written`);
    if (!(await ctx.io.confirm(`Apply the plan with ${what}? [y/N] `))) throw new CliError('not confirmed; nothing was written');
  }

  await refuseDeletingUsedGroups(
    ctx,
    plan.changes.filter((c) => c.action === 'delete'),
  );
  const writes = plan.changes.filter((c) => c.action === 'create' || c.action === 'update');
  const groupWrites = writes.filter((c) => c.kind === 'enforcerGroup');
  if (writes.length > groupWrites.length) {
    // One all-or-nothing request: the server validates everything again and writes every item or none.
    let answer: ImportAnswer;
    try {
      answer = await sendImport(ctx, `the configuration in ${options.file.join(', ')}`, desired.document, { mode: 'upsert' });
    } catch (error) {
      // What only the server can check (e.g. that a scheduled instant lies in the future): name the files.
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(
        error.status,
        error.code,
        error.message,
        error.details.map((d) => ({ path: locatePath(d.path, desired), message: d.message })),
        error.hint,
      );
    }
    const expected = new Map(plan.changes.filter((c) => c.action !== 'delete').map((c) => [`${c.kind}/${c.name}`, resultOf[c.action]]));
    const drifted = (answer.items ?? []).filter(
      (item) => expected.has(`${item.kind}/${item.name}`) && expected.get(`${item.kind}/${item.name}`) !== item.result,
    );
    for (const item of drifted) {
      ctx.warn(
        `${describeItem({ kind: item.kind as Change['kind'], name: item.name })} changed on the server after it was read: the files' version was applied (${item.result})`,
      );
    }
    // The policies' save-time warnings were printed with the plan, before the write: not again.
    printImportNotes(ctx, { ...answer, items: (answer.items ?? []).map(({ warnings: _shown, ...item }) => item) });
  }

  // Groups after the import: the policies, scopes and settings are one all-or-nothing write, the groups are not.
  const groupFailures = await writeGroups(ctx, groupWrites);
  const deletions = plan.changes.filter((c) => c.action === 'delete');
  const pruned = deletions.length > 0 ? await prune(ctx, deletions) : { deleted: 0, failures: [] };
  const counts = summarize(plan.changes);
  const failed = groupFailures.length + pruned.failures.length;
  const created =
    counts.create - groupWrites.filter((c) => c.action === 'create' && groupFailures.some((f) => f.path === describeItem(c))).length;
  const updated =
    counts.update - groupWrites.filter((c) => c.action === 'update' && groupFailures.some((f) => f.path === describeItem(c))).length;
  ctx.print(`Applied: ${created} created, ${updated} updated${prunes ? `, ${pruned.deleted} deleted` : ''}.`);
  if (failed > 0) {
    const written = writes.length > groupWrites.length ? 'the files were imported, but ' : '';
    const what = [
      ...(groupFailures.length > 0
        ? [`${groupFailures.length} of ${groupWrites.length} enforcer group write${groupWrites.length === 1 ? '' : 's'}`]
        : []),
      ...(pruned.failures.length > 0
        ? [`${pruned.failures.length} of ${deletions.length} deletion${deletions.length === 1 ? '' : 's'}`]
        : []),
    ].join(' and ');
    throw new CliError(
      `${written}${what} failed (enforcer groups and deletions are written after the import, not in its transaction)`,
      ExitCode.error,
      [...groupFailures, ...pruned.failures],
    );
  }
  return ExitCode.ok;
}
