// Turning API errors into words in the user's language. Codes and field
// codes are translated; the server's English message is the fallback for
// codes this UI does not know (or whose parameters are missing).

import { ApiError, type FieldError, type Lang } from './api';
import { translate, hasKey, type MessageKey, type Params } from './i18n';
import { platformName } from './platforms';

/** Where an error happened, for the few codes whose meaning depends on it. */
export type ErrorContext = 'signin' | 'approve' | 'post' | 'retry' | '';

interface Rule {
  key: MessageKey;
  /** params that must be present for the key's placeholders */
  needs?: string[];
  /** the rule applies only to fields matching this pattern */
  field?: RegExp;
}

// Rules per field code, most specific first.
const FIELD_RULES: Record<string, Rule[]> = {
  required: [
    { key: 'fe.required.platform', needs: ['platform'] },
    { key: 'fe.required.body', field: /^content\.body$/ },
    { key: 'fe.required.targets', field: /^targets$/ },
    { key: 'fe.required.comment', field: /^comment$/ },
    { key: 'fe.required.file', field: /^file$/ },
    { key: 'fe.required' },
  ],
  too_long: [{ key: 'fe.too_long.platform', needs: ['platform', 'count', 'limit'] }, { key: 'fe.too_long', needs: ['limit'] }],
  too_short: [{ key: 'fe.too_short', needs: ['min'] }],
  invalid_url: [{ key: 'fe.invalid_url' }],
  invalid_email: [{ key: 'fe.invalid_email' }],
  invalid_choice: [{ key: 'fe.invalid_choice' }],
  invalid_code: [{ key: 'fe.invalid_code' }],
  in_past: [{ key: 'fe.in_past' }],
  missed: [{ key: 'fe.missed', needs: ['minutes'] }],
  taken: [{ key: 'fe.taken.email', field: /^email$/ }, { key: 'fe.taken' }],
  wrong_password: [{ key: 'fe.wrong_password' }],
  unknown_account: [{ key: 'fe.unknown_account' }],
  unknown_org: [{ key: 'fe.unknown_org' }],
  unknown_media: [{ key: 'fe.unknown_media' }],
  unknown_platform: [{ key: 'fe.unknown_platform' }],
  platform_defunct: [{ key: 'fe.platform_defunct', needs: ['platform'] }],
  platform_disabled: [{ key: 'fe.platform_disabled', needs: ['platform'] }],
  required_for_platform: [{ key: 'fe.required_for_platform', needs: ['platform'] }],
  too_many_hashtags: [{ key: 'fe.too_many_hashtags', needs: ['platform', 'count', 'limit'] }],
  too_many_mentions: [{ key: 'fe.too_many_mentions', needs: ['platform', 'count', 'limit'] }],
  too_many: [{ key: 'fe.too_many', needs: ['limit'] }],
  too_many_for_platform: [{ key: 'fe.too_many_for_platform', needs: ['platform', 'limit'] }],
  type_for_platform: [{ key: 'fe.type_for_platform', needs: ['platform', 'types'] }],
  too_large_for_platform: [{ key: 'fe.too_large_for_platform', needs: ['platform', 'mb'] }],
  too_large: [{ key: 'fe.too_large', needs: ['mb'] }],
  unsupported_type: [{ key: 'fe.unsupported_type' }],
  unreadable: [{ key: 'fe.unreadable' }],
  before_from: [{ key: 'fe.before_from' }],
  duplicate_url: [{ key: 'fe.duplicate_url', needs: ['caseRef'] }],
  rank_too_low: [{ key: 'fe.rank_too_low' }],
  in_future: [{ key: 'fe.in_future' }],
  before_start: [{ key: 'fe.before_start', needs: ['startDate'] }],
  not_current: [{ key: 'fe.not_current' }],
};

/** fieldParams prepares a field error's params for display: platform names, MB. */
function fieldParams(params: Record<string, string> | undefined): Params {
  const out: Params = { ...(params ?? {}) };
  if (params?.platform) out.platform = platformName(params.platform);
  if (params?.limitBytes) {
    const n = Number(params.limitBytes);
    if (Number.isFinite(n)) out.mb = Math.round((n / (1 << 20)) * 10) / 10;
  }
  return out;
}

/** translateFieldError says what is wrong with one field, in lang. */
export function translateFieldError(fe: FieldError, lang: Lang): string {
  const rules = FIELD_RULES[fe.code] ?? [];
  const params = fieldParams(fe.params);
  for (const r of rules) {
    if (r.field && !r.field.test(fe.field)) continue;
    if (r.needs && !r.needs.every((n) => params[n] !== undefined && params[n] !== '')) continue;
    return translate(lang, r.key, params);
  }
  return fe.message || translate(lang, 'err.invalid');
}

const CONTEXT_KEYS: Record<string, MessageKey> = {
  'signin.unauthorized': 'err.signin.unauthorized',
  'signin.unavailable': 'err.signin.unavailable',
  'approve.forbidden': 'err.approve.forbidden',
  'post.conflict': 'err.post.conflict',
  'retry.conflict': 'err.retry.conflict',
};

/** translateError says what went wrong, in lang. */
export function translateError(err: unknown, lang: Lang, ctx: ErrorContext = ''): string {
  if (!(err instanceof ApiError)) {
    return translate(lang, 'err.internal');
  }
  const special = CONTEXT_KEYS[`${ctx}.${err.code}`];
  if (special) return translate(lang, special);
  const key = `err.${err.code}`;
  if (hasKey(key)) return translate(lang, key);
  return err.message || translate(lang, 'err.internal');
}

/** requestIdNote is the helpdesk reference for server failures, or ''. */
export function requestIdNote(err: unknown, lang: Lang): string {
  if (err instanceof ApiError && err.requestId && (err.status >= 500 || err.code === 'internal')) {
    return translate(lang, 'common.requestId', { id: err.requestId });
  }
  return '';
}
