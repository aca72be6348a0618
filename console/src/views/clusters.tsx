import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, query, segment, type Answer, type Schemas } from '../api';
import { downloadText } from '../download';
import { formatTime } from '../format';
import { FieldErrors, fieldAria, fieldId, Hint, problemsAt } from '../forms';
import { ErrorMessage, useLoad } from '../load';
import { PagedListBody, usePagedList } from '../paging';
import { TableFrame } from '../table-frame';

type Cluster = Schemas['Cluster'];
type Enforcer = Schemas['Enforcer'];
type Registered = Answer<'postV1Clusters', 201>;
type Rotated = Answer<'postV1ClustersBy_nameSecret'>;
type TokenRotated = Answer<'postV1ClustersBy_nameNodeAgentToken'>;

/** A file the API answered once, offered for download while the notice is shown. */
interface OnceFile {
  readonly label: string;
  readonly filename: string;
  readonly text: string;
}

/** What a registration or a rotation issued: held only in the view's state, gone when the view closes. */
interface Issued {
  readonly cluster: string;
  readonly files: readonly OnceFile[];
  /** Which secrets the files carry, in words. */
  readonly carries: string;
  /** What to do with the files. */
  readonly next: string;
  readonly warnings: readonly string[];
}

const APPLY = 'Apply them with kubectl apply -f.';

function issuedByRegistration(answer: Registered): Issued {
  const files: OnceFile[] = [{ label: 'webhook manifest', filename: `${answer.name}-webhook.yaml`, text: answer.manifest }];
  if (answer.nodeAgent) {
    files.push(
      { label: 'node-agent manifest', filename: `${answer.name}-node-agents.yaml`, text: answer.nodeAgent.manifest },
      { label: 'Tetragon Helm values', filename: `${answer.name}-tetragon-values.yaml`, text: answer.nodeAgent.tetragonValues },
    );
  }
  return {
    cluster: answer.name,
    files,
    carries: answer.nodeAgent
      ? "The webhook manifest carries the cluster's webhook secret and the node-agent manifest its node-agent token"
      : "The webhook manifest carries the cluster's webhook secret",
    next: APPLY,
    warnings: answer.warnings,
  };
}

function issuedByRotation(answer: Rotated): Issued {
  return {
    cluster: answer.name,
    files: [{ label: 'webhook manifest', filename: `${answer.name}-webhook.yaml`, text: answer.manifest }],
    carries: "The webhook manifest carries the cluster's new webhook secret",
    next: APPLY,
    warnings: answer.warnings,
  };
}

function issuedByTokenRotation(answer: TokenRotated): Issued {
  const { namespace } = answer.nodeAgent;
  return {
    cluster: answer.name,
    files: [{ label: 'node-agent token Secret', filename: `${answer.name}-node-agent-token.yaml`, text: answer.nodeAgent.manifest }],
    carries: "The Secret carries the cluster's new node-agent token",
    next: `Apply it with kubectl apply -f, then restart the agents: kubectl rollout restart -n ${namespace} deployment/vigil-bridge daemonset/vigil-forwarder.`,
    warnings: [],
  };
}

/** The most enforcers read per agent group: the bridge and one forwarder per node of every cluster of the group. */
const MAX_ENFORCER_PAGES = 10;

const NO_AGENTS_YET = { agents: new Map<string, Enforcer[]>(), truncated: false };

/** The node agents (bridge and forwarders) of the listed clusters, by cluster name, from GET /v1/enforcers. */
function useNodeAgents(clusters: readonly Cluster[] | undefined): { agents: Map<string, Enforcer[]>; truncated: boolean } {
  const groups = [...new Set((clusters ?? []).flatMap((c) => (c.nodeAgent ? [c.nodeAgent.enforcerGroup] : [])))].sort();
  const groupsKey = groups.join('\n');
  // groups is compared through groupsKey.
  const { value, error } = useLoad(async () => {
    const agents = new Map<string, Enforcer[]>();
    let truncated = false;
    for (const group of groups) {
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await call<{ items: Enforcer[]; nextCursor?: string }>('GET', `/v1/enforcers${query({ group, limit: 200, cursor })}`);
        for (const enforcer of page.items) {
          const cluster = enforcer.metadata?.cluster;
          if (cluster !== undefined) agents.set(cluster, [...(agents.get(cluster) ?? []), enforcer]);
        }
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== undefined && pages < MAX_ENFORCER_PAGES);
      truncated ||= cursor !== undefined;
    }
    return { agents, truncated };
  }, [groupsKey]);
  // A failure leaves the agents' cells saying nothing is known; the list itself still shows.
  return error === undefined ? (value ?? NO_AGENTS_YET) : { agents: new Map(), truncated: true };
}

