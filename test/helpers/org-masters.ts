// The Master keys the tests give the sandbox organization "acme" (createOrgSandboxState's masterKeys):
// fixed, so a test can sign in as any of its users, and recognisable in a leak search.
export const ORG_MASTERS: Readonly<Record<string, string>> = {
  olivia: '0101010101010101010101010101010101010101',
  alice: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
  bob: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0',
  dave: 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0',
  carol: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0',
};
