"""Shops: a merchant's stores on a platform, bound through OAuth, with their tokens.

- `binding`: start and complete an authorisation, list shops, change a shop's sync
  settings, unbind (permission and org checked here);
- `oauth_state`: the `state` of one authorisation: issued once, valid 10 minutes, used once;
- `tokens`: platform plugin instances and a shop's access token, refreshed before it
  expires (what the sync engine and the carriers call).

Tokens live only in `Shop.credentials`, encrypted at rest; nothing here hands them to a
front end.
"""
