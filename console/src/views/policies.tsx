import type { Policy } from '../api';
import { pendingSwitch, scopeSummary } from '../format';
import { PagedListBody, usePagedList } from '../paging';
import { href } from '../router';
import { TableFrame } from '../table-frame';

export function PoliciesView() {
  const list = usePagedList<Policy>('/v1/policies', {});
  return (
    <section aria-labelledby="policies-title">
      <div class="title-row">
        <h1 id="policies-title">Runtime policies</h1>
        <a class="button" href={href('policies', 'new')}>
          New policy
        </a>
      </div>
      <PagedListBody list={list} label="Runtime policies" empty="No runtime policies yet.">
        {(items) => (
          <TableFrame label="Runtime policies table" columns={['Name', 'Type', 'Mode', 'Scope', 'Enabled', 'Pending switch']}>
            {items.map((policy) => (
              <tr key={policy.name}>
                <th scope="row">
                  <a href={href('policies', 'edit', policy.name)}>{policy.name}</a>
                </th>
                <td>{policy.type}</td>
                <td>
                  <span class={`mode mode-${policy.enforcementMode}`}>{policy.enforcementMode}</span>
                </td>
                <td>{scopeSummary(policy)}</td>
                <td>{policy.enabled ? 'yes' : 'no'}</td>
                <td>{pendingSwitch(policy) || '—'}</td>
              </tr>
            ))}
          </TableFrame>
        )}
      </PagedListBody>
    </section>
  );
}
