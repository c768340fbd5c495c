package publisher

import (
	"context"
	"strings"
)

// Connecting an account the registry already has. Administrators and
// editors register an organisation's accounts before anyone connects them
// (RegisterAccount, the registry import): such an account's external id is
// a placeholder (RegistryExternalID) until the platform's real id is learnt.
// When a connection grants an account whose handle matches a registered,
// unconnected account of the same platform, the connection adopts it: the
// registered account gets the real external id and the credentials, and
// keeps its id, its registry details (verification, two-factor, recovery
// e-mail: the AccountProfile) and everything that refers to it. A handle
// registered to another organisation cannot be connected here.

// registryPlaceholderPrefix starts the external id of an account that was
// registered but never connected.
const registryPlaceholderPrefix = "handle:"

// isRegisteredPlaceholder reports whether a is a registered account that
// was never connected: its external id is still the registry's placeholder.
func isRegisteredPlaceholder(a *Account) bool {
	return strings.HasPrefix(a.ExternalID, registryPlaceholderPrefix) && a.Status != AccountConnected
}

// sameHandle reports whether two handles name the same account: compared
// without case, surrounding spaces and a leading "@".
func sameHandle(a, b string) bool {
	k := handleKey(a)
	return k != "" && k == handleKey(b)
}

// grantHandle is the handle a granted account is registered under (as
// connectGranted names it).
func grantHandle(g GrantedAccount) string {
	return firstNonEmpty(strings.TrimSpace(g.Handle), strings.TrimSpace(g.DisplayName), g.ExternalID)
}

// registeredAccount returns the registered, unconnected account on p whose
// handle is handle (of any organisation: the caller checks), or nil. The
// placeholder external id is made from the handle (RegistryExternalID), so
// this is an indexed look-up of the two spellings, with and without "@".
func (s *Service) registeredAccount(ctx context.Context, p Platform, handle string) (*Account, error) {
	key := handleKey(handle)
	if key == "" {
		return nil, nil
	}
	for _, ext := range []string{RegistryExternalID(key), RegistryExternalID("@" + key)} {
		as, err := s.store.ListAccounts(ctx, AccountFilter{Platform: p, ExternalID: ext})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if isRegisteredPlaceholder(a) && sameHandle(a.Handle, handle) {
				return a, nil
			}
		}
	}
	return nil, nil
}

// grantMatches reports whether granted account g is acct: the same
// external id, or, for a registered account never connected, the same
// handle.
func grantMatches(acct *Account, g GrantedAccount) bool {
	if g.ExternalID != "" && g.ExternalID == acct.ExternalID {
		return true
	}
	return isRegisteredPlaceholder(acct) && sameHandle(acct.Handle, grantHandle(g))
}
