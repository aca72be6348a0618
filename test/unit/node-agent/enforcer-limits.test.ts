import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_REQUEST } from '../../../functions/enforcer/app.js';
import { bodyLimit } from '../../../functions/shared/http/body-parsing.js';
import { MAX_EVENTS_BODY_BYTES, MAX_EVENTS_PER_POST } from '../../../layers/node-agent/enforcer-client.js';

// The node agents may not import the control plane's code (they run in users' clusters), so they state its
// limits again: a forwarder that posted more than the server takes would have every batch refused, forever.
describe("the node agents' copy of the enforcer API's limits", () => {
  it('posts at most as many events, and as many bytes, as the events route accepts', () => {
    expect(MAX_EVENTS_PER_POST).toBe(MAX_EVENTS_PER_REQUEST);
    expect(MAX_EVENTS_BODY_BYTES).toBe(bodyLimit('POST /v1/enforcers/events'));
  });
});