/** The node agents of one cluster in words: the bridge's state and heartbeat, and how many forwarders report. */
function nodeAgentSummary(cluster: Cluster, agents: readonly Enforcer[]): string {
  if (!cluster.nodeAgent) return 'not issued';
  if (agents.length === 0) return `group ${cluster.nodeAgent.enforcerGroup}: not connected yet`;
  const bridges = agents.filter((a) => a.metadata?.kind === 'bridge');
  const forwarders = agents.filter((a) => a.metadata?.kind === 'forwarder');
  const lastSeen = (list: readonly Enforcer[]): string =>
    list.length === 0
      ? ''
      : `, last heartbeat ${formatTime(
          list
            .map((a) => a.lastSeen)
            .sort()
            .at(-1)!,
        )}`;
  const connected = (list: readonly Enforcer[]): number => list.filter((a) => a.status === 'connected').length;
  const bridge = bridges.length === 0 ? 'no bridge' : `bridge ${connected(bridges) > 0 ? 'connected' : 'disconnected'}${lastSeen(bridges)}`;
  return `group ${cluster.nodeAgent.enforcerGroup}: ${bridge}; forwarders ${connected(forwarders)} of ${forwarders.length} connected${lastSeen(forwarders)}`;
}

function webhookSummary(cluster: Cluster): string {
  const issued = cluster.issuedWith;
  if (!issued) return `group ${cluster.enforcerGroup}`;
  return `group ${cluster.enforcerGroup}: fail ${issued.failMode}, ${issued.timeoutSeconds} s timeout, kube-system ${issued.exemptKubeSystem ? 'exempt' : 'checked'}`;
}

/** What the user confirms before it happens: both cut a live cluster off until it is given a new manifest. */
interface Pending {
  readonly cluster: string;
  readonly action: 'rotate' | 'rotate-token' | 'deregister';
}

