// Wire types exactly as CARTO's Auth API sends and accepts them (docs/auth-api.md §3–§5).
// snake_case and the server's timestamp format stay here; the rest of the CLI converts at the edge.

export const KEY_TYPES = ['master', 'default', 'regular'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface WireTable {
  schema: string;
  name: string;
  /** Rendered only; tolerated and ignored on create. */
  owner?: boolean;
  permissions: string[];
}

export interface WireSchema {
  name: string;
  permissions: string[];
}

export interface WireApisGrant {
  type: 'apis';
  apis: string[];
}

export interface WireDatabaseGrant {
  type: 'database';
  tables?: WireTable[];
  schemas?: WireSchema[];
  /** Present (always `[]`) only when the key may list table metadata. */
  table_metadata?: unknown[];
}

export interface WireDataservicesGrant {
  type: 'dataservices';
  services: string[];
}

export interface WireDataObservatoryGrant {
  type: 'data-observatory';
  datasets: string[];
}

export interface WireUserGrant {
  type: 'user';
  data: string[];
}

export type WireGrant =
  | WireApisGrant
  | WireDatabaseGrant
  | WireDataservicesGrant
  | WireDataObservatoryGrant
  | WireUserGrant;

export interface WireApiKey {
  name: string;
  user: { username: string };
  type: KeyType;
  token: string;
  grants: WireGrant[];
  /** `YYYY-MM-DD HH:MM:SS +0000` (not ISO-8601). */
  created_at: string;
  updated_at: string;
  _links?: { self: string };
}

export interface WireListPage {
  total: number;
  count: number;
  result: WireApiKey[];
  _links?: Record<string, { href: string }>;
}

export interface CreateKeyRequest {
  name: string;
  grants: WireGrant[];
}

export type ListOrder = 'name' | 'type' | 'updated_at';

export const MASTER_KEY_NAME = 'Master';
export const DEFAULT_PUBLIC_KEY_NAME = 'Default public';
export const RESERVED_KEY_NAMES: readonly string[] = [MASTER_KEY_NAME, DEFAULT_PUBLIC_KEY_NAME];

/** Master and Default public: they exist in every account and cannot be revoked. */
export function isBuiltIn(name: string): boolean {
  return name === MASTER_KEY_NAME || name === DEFAULT_PUBLIC_KEY_NAME;
}
