// The one typed client of the Prasar HTTP API (docs/api.md). Every route the
// UI may call is a function here; nothing else in the frontend calls fetch.
//
// Conventions handled here:
//   - the {"data": …} / {"data": […], "total": N} envelope;
//   - the X-CSRF-Token header on every state-changing request (except
//     signing in), taken from the session;
//   - errors as ApiError with code, message, fields and requestId;
//   - a 401 on any call but the sign-in ones runs the onUnauthorized hook
//     (the app sends the user back to the sign-in page).

export type Lang = 'hi' | 'en';
export type Role = 'admin' | 'approver' | 'editor' | 'viewer';

export const PLATFORMS = ['facebook', 'x', 'instagram', 'threads', 'telegram', 'mastodon', 'bluesky', 'linkedin', 'koo'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const POST_STATUSES = ['draft', 'in_review', 'changes_requested', 'rejected', 'approved', 'publishing', 'cancelled', 'retracted'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

export const DELIVERY_STATUSES = ['queued', 'sending', 'retrying', 'published', 'failed', 'needs_reconnect', 'unconfirmed', 'cancelled', 'retracted'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const ACCOUNT_STATUSES = ['connected', 'needs_reconnect', 'disconnected', 'defunct'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const ROLES: readonly Role[] = ['admin', 'approver', 'editor', 'viewer'];

export const ORG_TYPES = ['department', 'board', 'corporation', 'authority', 'commission', 'district'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

export type ErrorClass = 'retryable' | 'rate_limited' | 'auth' | 'rejected';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  orgId?: string;
  lang: Lang;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt?: string;
}

export interface SessionInfo {
  user: User;
  csrfToken: string;
}

export interface PlatformRules {
  platform: Platform;
  maxChars: number;
  countUnit: string;
  requiresMedia: boolean;
  maxImages: number;
  maxImageBytes: number;
  imageTypes: string[] | null;
  maxHashtags?: number;
  enabled: boolean;
  defunct?: string;
}

export interface Organisation {
  id: string;
  code: string;
  type: OrgType;
  parentId?: string;
  nameEn: string;
  nameHi: string;
  district?: string;
  activeFrom?: string;
  activeTo?: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrgInput {
  code: string;
  type: OrgType;
  parentId: string;
  nameEn: string;
  nameHi: string;
  district: string;
}

export interface Officer {
  id: string;
  orgId: string;
  kind: string;
  name: string;
  designation: string;
  posting: string;
  rank?: string;
  email?: string;
  phone?: string;
  accountDetails?: string;
  orderRef?: string;
  userId?: string;
  startDate: string;
  endDate?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Account {
  id: string;
  orgId: string;
  platform: Platform;
  handle: string;
  displayName: string;
  externalId: string;
  profileUrl?: string;
  status: AccountStatus;
  statusReason?: string;
  sandbox: boolean;
  tokenExpiresAt?: string;
  scopes?: string[];
  createdAt: string;
  updatedAt: string;
}

export interface UserInput {
  email: string;
  name: string;
  role: Role;
  orgId: string;
  lang: Lang;
  password: string;
}

export interface Media {
  id: string;
  orgId: string;
  filename: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  sha256: string;
  uploadedBy: string;
  createdAt: string;
}

export interface Variant {
  text: string;
}

export interface Content {
  bodyHi: string;
  bodyEn: string;
  link?: string;
  mediaIds?: string[];
  altText?: string;
  variants?: Partial<Record<Platform, Variant>>;
}

export type PostKind = 'post' | 'clarification';

export interface PostInput {
  orgId: string;
  kind: PostKind;
  title: string;
  content: Content;
  targets: string[];
  scheduledAt?: string | null;
}

export interface ReviewEntry {
  at: string;
  userId: string;
  userName?: string;
  action: string; // create, edit, submit, approve, reject, request_changes, reopen, cancel
  revision: number;
  comment?: string;
}

export interface Post {
  id: string;
  orgId: string;
  authorId: string;
  kind: PostKind;
  caseId?: string;
  title: string;
  status: PostStatus;
  revision: number;
  content: Content;
  targets: string[] | null;
  contentHash: string;
  scheduledAt?: string;
  submittedAt?: string;
  approvedRevision?: number;
  approvedBy?: string;
  approvedAt?: string;
  fanoutRevision?: number;
  review: ReviewEntry[] | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface PostRevision {
  postId: string;
  revision: number;
  content: Content;
  targets: string[];
  contentHash: string;
  editedBy: string;
  editedAt: string;
}

export interface Delivery {
  id: string;
  postId: string;
  revision: number;
  accountId: string;
  orgId: string;
  platform: Platform;
  status: DeliveryStatus;
  attempts: number;
  failures: number;
  sendingSince?: string;
  needsLookup?: boolean;
  nextAttemptAt?: string;
  externalId?: string;
  externalUrl?: string;
  publishedAt?: string;
  errorClass?: ErrorClass;
  errorMessage?: string;
  platformMessage?: string;
  createdAt: string;
  updatedAt: string;
  // The history's and the post page's rows (DeliveryRow) carry what people
  // read beside them; other answers (a single delivery, a retry) do not.
  postTitle?: string;
  accountHandle?: string;
  accountDisplayName?: string;
  orgCode?: string;
}

export interface Attempt {
  deliveryId: string;
  n: number;
  startedAt: string;
  endedAt: string;
  outcome: string;
  errorClass?: ErrorClass;
  message?: string;
}

export type DeliveryCounts = Partial<Record<DeliveryStatus, number>>;

export interface PostDetail {
  post: Post;
  deliveries: Delivery[] | null;
  counts: DeliveryCounts | null;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
  params?: Record<string, string>;
}

export interface TargetMeasure {
  accountId: string;
  platform: Platform;
  handle: string;
  text: string;
  count: number;
  limit: number;
  unit: string;
  problems?: FieldError[] | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actorId?: string;
  actorRole?: Role;
  action: string;
  objectType: string;
  objectId: string;
  orgId?: string;
  details?: Record<string, string>;
}

export interface Page<T> {
  data: T[];
  total: number;
}

/** ApiError is a failed call: the server's error object, or a network failure (code "network"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];
  readonly requestId: string;

  constructor(status: number, code: string, message: string, fields: FieldError[] = [], requestId = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.requestId = requestId;
  }
}

/** The HTTP status each domain error code comes with (docs/api.md), for errors without a body. */
const STATUS_CODES: Record<number, string> = {
  400: 'malformed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported',
  422: 'invalid',
  500: 'internal',
  503: 'unavailable',
};

export const API_BASE = '/api/v1';

interface ClientState {
  csrfToken: string;
  onUnauthorized: (() => void) | null;
  fetch: typeof fetch;
}

const state: ClientState = {
  csrfToken: '',
  onUnauthorized: null,
  fetch: (input, init) => globalThis.fetch(input, init),
};

/** setCsrfToken keeps the session's CSRF token for state-changing calls. */
export function setCsrfToken(token: string): void {
  state.csrfToken = token;
}

/** onUnauthorized sets what happens when a call answers 401 (the session ended). */
export function onUnauthorized(fn: (() => void) | null): void {
  state.onUnauthorized = fn;
}

/** setFetch replaces fetch (tests). */
export function setFetch(fn: typeof fetch): void {
  state.fetch = fn;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  /** Do not call onUnauthorized on 401 (signing in, probing the session). */
  quiet401?: boolean;
}

/** query builds a query string from the set, non-empty values. */
export function query(params: Record<string, string | number | readonly string[] | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length > 0) q.set(k, v.join(','));
    } else {
      q.set(k, String(v));
    }
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** parseError turns a failed response's body into an ApiError. */
export function parseError(status: number, body: unknown, requestIdHeader = ''): ApiError {
  const fallback = STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'malformed');
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const fields = Array.isArray(o.fields) ? (o.fields as FieldError[]) : [];
      return new ApiError(
        status,
        typeof o.code === 'string' && o.code ? o.code : fallback,
        typeof o.message === 'string' ? o.message : '',
        fields,
        typeof o.requestId === 'string' && o.requestId ? o.requestId : requestIdHeader,
      );
    }
  }
  return new ApiError(status, fallback, '', [], requestIdHeader);
}

async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<{ body: T; status: number }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.form) {
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && state.csrfToken) {
    headers['X-CSRF-Token'] = state.csrfToken;
  }
  let res: Response;
  try {
    res = await state.fetch(API_BASE + path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const requestId = res.headers.get('X-Request-Id') ?? '';
  let parsed: unknown = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
  }
  if (!res.ok) {
    const err = parseError(res.status, parsed, requestId);
    if (res.status === 401 && !opts.quiet401 && state.onUnauthorized) {
      state.onUnauthorized();
    }
    throw err;
  }
  return { body: parsed as T, status: res.status };
}

async function data<T>(method: Method, path: string, opts?: RequestOptions): Promise<T> {
  const { body } = await request<{ data: T }>(method, path, opts);
  return body.data;
}

async function page<T>(path: string, opts?: RequestOptions): Promise<Page<T>> {
  const { body } = await request<{ data: T[] | null; total?: number }>('GET', path, opts);
  const list = body.data ?? [];
  return { data: list, total: body.total ?? list.length };
}

async function list<T>(path: string, opts?: RequestOptions): Promise<T[]> {
  return (await data<T[] | null>('GET', path, opts)) ?? [];
}

async function noContent(method: Method, path: string, opts?: RequestOptions): Promise<void> {
  await request<unknown>(method, path, opts);
}

const id = (s: string) => encodeURIComponent(s);

/** For the feature clients beside this one (registryApi.ts): the same envelope, CSRF and error handling. */
export { data as apiData, list as apiList, request as apiRequest };

// ---- Health ----

export async function healthz(): Promise<boolean> {
  const res = await state.fetch('/healthz');
  return res.ok;
}

// ---- Session and the signed-in user ----

/** signIn opens a session; the CSRF token is kept for later calls. */
export async function signIn(email: string, password: string): Promise<SessionInfo> {
  const s = await data<SessionInfo>('POST', '/session', { body: { email, password }, quiet401: true });
  setCsrfToken(s.csrfToken);
  return s;
}

/** getSession returns the signed-in user, or null if nobody is signed in. */
export async function getSession(): Promise<SessionInfo | null> {
  try {
    const s = await data<SessionInfo>('GET', '/session', { quiet401: true });
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function signOut(): Promise<void> {
  try {
    await noContent('DELETE', '/session', { quiet401: true });
  } finally {
    setCsrfToken('');
  }
}

export const updateMe = (patch: { lang: Lang }) => data<User>('PATCH', '/me', { body: patch });

export const changePassword = (current: string, password: string) =>
  noContent('POST', '/me/password', { body: { current, password } });

// ---- Registry ----

export const listPlatforms = () => list<PlatformRules>('/platforms');
export const listOrgs = () => list<Organisation>('/orgs');
export const getOrg = (orgId: string) => data<Organisation>('GET', `/orgs/${id(orgId)}`);
export const createOrg = (input: OrgInput) => data<Organisation>('POST', '/orgs', { body: input });
export const listOfficers = (orgId: string) => list<Officer>(`/orgs/${id(orgId)}/officers`);
export const listAccounts = (orgId?: string) => list<Account>(`/accounts${query({ orgId })}`);
export const listUsers = () => list<User>('/users');
export const createUser = (input: UserInput) => data<User>('POST', '/users', { body: input });

// ---- Media ----

/** uploadMedia sends one image as multipart/form-data. */
export function uploadMedia(file: File | Blob, orgId?: string, filename?: string): Promise<Media> {
  const form = new FormData();
  if (filename !== undefined) form.append('file', file, filename);
  else form.append('file', file);
  if (orgId) form.append('orgId', orgId);
  return data<Media>('POST', '/media', { form });
}

/** mediaUrl is where a signed-in user's browser fetches an image's bytes. */
export const mediaUrl = (mediaId: string) => `${API_BASE}/media/${id(mediaId)}`;

// ---- Posts ----

export interface PostListFilter {
  status?: readonly PostStatus[];
  orgId?: string;
  kind?: PostKind;
  limit?: number;
  offset?: number;
}

export const listPosts = (f: PostListFilter = {}) =>
  page<Post>(`/posts${query({ status: f.status, orgId: f.orgId, kind: f.kind, limit: f.limit, offset: f.offset })}`);
export const createPost = (input: PostInput) => data<Post>('POST', '/posts', { body: input });
export const getPost = (postId: string, signal?: AbortSignal) => data<PostDetail>('GET', `/posts/${id(postId)}`, { signal });
export const updatePost = (postId: string, revision: number, input: PostInput) =>
  data<Post>('PUT', `/posts/${id(postId)}`, { body: { ...input, revision } });
export const submitPost = (postId: string, revision: number) =>
  data<Post>('POST', `/posts/${id(postId)}/submit`, { body: { revision } });

export type ReviewAction = 'approve' | 'reject' | 'request-changes' | 'cancel';

export const reviewPost = (postId: string, action: ReviewAction, revision: number, comment: string) =>
  data<Post>('POST', `/posts/${id(postId)}/${action}`, { body: { revision, comment } });
export const approvePost = (postId: string, revision: number, comment = '') => reviewPost(postId, 'approve', revision, comment);
export const rejectPost = (postId: string, revision: number, comment: string) => reviewPost(postId, 'reject', revision, comment);
export const requestChanges = (postId: string, revision: number, comment: string) =>
  reviewPost(postId, 'request-changes', revision, comment);
export const cancelPost = (postId: string, revision: number, comment = '') => reviewPost(postId, 'cancel', revision, comment);

export const listRevisions = (postId: string) => list<PostRevision>(`/posts/${id(postId)}/revisions`);

/** postEventsUrl is the post's server-sent event stream (event "deliveries", data PostDetail). */
export const postEventsUrl = (postId: string) => `${API_BASE}/posts/${id(postId)}/events`;

export const measure = async (input: PostInput, signal?: AbortSignal): Promise<TargetMeasure[]> =>
  (await data<TargetMeasure[] | null>('POST', '/measure', { body: input, signal })) ?? [];

export const reviewQueue = (f: { limit?: number; offset?: number } = {}) =>
  page<Post>(`/review-queue${query({ limit: f.limit, offset: f.offset })}`);

// ---- Deliveries ----

export interface DeliveryFilter {
  orgId?: string;
  platform?: Platform | '';
  status?: readonly DeliveryStatus[];
  from?: string; // YYYY-MM-DD, IST
  to?: string; // YYYY-MM-DD, IST, inclusive
  postId?: string;
  limit?: number;
  offset?: number;
}

export const listDeliveries = (f: DeliveryFilter = {}) =>
  page<Delivery>(
    `/deliveries${query({
      orgId: f.orgId,
      platform: f.platform,
      status: f.status,
      from: f.from,
      to: f.to,
      postId: f.postId,
      limit: f.limit,
      offset: f.offset,
    })}`,
  );
/** historyExportUrl is where the browser downloads the publish history of f (every page) as a file. */
export const historyExportUrl = (f: DeliveryFilter, format: 'csv' | 'xlsx') => {
  const q = query({ orgId: f.orgId, platform: f.platform, status: f.status, from: f.from, to: f.to });
  return `${API_BASE}/deliveries/export${q ? `${q}&` : '?'}format=${format}`;
};
export const getDelivery = (deliveryId: string) =>
  data<{ delivery: Delivery; attempts: Attempt[] | null }>('GET', `/deliveries/${id(deliveryId)}`);
export const retryDelivery = (deliveryId: string) => data<Delivery>('POST', `/deliveries/${id(deliveryId)}/retry`, { body: {} });
export const resolveDelivery = (deliveryId: string, url: string) =>
  data<Delivery>('POST', `/deliveries/${id(deliveryId)}/resolve`, { body: { published: true, url } });
/** resolveNotPublished records that an unconfirmed delivery's post is not on the account: it is posted again. */
export const resolveNotPublished = (deliveryId: string) =>
  data<Delivery>('POST', `/deliveries/${id(deliveryId)}/resolve`, { body: { published: false, url: '' } });

// ---- Audit ----

export const listAudit = (f: { orgId?: string; objectId?: string; limit?: number; offset?: number } = {}) =>
  list<AuditEvent>(`/audit${query(f)}`);

// ---- Fake-news cases (the rebuttal desk; docs/api.md "Fake-news cases") ----

export const CASE_STATUSES = ['new', 'not_actionable', 'assigned', 'drafting', 'in_review', 'approved', 'published', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CASE_TYPES = ['misleading_claim', 'forged_letter', 'deepfake', 'impersonation', 'other'] as const;
export type CaseType = (typeof CASE_TYPES)[number];
export const CASE_PLATFORMS = ['facebook', 'x', 'instagram', 'whatsapp', 'youtube', 'telegram', 'threads', 'sharechat', 'koo', 'website', 'tv', 'newspaper', 'other'] as const;
export const CASE_MEDIA = ['digital', 'tv', 'print'] as const;
export type CaseMedia = (typeof CASE_MEDIA)[number];
export const CASE_LANGUAGES = ['hi', 'en', 'bgc', 'pa', 'ur', 'other'] as const;
export const SOURCE_KINDS = ['circular', 'gazette', 'order', 'press_release', 'website', 'other'] as const;
export const CASE_ACTION_KINDS = ['outlet_correction', 'police_referral', 'takedown_request', 'pib_referral', 'platform_report'] as const;
export type CaseActionKind = (typeof CASE_ACTION_KINDS)[number];
export const OFFICER_RANKS = ['secretary', 'additional_secretary', 'joint_secretary', 'director', 'dgp', 'adgp', 'igp', 'dig', 'deputy_secretary', 'under_secretary', 'deputy_director', 'sp', 'other'] as const;
/** TAKEDOWN_RANKS may issue a takedown request (a director only where there is no joint secretary). */
export const TAKEDOWN_RANKS: readonly string[] = ['secretary', 'additional_secretary', 'joint_secretary', 'director', 'dgp', 'adgp', 'igp', 'dig'];

export interface CaseSource {
  kind: string;
  title: string;
  url?: string;
  ref?: string;
}

export interface CaseTriage {
  inScope: boolean;
  actionable: boolean;
  reason?: string;
  byId: string;
  byName?: string;
  at: string;
}

export interface CaseAssignment {
  nodalOfficerId?: string;
  nodalName?: string;
  alternateOfficerId?: string;
  alternateName?: string;
  notified: number;
  at: string;
}

export interface CaseAction {
  id: string;
  kind: CaseActionKind;
  at: string;
  byId: string;
  byName?: string;
  note: string;
  reference?: string;
  officerName?: string;
  officerDesignation?: string;
  officerRank?: string;
  legalBasis?: string;
  reasons?: string;
}

export interface Case {
  id: string;
  ref: string;
  orgId: string;
  status: CaseStatus;
  type: CaseType;
  platform: string;
  media: CaseMedia;
  language: string;
  urls: string[] | null;
  urlKeys: string[] | null;
  screenshotIds?: string[] | null;
  summary: string;
  whereSeen?: string;
  district?: string;
  reportedBy: string;
  reportedByName?: string;
  reportedAt: string;
  deadlineAt: string;
  escalateDmsAt: string;
  duplicateOf?: string;
  linkedReports?: number;
  triage?: CaseTriage;
  assignment?: CaseAssignment;
  facts?: string;
  sources?: CaseSource[] | null;
  clarificationPostId?: string;
  extraPostIds?: string[] | null;
  pastPostIds?: string[] | null;
  actions?: CaseAction[] | null;
  assignedAt?: string;
  submittedAt?: string;
  approvedAt?: string;
  publishedAt?: string;
  closedAt?: string;
  closingNote?: string;
  escalatedHodAt?: string;
  escalatedDmsAt?: string;
  events: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface CaseEvent {
  id: string;
  caseId: string;
  seq: number;
  at: string;
  actorId?: string;
  actorName?: string;
  actorRole?: Role;
  kind: string;
  from?: CaseStatus;
  to?: CaseStatus;
  note?: string;
  details?: Record<string, string> | null;
  hash: string;
}

export interface CaseClock {
  at: string;
  applies: boolean;
  running: boolean;
  dueAt: string;
  leftSeconds: number;
  overdue: boolean;
  met?: boolean;
  ageSeconds: number;
  bucket: string;
  escalationLevel: number;
  timeToAssign?: number;
  timeToDraft?: number;
  timeToPublish?: number;
  responseTime?: number;
}

export interface CaseMatch {
  url: string;
  key: string;
  caseId?: string;
  ref: string;
  status: CaseStatus;
  visible: boolean;
}

export interface CaseView {
  case: Case;
  events: CaseEvent[] | null;
  posts: Post[] | null;
  clock: CaseClock;
  related: CaseMatch[] | null;
  actions: string[] | null;
  trailOk: boolean;
  heads: { name: string; designation?: string }[] | null;
}

export interface CaseAge {
  case: Case;
  clock: CaseClock;
}

export interface CaseInput {
  orgId: string;
  type: string;
  platform: string;
  media: string;
  language: string;
  urls: string[];
  screenshotIds: string[];
  summary: string;
  whereSeen: string;
  district: string;
  duplicateOf?: string;
}

export interface TriageInput {
  inScope: boolean;
  actionable: boolean;
  reason: string;
  orgId?: string;
}

export interface CaseActionInput {
  kind: string;
  note: string;
  reference: string;
  officerName?: string;
  officerDesignation?: string;
  officerRank?: string;
  noJointSecretary?: boolean;
  legalBasis?: string;
  reasons?: string;
}

export interface DurationStats {
  count: number;
  medianMinutes: number;
  p90Minutes: number;
}

export interface DeadlineStats {
  applies: number;
  met: number;
  missed: number;
  pending: number;
  escalatedHod: number;
  escalatedDms: number;
}

export interface OrgCaseRow {
  orgId: string;
  code: string;
  nameEn: string;
  nameHi: string;
  cases: number;
  open: number;
  published: number;
  deadlines: DeadlineStats;
  response: DurationStats;
}

export interface CaseReport {
  orgId?: string;
  from: string;
  to: string;
  generatedAt: string;
  total: number;
  open: number;
  actionable: number;
  notActionable: number;
  untriaged: number;
  published: number;
  linkedReports: number;
  byStatus: Record<string, number> | null;
  byType: Record<string, number> | null;
  byPlatform: Record<string, number> | null;
  byDistrict: Record<string, number> | null;
  byMedia: Record<string, number> | null;
  actions: Record<string, number> | null;
  timeToAssign: DurationStats;
  timeToDraft: DurationStats;
  timeToPublish: DurationStats;
  response: DurationStats;
  deadlines: DeadlineStats;
  byOrg?: OrgCaseRow[] | null;
}

export interface WeeklyCaseReport {
  weekStart: string;
  weekEnd: string;
  report: CaseReport;
  previous: CaseReport;
  cases: CaseAge[] | null;
}

export interface CaseListFilter {
  status?: readonly string[];
  orgId?: string;
  type?: string;
  platform?: string;
  district?: string;
  from?: string; // YYYY-MM-DD, IST
  to?: string; // YYYY-MM-DD, IST, inclusive
  limit?: number;
  offset?: number;
}

const caseQuery = (f: CaseListFilter) =>
  query({ status: f.status, orgId: f.orgId, type: f.type, platform: f.platform, district: f.district, from: f.from, to: f.to, limit: f.limit, offset: f.offset });

export const listCases = (f: CaseListFilter = {}) => page<Case>(`/cases${caseQuery(f)}`);
export const createCase = (input: CaseInput) => data<{ case: Case; linked: boolean }>('POST', '/cases', { body: input });
export function checkCaseURLs(urls: string[], signal?: AbortSignal): Promise<CaseMatch[]> {
  const q = new URLSearchParams();
  for (const u of urls) q.append('url', u);
  return list<CaseMatch>(`/cases/check-urls?${q.toString()}`, { signal });
}
export const caseAgeing = (orgId?: string) => list<CaseAge>(`/cases/ageing${query({ orgId })}`);
export const getCase = (caseId: string) => data<CaseView>('GET', `/cases/${id(caseId)}`);
export const triageCase = (caseId: string, input: TriageInput) => data<Case>('POST', `/cases/${id(caseId)}/triage`, { body: input });
export const reassignCase = (caseId: string) => data<Case>('POST', `/cases/${id(caseId)}/reassign`, { body: {} });
export const setCaseFacts = (caseId: string, facts: string, sources: CaseSource[]) =>
  data<Case>('PUT', `/cases/${id(caseId)}/facts`, { body: { facts, sources } });
export const draftClarification = (caseId: string, post: PostInput, forPr = false) =>
  data<{ case: Case; post: Post }>('POST', `/cases/${id(caseId)}/clarification`, { body: { post, forPr } });
export const addCaseAction = (caseId: string, input: CaseActionInput) => data<Case>('POST', `/cases/${id(caseId)}/actions`, { body: input });
export const closeCase = (caseId: string, note: string) => data<Case>('POST', `/cases/${id(caseId)}/close`, { body: { note } });
export const caseReport = (f: { orgId?: string; from?: string; to?: string } = {}) => data<CaseReport>('GET', `/cases/report${query(f)}`);
export const weeklyCaseReport = (f: { week?: string; orgId?: string } = {}) => data<WeeklyCaseReport>('GET', `/cases/report/weekly${query(f)}`);
/** caseExportUrl is where the browser downloads one case's export (CSV or JSON). */
export const caseExportUrl = (caseId: string, format: 'csv' | 'json') => `${API_BASE}/cases/${id(caseId)}/export?format=${format}`;
/** casesExportUrl is where the browser downloads a list export. */
export const casesExportUrl = (f: CaseListFilter, format: 'csv' | 'json') => {
  const q = caseQuery({ ...f, limit: undefined, offset: undefined });
  return `${API_BASE}/cases/export${q ? `${q}&` : '?'}format=${format}`;
};

// ---- Reach (metrics, dashboards, digest; docs/api.md "Reach") ----

export const REACH_FIGURES = ['reach', 'views', 'engagements'] as const;
export type ReachFigure = (typeof REACH_FIGURES)[number];

/** ReachTotals sum posts; each figure says how many posts it covers (0: not available). */
export interface ReachTotals {
  posts: number;
  reach: number;
  reachPosts: number;
  views: number;
  viewsPosts: number;
  engagements: number;
  engagementPosts: number;
}

/** PostFigures of one delivery: null is "not available", never zero. */
export interface PostFigures {
  reach: number | null;
  views: number | null;
  engagements: number | null;
}

export interface FigureRule {
  metrics?: string[] | null;
  text: string;
  textHi?: string;
}

export interface MetricDefinition {
  id: string;
  platform: Platform;
  versions: string;
  versionsHi?: string;
  reach: FigureRule;
  views: FigureRule;
  engagements: FigureRule;
  notes?: string;
  notesHi?: string;
}

export interface ReachFilter {
  orgId?: string;
  platform?: Platform | '';
  from?: string;
  to?: string;
  by?: ReachFigure;
  limit?: number;
}

export interface ReachPoint extends ReachTotals {
  start: string;
}

export interface OrgReach extends ReachTotals {
  orgId: string;
  code: string;
  nameEn: string;
  nameHi: string;
}

export interface TopPost {
  deliveryId: string;
  postId: string;
  title: string;
  orgId: string;
  platform: Platform;
  day: string;
  figures: PostFigures;
  externalUrl?: string;
  definitionId: string;
}

export interface ReachDashboard {
  filter: { orgId?: string; platform?: Platform; from: string; to: string; by: ReachFigure; limit: number };
  granularity: 'day' | 'month';
  totals: ReachTotals;
  series: ReachPoint[] | null;
  orgs: OrgReach[] | null;
  topPosts: TopPost[] | null;
  definitions: MetricDefinition[] | null;
}

export interface DeliveryReach {
  deliveryId: string;
  accountId: string;
  handle: string;
  platform: Platform;
  status: DeliveryStatus;
  externalUrl?: string;
  publishedAt?: string;
  figures: PostFigures;
  definitionId: string;
  asOf?: string;
  apiVersion?: string;
  raw?: Record<string, number> | null;
  unavailable?: Record<string, string> | null;
  history: { fetchedAt: string; figures: PostFigures }[] | null;
  nextAt?: string;
  fetches: number;
  lastError?: string;
}

export interface PostReach {
  postId: string;
  totals: ReachTotals;
  deliveries: DeliveryReach[] | null;
  definitions: MetricDefinition[] | null;
}

export interface Digest {
  week: string;
  from: string;
  to: string;
  totals: ReachTotals;
  previous: ReachTotals;
  platforms: Platform[] | null;
  byPlatform: (ReachTotals & { platform: Platform })[] | null;
  topOrgs: OrgReach[] | null;
  topPosts: TopPost[] | null;
  silent: OrgReach[] | null;
  definitions: MetricDefinition[] | null;
}

const reachQuery = (f: ReachFilter) => query({ orgId: f.orgId, platform: f.platform, from: f.from, to: f.to, by: f.by, limit: f.limit });

export const reachDashboard = (f: ReachFilter = {}, signal?: AbortSignal) => data<ReachDashboard>('GET', `/reach/dashboard${reachQuery(f)}`, { signal });
export const reachDefinitions = () => list<MetricDefinition>('/reach/definitions');
export const postReach = (postId: string) => data<PostReach>('GET', `/reach/posts/${id(postId)}`);
export const reachDigest = (week?: string) => data<Digest>('GET', `/reach/digest${query({ week })}`);
export const sendReachDigest = (week: string) => data<{ notified: number }>('POST', '/reach/digest/send', { body: { week } });
export const collectMetricsNow = (orgId?: string) => data<{ queued: number }>('POST', '/reach/collect', { body: { orgId: orgId ?? '' } });
/** reachExportUrl is where the browser downloads the dashboard (Excel: every table; CSV: one). */
export const reachExportUrl = (f: ReachFilter, format: 'csv' | 'xlsx', table = 'series') => {
  const q = reachQuery(f);
  return `${API_BASE}/reach/export${q ? `${q}&` : '?'}format=${format}${format === 'csv' ? `&table=${encodeURIComponent(table)}` : ''}`;
};

// ---- Connecting accounts and their tokens; notifications (docs/api.md "Connecting accounts", "Notifications") ----

export interface CredentialField {
  name: string;
  /** English; the UI translates by name */
  label: string;
  help: string;
  secret: boolean;
  required: boolean;
}

export interface ConnectMethod {
  platform: Platform;
  /** 'oauth' (sign in on the platform), 'form' (a credential form), '' (cannot be connected here: see reason) */
  method: 'oauth' | 'form' | '';
  fields?: CredentialField[] | null;
  sandbox: boolean;
  /** the callback to register with the platform's app (admins only) */
  redirectUrl?: string;
  reason?: string;
  /** a connected account's token can be renewed now, without reconnecting */
  renewable?: boolean;
}

export interface SelectableAccount {
  externalId: string;
  handle: string;
  displayName: string;
  profileUrl?: string;
  scopes?: string[] | null;
  /** why it cannot be chosen; absent when it can */
  problem?: string;
  /** the organisation has it already: choosing it reconnects it */
  registered: boolean;
}

export interface Selection {
  id: string;
  platform: Platform;
  orgId: string;
  accounts: SelectableAccount[];
  expiresAt: string;
}

export interface ConnectResult {
  platform: Platform;
  orgId: string;
  accounts: Account[] | null;
}

export interface DisconnectResult {
  account: Account;
  revoked: boolean;
  revokeError?: string;
}

export interface ConnectTarget {
  orgId?: string;
  /** reconnect this account */
  accountId?: string;
}

export interface AppNotification {
  id: string;
  userId: string;
  orgId?: string;
  kind: string;
  subject: string;
  body: string;
  link?: string;
  createdAt: string;
  readAt?: string;
}

export const listConnectMethods = () => list<ConnectMethod>('/connect');
export const startOAuth = (platform: Platform, target: ConnectTarget = {}) =>
  data<{ authUrl: string }>('POST', `/oauth/${id(platform)}/start`, { body: { orgId: target.orgId ?? '', accountId: target.accountId ?? '' } });
export const getSelection = (selectionId: string) => data<Selection>('GET', `/oauth/selections/${id(selectionId)}`);
export const completeSelection = (selectionId: string, externalIds: string[]) =>
  data<ConnectResult>('POST', `/oauth/selections/${id(selectionId)}`, { body: { externalIds } });
export const connectWithCredentials = (platform: Platform, target: ConnectTarget, values: Record<string, string>) =>
  data<Account>('POST', `/connect/${id(platform)}`, { body: { orgId: target.orgId ?? '', accountId: target.accountId ?? '', values } });
export const disconnectAccount = (accountId: string) => data<DisconnectResult>('POST', `/accounts/${id(accountId)}/disconnect`);
export const renewAccount = (accountId: string) => data<Account>('POST', `/accounts/${id(accountId)}/refresh`);
export const listNotifications = (f: { unread?: boolean; limit?: number; offset?: number } = {}) =>
  page<AppNotification>(`/notifications${query({ unread: f.unread ? 'true' : undefined, limit: f.limit, offset: f.offset })}`);
export const markNotificationsRead = (ids: string[] = []) => data<{ marked: number }>('POST', '/notifications/read', { body: { ids } });

// ---- Publishing control (docs/api.md, "Publishing control") ----

export interface Pause {
  by: string;
  byName?: string;
  at: string;
  reason?: string;
}

export interface PublishingSettings {
  paused?: Pause;
  pausedOrgs?: Record<string, Pause>;
  updatedAt: string;
  version: number;
}

export interface QueueDepth {
  queue: string;
  platform?: Platform;
  pending: number;
  active: number;
  scheduled: number;
  retry: number;
  archived: number;
  latencyMs: number;
}

export interface Operations {
  at: string;
  since: string;
  counts: DeliveryCounts;
  held: number;
  settings: PublishingSettings;
  attention: Delivery[] | null;
  retracting: number;
  queues: QueueDepth[] | null;
  queueError?: string;
}

export type RetractOutcome = 'pending' | 'deleted' | 'cancelled' | 'not_supported' | 'failed' | 'check_by_hand';

export interface RetractionItem {
  deliveryId: string;
  accountId: string;
  platform: Platform;
  outcome: RetractOutcome;
  message?: string;
  url?: string;
  tries?: number;
  at: string;
}

export interface Retraction {
  postId: string;
  orgId: string;
  reason: string;
  requestedBy: string;
  requestedByName?: string;
  requestedAt: string;
  done: boolean;
  completedAt?: string;
  items: RetractionItem[] | null;
  updatedAt: string;
  version: number;
}

export const getOperations = () => data<Operations>('GET', '/operations');
/** operationsEventsUrl is the operations page's server-sent event stream (event "operations", data Operations). */
export const operationsEventsUrl = () => `${API_BASE}/operations/events`;
export const getPublishing = () => data<PublishingSettings>('GET', '/publishing');
export const setPausedAll = (paused: boolean, reason = '') =>
  data<{ settings: PublishingSettings; requeued: number }>('PUT', '/publishing/pause', { body: { paused, reason } });
export const setPausedOrg = (orgId: string, paused: boolean, reason = '') =>
  data<{ settings: PublishingSettings; requeued: number }>('PUT', `/orgs/${id(orgId)}/pause`, { body: { paused, reason } });
export const retractPost = (postId: string, revision: number, reason: string) =>
  data<Post>('POST', `/posts/${id(postId)}/retract`, { body: { revision, comment: reason } });
export const getRetraction = (postId: string) => data<Retraction>('GET', `/posts/${id(postId)}/retraction`);
