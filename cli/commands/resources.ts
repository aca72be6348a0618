// `vigil get|list|delete <kind> [name]` over the admin API's resources.
import { segment, type Query } from '../client.js';
import type { Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { inDocumentedOrder } from '../key-order.js';
import { findKind, kindNames, type Json, type KindSpec } from '../kinds.js';
import type { OutputFormat } from '../output.js';

function kindFor(name: string, operation: 'list' | 'get' | 'delete'): KindSpec {
  const kind = findKind(name);
  if (!kind || !kind[operation]) throw new UsageError(`cannot ${operation} "${name}": the kinds are ${kindNames(operation)}`);
  return kind;
}

export interface ListOptions {
  readonly output: OutputFormat;
  readonly limit?: number;
  readonly type?: string;
  readonly enabled?: string;
  readonly group?: string;
}

export async function listCommand(ctx: Context, kindName: string, options: ListOptions): Promise<number> {
  const kind = kindFor(kindName, 'list');
  if (kind.singleton) return getCommand(ctx, kindName, undefined, options);
  const query: Query = { type: options.type, enabled: options.enabled, group: options.group };
  const max = options.limit ?? kind.defaultLimit ?? Number.POSITIVE_INFINITY;
  const items = await ctx.client().listAll<Json>(kind.path, query, max);
  ctx.output(
    items.map((item) => inDocumentedOrder(kind.name, item) as Json),
    options.output,
    kind.columns,
  );
  return ExitCode.ok;
}

export async function getCommand(ctx: Context, kindName: string, name: string | undefined, options: ListOptions): Promise<number> {
  const kind = kindFor(kindName, 'get');
  if (kind.singleton) {
    if (name !== undefined) throw new UsageError(`${kind.noun} have no name: use \`vigil get ${kind.name}\``);
    ctx.output(inDocumentedOrder(kind.name, await ctx.client().get<Json>(kind.path)) as Json, options.output, kind.columns);
    return ExitCode.ok;
  }
  if (name === undefined) return listCommand(ctx, kindName, options);
  ctx.output(
    inDocumentedOrder(kind.name, await ctx.client().get<Json>(`${kind.path}/${segment(name)}`)) as Json,
    options.output,
    kind.columns,
  );
  return ExitCode.ok;
}

export interface DeleteOptions {
  /** Delete only if the stored version is still this one (If-Match). */
  readonly ifVersion?: number;
}

export async function deleteCommand(ctx: Context, kindName: string, name: string, options: DeleteOptions): Promise<number> {
  const kind = kindFor(kindName, 'delete');
  await ctx
    .client()
    .request(
      'DELETE',
      `${kind.path}/${segment(name)}`,
      options.ifVersion === undefined ? {} : { headers: { 'if-match': `"${options.ifVersion}"` } },
    );
  ctx.print(`Deleted ${kind.noun} "${name}".`);
  return ExitCode.ok;
}
