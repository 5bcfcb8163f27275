"""Identity providers readers sign in with: OpenID Connect providers (discovery, keys, the code
exchange, the ID token's checks) and GitHub's OAuth 2.0 preset. Outbound I/O only; what a sign-in
does with the identity is domain/identities.py's."""
