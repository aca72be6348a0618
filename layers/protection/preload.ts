// Loaded with `node --require` (NODE_OPTIONS, set by the vigil-wrapper exec wrapper) before the Lambda
// runtime and the function's code, so every child_process and net reference the function takes is patched.
import { ProtectionHandler } from './ProtectionHandler.js';

try {
  ProtectionHandler.shared();
} catch (error) {
  // The function must still start; without the handler nothing is enforced, which the log says loudly.
  process.stderr.write(`vigil: protection could not start: ${(error as Error).message}\n`);
}
