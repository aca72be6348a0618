// `vigil clusters node-policies <name>`: the Tetragon policies Vigil compiles for a cluster, previewed before
// anything is applied; `-o yaml` prints them as a multi-document stream for kubectl apply or a GitOps repository.
import { segment } from '../client.js';
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';

interface ControlReport {
  control: string;
  fidelity: string;
  action: string;
  reasons: string[];
  objects: string[];
}

interface PolicyReport {
  policy: string;
  type: string;
  applies: boolean;
  reason?: string;
  scopeWidened: boolean;
  controls: ControlReport[];
}

interface Preview {
  cluster: string;
  group: string;
  revision: number;
  objects: unknown[];
  report: { policies: PolicyReport[] };
}

export interface NodePoliciesOptions {
  readonly group?: string;
  readonly output: 'table' | 'json' | 'yaml';
}

interface Row {
  policy: string;
  control: string;
  fidelity: string;
  action: string;
  objects: number;
  why: string;
}

export async function nodePoliciesCommand(ctx: Context, name: string, options: NodePoliciesOptions): Promise<number> {
  const path = `/v1/clusters/${segment(name)}/node-policies`;
  const query = options.group === undefined ? {} : { group: options.group };
  if (options.output === 'yaml') {
    // The server's YAML: the objects as it compiled them, with the fidelity of each control as comments.
    ctx.print(await ctx.client().getText(path, 'application/yaml', query));
    return ExitCode.ok;
  }
  const preview = await ctx.client().get<Preview>(path, query);
  if (options.output === 'json') {
    ctx.output(preview, 'json', []);
    return ExitCode.ok;
  }
  const rows: Row[] = preview.report.policies.flatMap((policy) =>
    policy.applies
      ? policy.controls.map((control) => ({
          policy: policy.policy,
          control: control.control,
          fidelity: control.fidelity,
          action: control.action,
          objects: control.objects.length,
          why: [...(policy.scopeWidened ? ['scope widened'] : []), ...control.reasons].join('; '),
        }))
      : [{ policy: policy.policy, control: '-', fidelity: '-', action: 'none', objects: 0, why: policy.reason ?? '' }],
  );
  ctx.output(rows, 'table', [
    { header: 'POLICY', value: (row) => row.policy },
    { header: 'CONTROL', value: (row) => row.control },
    { header: 'FIDELITY', value: (row) => row.fidelity },
    { header: 'ACTION', value: (row) => row.action },
    { header: 'OBJECTS', value: (row) => row.objects },
    { header: 'WHY', value: (row) => row.why },
  ]);
  ctx.note(
    `${preview.objects.length} Tetragon object${preview.objects.length === 1 ? '' : 's'} for cluster "${preview.cluster}", enforcer group "${preview.group}" (revision ${preview.revision}); print them with -o yaml`,
  );
  return ExitCode.ok;
}
