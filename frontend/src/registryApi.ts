// The typed client of the registry and compliance review routes
// (docs/api.md, "Registry and compliance review"). It goes through the
// same request helper as api.ts: envelopes, CSRF, errors.

import { apiData, apiList, apiRequest, query, API_BASE } from './api';
import type { Account, Delivery, Officer, Organisation, OrgType, Platform } from './api';

export type OfficerKind = 'nodal' | 'alternate' | 'head';
/** OFFICER_KINDS are the registry's officer kinds, in the order the organisation page shows them. */
export const OFFICER_KINDS: readonly OfficerKind[] = ['nodal', 'alternate', 'head'];
export type Verification = 'unknown' | 'unverified' | 'requested' | 'verified';
export type TwoFactor = 'unknown' | 'enabled' | 'disabled';
export type HandoverStatus = 'running' | 'rotation_pending' | 'complete';
export type ChangeStatus = 'pending' | 'approved' | 'rejected';
export type ImportKind = 'organisations' | 'officers' | 'accounts';
export const IMPORT_KINDS: readonly ImportKind[] = ['organisations', 'officers', 'accounts'];
export const VERIFICATIONS: readonly Verification[] = ['unknown', 'unverified', 'requested', 'verified'];
export const TWO_FACTORS: readonly TwoFactor[] = ['unknown', 'enabled', 'disabled'];

export interface OrgSnapshot {
  code: string;
  type: OrgType;
  parentId?: string;
  nameEn: string;
  nameHi: string;
  district?: string;
  activeFrom?: string;
  activeTo?: string;
}

export interface MovedObject {
  id: string;
  fromOrgId: string;
  label?: string;
}

export interface OrgEvent {
  id: string;
  kind: 'rename' | 'update' | 'merge';
  orgId: string;
  fromOrgIds?: string[];
  effectiveAt: string;
  orderRef?: string;
  note?: string;
  before?: OrgSnapshot;
  after?: OrgSnapshot;
  moved?: { accounts?: MovedObject[]; users?: MovedObject[]; children?: MovedObject[]; officersEnded?: MovedObject[]; posts?: MovedObject[] };
  status: 'running' | 'done';
  createdAt: string;
}

export interface Lineage {
  orgId: string;
  predecessors: Organisation[] | null;
  successor?: Organisation;
  events: OrgEvent[] | null;
}

export interface AccountProfile {
  accountId: string;
  verification: Verification;
  badge?: string;
  twoFactor: TwoFactor;
  recoveryEmail?: string;
  notes?: string;
  updatedAt: string;
}

export interface RegistryAccount extends Account {
  profile: AccountProfile;
  defunct?: string;
  required: boolean;
  working: boolean;
}

export interface RotationItem {
  accountId: string;
  platform: Platform;
  handle: string;
  rotatedAt?: string;
}

export interface Handover {
  id: string;
  orgId: string;
  kind: OfficerKind;
  fromOfficerId?: string;
  toOfficerId: string;
  appointed?: Officer;
  fromUserId?: string;
  accessRevoked: boolean;
  accessNote?: string;
  effectiveAt: string;
  note?: string;
  accounts?: RotationItem[] | null;
  status: HandoverStatus;
  createdAt: string;
  completedAt?: string;
}

export interface OfficerEdit {
  name: string;
  designation: string;
  posting: string;
  rank: string;
  email: string;
  phone: string;
  accountDetails: string;
  orderRef: string;
}

export interface OfficerChange {
  id: string;
  officerId: string;
  orgId: string;
  before: Officer;
  proposed: OfficerEdit;
  comment?: string;
  status: ChangeStatus;
  requestedBy: string;
  requestedAt: string;
  decidedAt?: string;
  decision?: string;
}

export interface OfficerRevision {
  id: string;
  officerId: string;
  orgId: string;
  officer: Officer;
  reason: string;
  at: string;
}

export interface RegistryOrg {
  org: Organisation;
  parent?: Organisation;
  children: Organisation[];
  officers: Officer[];
  accounts: RegistryAccount[];
  openHandovers: Handover[];
  pendingChanges: number;
  lineage: Lineage;
  canAdmin: boolean;
  canEditAccounts: boolean;
  canEditOfficers: boolean;
  editsDirect: boolean;
  seesContacts: boolean;
}

export interface OrgHistory {
  lineage: Lineage;
  officers: Officer[];
  revisions: OfficerRevision[];
  handovers: Handover[];
  changes: OfficerChange[];
  deliveries: Delivery[];
  deliveriesByOrg: Record<string, number>;
}

export interface OrgUpdate {
  code: string;
  type: OrgType;
  parentId: string;
  nameEn: string;
  nameHi: string;
  district: string;
  activeFrom?: string | null;
  activeTo?: string | null;
  effectiveAt?: string | null;
  orderRef: string;
  note: string;
}

export interface AppointInput extends OfficerEdit {
  kind: OfficerKind;
  userId?: string;
  startDate?: string | null;
  note?: string;
}

export interface ImportError {
  table: string;
  line: number;
  column?: string;
  cell?: string;
  code: string;
  message: string;
  value?: string;
}

export interface ImportCounts {
  create: number;
  update: number;
  unchanged: number;
}

export interface ImportSummary {
  rows: number;
  organisations: ImportCounts;
  officers: ImportCounts;
  accounts: ImportCounts;
}

export interface ImportBatch {
  id: string;
  filename: string;
  format: string;
  status: 'writing' | 'done' | 'failed';
  summary: ImportSummary;
  written: number;
  error?: string;
  createdAt: string;
}

export interface ImportResult {
  dryRun: boolean;
  valid: boolean;
  errors: ImportError[];
  summary: ImportSummary;
  batch?: ImportBatch;
}

