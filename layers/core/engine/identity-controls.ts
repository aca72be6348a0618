import { anyGlob, NONE, quoted, strings, type Evaluator } from './control-kit.js';

// Controls judging who logs in and who reads credentials: OS users, login auditing and honeypots.

export const osUsers: Evaluator = (options) => {
  const allowedList = strings(options, 'allowed');
  const allowed = anyGlob(allowedList);
  const blocked = anyGlob(strings(options, 'blocked'));
  return (event) => {
    if (event.action !== 'login') return NONE;
    if (blocked(event.user)) return [{ key: 'blocked', message: `login of blocked user ${quoted(event.user)}` }];
    if (allowedList.length > 0 && !allowed(event.user))
      return [{ key: 'notAllowed', message: `login of user ${quoted(event.user)}, who is not in the allowed list` }];
    return NONE;
  };
};

export const loginAuditing: Evaluator = () => (event) =>
  event.action === 'login'
    ? [{ key: 'login', message: `${event.success ? 'login' : 'failed login'} of user ${quoted(event.user)}` }]
    : NONE;

export const honeypot: Evaluator = () => (event) =>
  event.action === 'honeypot'
    ? [{ key: 'honeypot', message: `honeypot credentials were read from the ${event.source}${event.detail ? ` (${event.detail})` : ''}` }]
    : NONE;
