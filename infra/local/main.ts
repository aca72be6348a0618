// Local mode (the control plane on one machine) is being built; until it lands, say so plainly.
console.error('vigil: local mode is not available yet in this version; run `npm test` to exercise the policy core.');
process.exitCode = 1;
