"""The sign-in page the authorization endpoint shows: a plain HTML form (no script), every
value escaped, framing refused, the form posting only to the gateway."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode, urlsplit

from fastapi.responses import HTMLResponse

from services.gateway.config import GatewaySettings
from services.gateway.signin.service import AuthRequest

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem}"
    "button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}"
)


def _csp(request: AuthRequest) -> str:
    target = urlsplit(request.redirect_uri)
    # form-action covers the redirect that follows the post (the client's origin)
    return (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        f"form-action 'self' {target.scheme}://{target.netloc}; base-uri 'none'"
    )


def sign_in_page(
    settings: GatewaySettings, request: AuthRequest, error: str | None = None, status: int = 200
) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in request.fields().items()
    )
    providers = "".join(
        f'<li><a href="/oauth/authorize?{escape(urlencode(request.fields() | {"idp": p.name}))}">'
        f"Sign in with {escape(p.title or p.name)}</a></li>"
        for p in settings.federated_providers
    )
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Sign in</title><style>{STYLE}</style></head><body>"
        "<h1>Sign in to the improvement platform</h1>"
        f"{message}"
        '<form method="post" action="/oauth/authorize">'
        f"{hidden}"
        '<label for="username">Username</label>'
        '<input id="username" name="username" autocomplete="username" required maxlength="80">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password"'
        ' required maxlength="128">'
        '<label for="totp">Code from your authenticator app (if you have one)</label>'
        '<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code"'
        ' maxlength="8">'
        '<button type="submit">Sign in</button></form>'
        + (f"<h2>Or with your agency's account</h2><ul>{providers}</ul>" if providers else "")
        + "</body></html>"
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": _csp(request),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        },
    )
