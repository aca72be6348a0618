import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Environment names of the planted credentials. The AWS SDKs read AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN (the function's real role credentials in Lambda), so the honeypot uses names no SDK
 * reads but a credential-harvesting script that dumps or greps the environment finds.
 */
export const HONEYPOT_ENV_NAMES = { accessKeyId: 'AWS_BACKUP_ACCESS_KEY_ID', secretAccessKey: 'AWS_BACKUP_SECRET_ACCESS_KEY' } as const;

/** Profile name in the planted credentials file: never `default`, so no SDK picks it up. */
export const HONEYPOT_PROFILE = 'backup-admin';

/** Fake credentials and where to plant them. */
export interface HoneypotPlan {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly environment: boolean;
  readonly file: string | undefined;
}

/** Told about every read of a planted credential. */
export type HoneypotReport = (source: 'environment' | 'file', detail: string) => void;

/**
 * Environment and file honeypots. process.env does not accept getters (Node refuses accessor descriptors),
 * so process.env is replaced by a Proxy over the real environment object: every other name reads and
 * writes through to it, the planted names report and answer the fake value.
 */
export class Honeypot {
  private plan: HoneypotPlan | undefined;
  private plantedFile: string | undefined;
  private quiet = 0;
  private fsPatched = false;
  private readonly realEnv = process.env;

  constructor(private readonly report: HoneypotReport) {}

  /** Runs code whose reads of the environment are the layer's own (e.g. Node copying env for a spawn). */
  quietly<T>(run: () => T): T {
    this.quiet++;
    try {
      return run();
    } finally {
      this.quiet--;
    }
  }

  /** Plants (or removes, with undefined) the honeypot; called for every new bundle. */
  apply(plan: HoneypotPlan | undefined): void {
    this.plan = plan;
    if (plan?.environment) this.installEnvironment();
    if (plan?.file !== undefined && this.plantedFile === undefined) this.plantFile(plan);
    if (plan?.file === undefined && this.plantedFile !== undefined) this.removeFile();
  }

  private envValue(name: string | symbol): string | undefined {
    const plan = this.plan;
    if (!plan?.environment || typeof name !== 'string') return undefined;
    if (name === HONEYPOT_ENV_NAMES.accessKeyId) return plan.accessKeyId;
    if (name === HONEYPOT_ENV_NAMES.secretAccessKey) return plan.secretAccessKey;
    return undefined;
  }

  private installEnvironment(): void {
    if (process.env !== this.realEnv) return;
    const names = Object.values(HONEYPOT_ENV_NAMES);
    process.env = new Proxy(this.realEnv, {
      get: (target, name, receiver) => {
        const value = this.envValue(name);
        if (value === undefined) return Reflect.get(target, name, receiver) as unknown;
        if (this.quiet === 0) this.report('environment', String(name));
        return value;
      },
      has: (target, name) => this.envValue(name) !== undefined || Reflect.has(target, name),
      ownKeys: (target) => {
        const keys = Reflect.ownKeys(target);
        for (const name of names) if (this.envValue(name) !== undefined && !keys.includes(name)) keys.push(name);
        return keys;
      },
      getOwnPropertyDescriptor: (target, name) => {
        const value = this.envValue(name);
        if (value === undefined) return Reflect.getOwnPropertyDescriptor(target, name);
        return { value, writable: true, enumerable: true, configurable: true };
      },
    });
  }

  private plantFile(plan: HoneypotPlan): void {
    const path = resolve(plan.file!);
    // Never overwrite a file the function owns: the honeypot must not change how the function works.
    if (fs.existsSync(path)) return;
    try {
      fs.mkdirSync(dirname(path), { recursive: true });
      fs.writeFileSync(
        path,
        `[${HONEYPOT_PROFILE}]\naws_access_key_id = ${plan.accessKeyId}\naws_secret_access_key = ${plan.secretAccessKey}\n`,
        { mode: 0o600 },
      );
      this.plantedFile = path;
      this.patchFs();
    } catch {
      // A read-only file system leaves only the environment honeypot.
    }
  }

  private removeFile(): void {
    try {
      fs.rmSync(this.plantedFile!, { force: true });
    } catch {
      // best effort
    }
    this.plantedFile = undefined;
  }

  /**
   * Reports reads of the planted file through the fs functions that open or copy a file by path (callback,
   * sync and promise forms). What does not go through them is not seen: child processes (`cat`), native
   * code, a symlink or hard link made to the file, and fs functions not patched here (such as `fs.cp`).
   */
  private patchFs(): void {
    if (this.fsPatched) return;
    this.fsPatched = true;
    const watch = (path: unknown): void => {
      const planted = this.plantedFile;
      if (planted === undefined || this.quiet > 0) return;
      let text: string | undefined;
      try {
        text =
          typeof path === 'string' ? path : path instanceof URL ? fileURLToPath(path) : Buffer.isBuffer(path) ? path.toString() : undefined;
      } catch {
        return; // not a file: URL; fs itself refuses it
      }
      if (text !== undefined && resolve(text) === planted) this.report('file', planted);
    };
    const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of ['readFileSync', 'readFile', 'openSync', 'open', 'createReadStream', 'copyFileSync', 'copyFile']) {
      const original = target[name]!;
      target[name] = function (this: unknown, ...args: unknown[]) {
        watch(args[0]);
        return original.apply(this, args);
      };
    }
    const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of ['readFile', 'open', 'copyFile']) {
      const original = promises[name]!;
      promises[name] = function (this: unknown, ...args: unknown[]) {
        watch(args[0]);
        return original.apply(this, args);
      };
    }
    syncBuiltinESMExports();
  }
}