export type GapCode = 'no_nodal_officer' | 'no_account' | 'not_connected' | 'no_recent_posts' | 'rotation_pending';

export interface Gap {
  code: GapCode;
  platform?: Platform;
  message: string;
}

export interface PlatformCheck {
  platform: Platform;
  hasAccount: boolean;
  working: boolean;
  handles?: string[];
  status?: string;
}

export interface OrgCompliance {
  orgId: string;
  code: string;
  type: OrgType;
  nameEn: string;
  nameHi: string;
  district?: string;
  nodalOfficer: boolean;
  nodalOfficerName?: string;
  designation?: string;
  alternateOfficer: boolean;
  platforms: PlatformCheck[] | null;
  accountsOk: boolean;
  workingOk: boolean;
  recentPosts: number;
  lastPublishedAt?: string;
  active: boolean;
  score: number;
  rank: number;
  gaps: Gap[] | null;
}

export interface ComplianceSummary {
  organisations: number;
  withNodal: number;
  withAccounts: number;
  allWorking: number;
  active: number;
  fullyCompliant: number;
  averageScore: number;
  gaps: number;
  platforms: { platform: Platform; withAccount: number; working: number }[];
}

export interface ComplianceReview {
  generatedAt: string;
  windowDays: number;
  since: string;
  requiredPlatforms: Platform[];
  filter: { type?: OrgType; district?: string };
  summary: ComplianceSummary;
  orgs: OrgCompliance[];
  districts: string[];
}

export interface OrgComplianceDetail extends OrgCompliance {
  accounts: RegistryAccount[];
}

const id = (s: string) => encodeURIComponent(s);

export const getRegistryOrg = (orgId: string) => apiData<RegistryOrg>('GET', `/registry/orgs/${id(orgId)}`);
export const getOrgHistory = (orgId: string) => apiData<OrgHistory>('GET', `/registry/orgs/${id(orgId)}/history`);
export const updateOrg = (orgId: string, u: OrgUpdate) => apiData<Organisation>('PUT', `/registry/orgs/${id(orgId)}`, { body: u });
export const mergeOrgs = (targetId: string, body: { sourceIds: string[]; orderRef: string; note: string; effectiveAt?: string | null }) =>
  apiData<OrgEvent>('POST', `/registry/orgs/${id(targetId)}/merge`, { body });
export const appointOfficer = (orgId: string, in_: AppointInput) => apiData<Handover>('POST', `/registry/orgs/${id(orgId)}/officers`, { body: in_ });

/** editOfficer answers the result and whether it waits for an administrator's confirmation (202). */
export async function editOfficer(officerId: string, edit: OfficerEdit, comment: string): Promise<{ officer: Officer; change?: OfficerChange; pending: boolean }> {
  const { body, status } = await apiRequest<{ data: { officer: Officer; change?: OfficerChange } }>('PUT', `/registry/officers/${id(officerId)}`, {
    body: { ...edit, comment },
  });
  return { ...body.data, pending: status === 202 };
}

export const listOfficerChanges = (status: ChangeStatus | '' = 'pending', orgId = '') =>
  apiList<OfficerChange>(`/registry/officer-changes${query({ status, orgId })}`);
export const decideOfficerChange = (changeId: string, approve: boolean, comment: string) =>
  apiData<OfficerChange>('POST', `/registry/officer-changes/${id(changeId)}/decide`, { body: { approve, comment } });
/** VacateInput ends an officer's term with nobody appointed yet. */
export interface VacateInput {
  /** when the officer left (default now), e.g. 2026-11-26T00:00:00+05:30 */
  endDate?: string | null;
  note?: string;
  /** disable the officer's user (an editor of the organisation); default true */
  revokeAccess?: boolean;
}

/** endOfficerTerm records that an officer has left and the post is vacant. */
export const endOfficerTerm = (officerId: string, in_: VacateInput) => apiData<Handover>('POST', `/registry/officers/${id(officerId)}/end`, { body: in_ });

export const confirmRotation = (handoverId: string, accountId: string) =>
  apiData<Handover>('POST', `/registry/handovers/${id(handoverId)}/rotated`, { body: { accountId } });
export const saveAccountProfile = (accountId: string, p: { verification: Verification; badge: string; twoFactor: TwoFactor; recoveryEmail: string; notes: string }) =>
  apiData<RegistryAccount>('PUT', `/registry/accounts/${id(accountId)}/profile`, { body: p });
export const registerAccount = (body: { orgId: string; platform: Platform; handle: string; profileUrl: string; verification: Verification; twoFactor: TwoFactor; recoveryEmail: string }) =>
  apiData<RegistryAccount>('POST', '/registry/accounts', { body });

/** base64 encodes file bytes for the import's JSON body. */
export function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export const importRegistry = (body: { filename: string; kind: ImportKind | ''; data: string; dryRun: boolean }) =>
  apiData<ImportResult>('POST', '/registry/import', { body });
export const listImports = () => apiList<ImportBatch>('/registry/imports');
export const resumeImport = (batchId: string) => apiData<ImportBatch>('POST', `/registry/imports/${id(batchId)}/resume`);

export const getCompliance = (f: { type?: string; district?: string }) => apiData<ComplianceReview>('GET', `/compliance${query(f)}`);
export const getOrgCompliance = (orgId: string) => apiData<OrgComplianceDetail>('GET', `/compliance/orgs/${id(orgId)}`);

/** Download addresses (plain links: the session cookie goes with them). */
export const reportURL = (format: 'pdf' | 'xlsx', f: { type?: string; district?: string }) => `${API_BASE}/compliance/report${query({ format, ...f })}`;
export const exportURL = (format: 'xlsx' | 'zip') => `${API_BASE}/registry/export${query({ format })}`;