/** Clusters: register one (its manifests shown once), rotate its webhook secret, deregister it. */
export function ClustersView() {
  const list = usePagedList<Cluster>('/v1/clusters', {});
  const { agents, truncated } = useNodeAgents(list.items);
  const [issued, setIssued] = useState<Issued | undefined>();
  const [pending, setPending] = useState<Pending | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const confirm = async (): Promise<void> => {
    if (!pending) return;
    setBusy(true);
    setActionError(undefined);
    try {
      if (pending.action === 'rotate') {
        setIssued(issuedByRotation(await call<Rotated>('POST', `/v1/clusters/${segment(pending.cluster)}/secret`)));
      } else if (pending.action === 'rotate-token') {
        setIssued(issuedByTokenRotation(await call<TokenRotated>('POST', `/v1/clusters/${segment(pending.cluster)}/node-agent-token`)));
      } else {
        await call('DELETE', `/v1/clusters/${segment(pending.cluster)}`);
        if (issued?.cluster === pending.cluster) setIssued(undefined);
      }
      setPending(undefined);
      list.reload();
    } catch (caught) {
      setActionError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="clusters-title">
      <h1 id="clusters-title">Clusters</h1>
      {issued && <IssuedNotice issued={issued} onDone={() => setIssued(undefined)} />}
      <PagedListBody list={list} label="Clusters" empty="No clusters registered yet.">
        {(items) => (
          <TableFrame label="Clusters table" columns={['Name', 'Registered', 'Webhook', 'Node agents', 'Actions']}>
            {items.map((cluster) => (
              <tr key={cluster.name}>
                <th scope="row">
                  {cluster.name}
                  {cluster.status && <span class="hint"> (EKS {cluster.status})</span>}
                </th>
                <td>{formatTime(cluster.createdAt)}</td>
                <td>{webhookSummary(cluster)}</td>
                <td>{nodeAgentSummary(cluster, agents.get(cluster.name) ?? [])}</td>
                <td>
                  <div class="row-actions">
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => {
                        setActionError(undefined);
                        setPending({ cluster: cluster.name, action: 'rotate' });
                      }}
                    >
                      Rotate webhook secret of {cluster.name}
                    </button>
                    {cluster.nodeAgent && (
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => {
                          setActionError(undefined);
                          setPending({ cluster: cluster.name, action: 'rotate-token' });
                        }}
                      >
                        Rotate node-agent token of {cluster.name}
                      </button>
                    )}
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => {
                        setActionError(undefined);
                        setPending({ cluster: cluster.name, action: 'deregister' });
                      }}
                    >
                      Deregister {cluster.name}
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </TableFrame>
        )}
      </PagedListBody>
      {truncated && <p class="hint">Some node agents could not be read; their clusters may show fewer than there are.</p>}
      {pending && (
        <Confirmation
          pending={pending}
          busy={busy}
          error={actionError}
          onConfirm={() => void confirm()}
          onCancel={() => setPending(undefined)}
        />
      )}
      <RegisterForm
        onRegistered={(answer) => {
          setIssued(issuedByRegistration(answer));
          list.reload();
        }}
      />
    </section>
  );
}

/** What each confirmation says: its question, what happens at once, and its button, each naming the cluster. */
const CONFIRMATIONS: Record<Pending['action'], (cluster: string) => { title: string; consequence: string; button: string }> = {
  rotate: (cluster) => ({
    title: `Rotate the webhook secret of ${cluster}?`,
    consequence: `The webhook URL that ${cluster} calls stops working at once: until the new manifest is applied, the API server gets no answer from Vigil and follows the webhook's fail mode.`,
    button: `Rotate the secret of ${cluster}`,
  }),
  'rotate-token': (cluster) => ({
    title: `Rotate the node-agent token of ${cluster}?`,
    consequence: `The token the bridge and forwarders of ${cluster} use stops working at once: they keep what they applied but get no new policies and send no events until the new Secret is applied and they restart.`,
    button: `Rotate the node-agent token of ${cluster}`,
  }),
  deregister: (cluster) => ({
    title: `Deregister cluster ${cluster}?`,
    consequence: `Vigil forgets ${cluster}: its webhook URL and its node-agent token stop working at once. Its audit events stay. Remove the webhook configuration and the node agents from the cluster as well.`,
    button: `Deregister ${cluster}`,
  }),
};

function Confirmation({
  pending,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  pending: Pending;
  busy: boolean;
  error: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmButton.current?.focus(), [pending.cluster, pending.action]);
  const { title, consequence, button } = CONFIRMATIONS[pending.action](pending.cluster);
  return (
    <div class="warning confirmation" role="group" aria-labelledby="confirm-title">
      <h2 id="confirm-title">{title}</h2>
      <p>{consequence}</p>
      <ErrorMessage message={error} />
      <div class="actions">
        <button ref={confirmButton} type="button" class="danger" disabled={busy} onClick={onConfirm}>
          {button}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The manifests the API answered once: downloadable while this notice is shown, and never stored. */
function IssuedNotice({ issued, onDone }: { issued: Issued; onDone: () => void }) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), [issued]);
  return (
    <section class="warning issued" aria-labelledby="issued-title">
      <h2 id="issued-title" tabIndex={-1} ref={title}>
        Download the {issued.files.length === 1 ? 'file' : 'files'} of {issued.cluster} now
      </h2>
      <p>
        <strong>You will not see this again.</strong> {issued.carries}; Vigil keeps only hashes. The files are gone once you leave this view
        or press Done. {issued.next}
      </p>
      <ul class="downloads">
        {issued.files.map((file) => (
          <li key={file.filename}>
            <button type="button" onClick={() => downloadText(file.filename, file.text)}>
              Download the {file.label} ({file.filename})
            </button>
          </li>
        ))}
      </ul>
      {issued.warnings.length > 0 && (
        <>
          <p>Warnings:</p>
          <ul class="warnings">
            {issued.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </>
      )}
      <button type="button" class="secondary" onClick={onDone}>
        Done: I have saved them
      </button>
    </section>
  );
}

interface Registration {
  readonly name: string;
  readonly enforcerGroup: string;
  readonly arn: string;
  readonly nodeAgent: boolean;
  readonly agentGroup: string;
  readonly image: string;
  readonly namespace: string;
}

const EMPTY_REGISTRATION: Registration = {
  name: '',
  enforcerGroup: 'default-ke',
  arn: '',
  nodeAgent: false,
  agentGroup: 'default',
  image: '',
  namespace: '',
};

/** The POST /v1/clusters body: empty optional fields are left out so that the API's defaults apply. */
function registrationBody(form: Registration): Record<string, unknown> {
  const agentFields: Array<[string, string]> = [
    ['enforcerGroup', form.agentGroup.trim()],
    ['image', form.image.trim()],
    ['namespace', form.namespace.trim()],
  ];
  const agent = Object.fromEntries(agentFields.filter(([, value]) => value !== ''));
  return {
    name: form.name.trim(),
    ...(form.enforcerGroup.trim() === '' ? {} : { enforcerGroup: form.enforcerGroup.trim() }),
    ...(form.arn.trim() === '' ? {} : { arn: form.arn.trim() }),
    ...(form.nodeAgent ? { nodeAgent: Object.keys(agent).length === 0 ? true : agent } : {}),
  };
}

/** The fields of the registration form, with the JSON path the API names them by. */
const REGISTRATION_FIELDS: ReadonlyArray<[keyof Registration, string]> = [
  ['name', 'name'],
  ['enforcerGroup', 'enforcerGroup'],
  ['arn', 'arn'],
  ['agentGroup', 'nodeAgent.enforcerGroup'],
  ['image', 'nodeAgent.image'],
  ['namespace', 'nodeAgent.namespace'],
];

function RegisterForm({ onRegistered }: { onRegistered: (answer: Registered) => void }) {
  const [form, setForm] = useState<Registration>(EMPTY_REGISTRATION);
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const update = (change: Partial<Registration>): void => setForm({ ...form, ...change });
  const messages = (path: string): string[] => problemsAt(error, path).map((p) => p.message);
  // Problems no field of the form shows (e.g. about nodeAgent as a whole) are listed with the error's sentence.
  const shownAtFields = new Set(
    REGISTRATION_FIELDS.map(([, path]) => path).filter((path) => form.nodeAgent || !path.startsWith('nodeAgent.')),
  );
  const unplaced = error?.problems.filter((p) => !shownAtFields.has(p.path)) ?? [];

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await call<Registered>('POST', '/v1/clusters', { body: registrationBody(form) });
      setForm(EMPTY_REGISTRATION);
      onRegistered(answer);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'network', String(caught), []));
    } finally {
      setBusy(false);
    }
  };

  const text = (key: keyof Registration, path: string, label: string, hint?: string) => (
    <div>
      <label for={fieldId(path)}>{label}</label>
      <input
        autocomplete="off"
        spellcheck={false}
        value={form[key] as string}
        onInput={(e) => update({ [key]: e.currentTarget.value })}
        {...fieldAria(path, messages(path), hint !== undefined)}
      />
      {hint !== undefined && <Hint path={path}>{hint}</Hint>}
      <FieldErrors path={path} messages={messages(path)} />
    </div>
  );

  return (
    <form class="register" aria-labelledby="register-title" onSubmit={(e) => void submit(e)} noValidate>
      <h2 id="register-title">Register a cluster</h2>
      {error && (
        <div class="error-summary" role="alert">
          <p class="error">{error.message}</p>
          {unplaced.length > 0 && (
            <ul>
              {unplaced.map((p) => (
                <li key={`${p.path}:${p.message}`}>
                  {p.path || 'registration'}: {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {text('name', 'name', 'Cluster name', 'The EKS cluster name: letters, digits, ".", "_" and "-".')}
      {text('enforcerGroup', 'enforcerGroup', 'Enforcer group', 'The kube_enforcer group that decides admission for the cluster.')}
      {text('arn', 'arn', 'EKS cluster ARN (optional)', 'When given, Vigil checks it with DescribeCluster and records the endpoint.')}
      <div class="check">
        <input
          type="checkbox"
          id="register-node-agent"
          checked={form.nodeAgent}
          onChange={(e) => update({ nodeAgent: e.currentTarget.checked })}
        />
        <label for="register-node-agent">Also issue the node agents (the Tetragon bridge and event forwarder)</label>
      </div>
      {form.nodeAgent && (
        <fieldset>
          <legend>Node agents</legend>
          {text('agentGroup', 'nodeAgent.enforcerGroup', 'Agent enforcer group', 'The agent group whose policies the agents apply.')}
          {text('image', 'nodeAgent.image', 'Node-agent image', 'Empty: the default image name, which must be built and pushed first.')}
          {text('namespace', 'nodeAgent.namespace', 'Namespace', 'Empty: vigil-system.')}
        </fieldset>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Register cluster
        </button>
      </div>
    </form>
  );
}
