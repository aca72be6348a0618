// `vigil groups rules <group> --function <name> …`: the rule table the control plane compiles for one function
// of a nano_enforcer group, as the function itself would be served it; saved as the Python layer's embedded
// table (VIGIL_RULES), it is enforced from the first invocation, before any fetch.
import { segment } from '../client.js';
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';

export interface FunctionRulesOptions {
  readonly function: string;
  readonly runtime?: string;
  readonly region?: string;
  readonly account?: string;
  /** key=value pairs, as VIGIL_FUNCTION_TAGS lists them. */
  readonly tag: readonly string[];
  readonly output: 'json' | 'yaml';
}

export async function functionRulesCommand(ctx: Context, group: string, options: FunctionRulesOptions): Promise<number> {
  const query = {
    function: options.function,
    runtime: options.runtime,
    region: options.region,
    account: options.account,
    tags: options.tag.length > 0 ? options.tag.join(',') : undefined,
  };
  const table = await ctx.client().get<{ revision: number; rules: unknown[] }>(`/v1/enforcer-groups/${segment(group)}/rules`, query);
  ctx.output(table, options.output, []);
  ctx.note(
    `Rule table of revision ${table.revision} for function "${options.function}" (${table.rules.length} rules): set VIGIL_RULES to the file.`,
  );
  return ExitCode.ok;
}
