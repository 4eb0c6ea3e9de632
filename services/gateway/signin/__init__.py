"""Browser sign-in at the gateway: OAuth 2.1 authorization code with PKCE (S256) for the
front ends registered in ``GATEWAY_BROWSER_CLIENTS``, with local accounts (password and
TOTP, as ``/v1/auth/login``) or an agency's own OpenID Connect provider
(``GATEWAY_FEDERATED_PROVIDERS``); the refresh token lives in an ``HttpOnly; Secure;
SameSite=Strict`` cookie scoped to ``/oauth/token`` and rotates on every use.
"""
