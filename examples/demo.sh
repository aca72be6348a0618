#!/usr/bin/env sh
# The first-run tour against local mode (`npm start` in another terminal): a policy in audit mode records an exec
# as Detect; turned to enforce in an enforcing group, the same exec is a Block. Run from the repository root.
set -eu

export VIGIL_ENDPOINT="${VIGIL_ENDPOINT:-http://127.0.0.1:8787}"
export VIGIL_TOKEN="${VIGIL_TOKEN:-$(cat .vigil/admin-token)}"

npx vigil apply -f examples/policies --yes
# The manifest holds the cluster's secret in its URL: *.webhook.yaml is git-ignored, and simulate reads the URL from it.
npx vigil clusters register demo-cluster --manifest-file demo-cluster.webhook.yaml
export VIGIL_WEBHOOK_URL="$(sed -n 's/^ *url: *//p' demo-cluster.webhook.yaml | tr -d '"')"

npx vigil simulate exec -n payments --pod web-1 -l app=web --command sh   # Detect: audit mode
npx vigil audit list --status Detect --limit 5

npx vigil policies set exec-guard --mode enforce   # this policy's violations are Blocks from now on...
npx vigil groups set default-ke --enforce          # ...where the cluster's enforcer group enforces (as code: examples/groups)
sleep 2                                            # the webhook picks up configuration within a second
npx vigil simulate exec -n payments --pod web-1 --command sh              # Block
npx vigil audit list --status Block --limit 5
