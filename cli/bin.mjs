#!/usr/bin/env node
// The `vigil` command (package.json "bin"). The CLI is TypeScript, like the rest of the repository: this
// launcher registers tsx's ESM loader in this process and then imports the program, so no build step is needed.
import { fileURLToPath, URL } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
// A computed specifier: the `.ts` file is for the loader registered above, not for the type checker.
await import(new URL('./vigil.ts', import.meta.url).href);
