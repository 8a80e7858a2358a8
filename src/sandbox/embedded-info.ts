// What a `sandbox` profile stores. Kept apart from the emulator so that login and settings can name
// the sandbox without loading it. `.invalid` is reserved (RFC 2606): this URL can never reach a network.
export const SANDBOX_PROFILE = 'sandbox';
export const SANDBOX_USER = 'demo';
export const SANDBOX_BASE_URL = 'http://sandbox.invalid/user/demo';
export const SANDBOX_STATE_FILE = 'sandbox.json';

// The organization sandbox (`login --sandbox --org`): its own state file, so the single-user sandbox
// above stays as it is. The organization is the host's first label, as in https://{org}.carto.com/u/{user}.
export const SANDBOX_ORG_PROFILE = 'sandbox-org';
export const SANDBOX_ORG_ADMIN = 'alice';
/** Who can log in to it (src/sandbox/org.ts seeds them; a test checks the two agree). */
export const SANDBOX_ORG_USERS: readonly string[] = ['olivia (owner)', 'alice (admin)', 'bob (member)', 'dave (member)', 'carol (outside)'];
export const SANDBOX_ORG_STATE_FILE = 'sandbox-org.json';
const SANDBOX_ORG_HOST = 'acme.sandbox.invalid';
export const sandboxOrgBaseUrl = (username: string): string => `http://${SANDBOX_ORG_HOST}/u/${username}`;
export const isSandboxOrgUrl = (baseUrl: string): boolean => new URL(baseUrl).host === SANDBOX_ORG_HOST;
