/** Controls of the product's host runtime policies: OS users and login auditing. */
import type { Json, Source } from './source.js';

export function readHostControls(source: Source, controls: Json, applies: (key: string) => boolean): void {
  if (applies('osUsers')) {
    // A disabled list must not become active by being merged with an enabled one, so only enabled lists are read.
    const blocked = source.control('blacklisted_os_users') && source.flag('blacklisted_os_users.enabled');
    const allowed = source.control('whitelisted_os_users') && source.flag('whitelisted_os_users.enabled');
    if (blocked || allowed) {
      controls.osUsers = {
        enabled: true,
        allowed: allowed ? (source.strings('whitelisted_os_users.user_white_list') ?? []) : [],
        blocked: blocked ? (source.strings('blacklisted_os_users.user_black_list') ?? []) : [],
      };
    }
  }

  if (applies('loginAuditing') && source.control('auditing')) {
    const success = source.bool('auditing.audit_success_login');
    const failure = source.bool('auditing.audit_failed_login');
    if (success === true || failure === true) {
      controls.loginAuditing = { enabled: source.flag('auditing.enabled') };
      if (success !== true || failure !== true)
        source.changed(
          success === true ? 'auditing.audit_success_login' : 'auditing.audit_failed_login',
          'Vigil records both successful and failed logins; the product recorded only ' +
            (success === true ? 'successful ones' : 'failed ones'),
        );
    }
  }
}
