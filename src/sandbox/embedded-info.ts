// What a `sandbox` profile stores. Kept apart from the emulator so that login and settings can name
// the sandbox without loading it. `.invalid` is reserved (RFC 2606): this URL can never reach a network.
export const SANDBOX_PROFILE = 'sandbox';
export const SANDBOX_USER = 'demo';
export const SANDBOX_BASE_URL = 'http://sandbox.invalid/user/demo';
export const SANDBOX_STATE_FILE = 'sandbox.json';
