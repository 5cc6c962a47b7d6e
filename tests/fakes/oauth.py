"""A reusable OAuth 2.0 authorization server that each vendor fake configures.

It speaks the authorization-code flow a browser drives (an HTML consent page with Allow and
Deny), the token endpoint (authorization_code, refresh_token and, where a vendor has it,
client_credentials), PKCE S256 and RFC 7009 revocation. Vendors differ in the details, so
those are knobs (body encoding, client authentication, refresh rotation, which fields the
token response carries) or hooks a vendor subclass overrides (`token_payload`,
`error_response`, `revoke_response`).

Standards followed where a vendor documents nothing of its own:
- RFC 6749 (authorization code grant, error responses): https://www.rfc-editor.org/rfc/rfc6749
- RFC 7636 (PKCE): https://www.rfc-editor.org/rfc/rfc7636
- RFC 7009 (token revocation): https://www.rfc-editor.org/rfc/rfc7009

The module also holds the few pieces every vendor fake shares (`VendorFake`, time helpers),
so the vendor modules do not copy them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.faults import Faults, RecordingMiddleware, SeenRequest

DEFAULT_USER = "user@example.com"


class OAuthError(Exception):
    """An RFC 6749 error; `reason` tells vendor hooks which check failed."""

    def __init__(self, error: str, description: str, status: int = 400, reason: str = "") -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason or error


@dataclass
class Grant:
    """What one user allowed one client; revoking it kills every token issued from it."""

    id: str
    user: str
    client_id: str
    scope: str
    active: bool = True


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float
    id: int
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    grant: Grant
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    grant: Grant
    redirect_uri: str
    expires_at: float
    code_challenge: str | None = None
    used: bool = False
    issued: list[AccessToken | RefreshToken] = field(default_factory=list)


@dataclass
class TokenSet:
    """What a test gets from `OAuthServer.issue_tokens` (skipping the browser)."""

    access_token: str
    refresh_token: str | None
    grant: Grant


class OAuthServer:
    """One registered client at one vendor's authorization server."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        authorize_path: str,
        token_path: str,
        revoke_path: str | None = None,
        client_auth: Iterable[str] = ("client_secret_post", "client_secret_basic"),
        token_body: Iterable[str] = ("form",),
        pkce: bool = True,
        access_ttl: float = 3600,
        code_ttl: float = 600,
        issue_refresh: bool = True,
        rotate_refresh: bool = False,
        refresh_on_refresh: bool = True,
        grant_types: Iterable[str] = ("authorization_code", "refresh_token"),
        required_params: Mapping[str, str] | None = None,
        cascade_revoke: bool = True,
        vendor_name: str = "Fake vendor",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.authorize_path = authorize_path
        self.token_path = token_path
        self.revoke_path = revoke_path
        self.client_auth = set(client_auth)
        self.token_body = set(token_body)
        self.pkce = pkce
        self.access_ttl = access_ttl
        self.code_ttl = code_ttl
        self.issue_refresh = issue_refresh
        self.rotate_refresh = rotate_refresh
        self.refresh_on_refresh = refresh_on_refresh
        self.grant_types = set(grant_types)
        self.required_params = dict(required_params or {})
        self.cascade_revoke = cascade_revoke
        self.vendor_name = vendor_name
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.grants: list[Grant] = []
        self.disabled_users: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self._next_token_id = 1

    # ---- routes -------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(self.authorize_path, self._authorize, methods=["GET", "POST"]),
            Route(self.token_path, self._token, methods=["POST"]),
        ]
        if self.revoke_path:
            routes.append(Route(self.revoke_path, self._revoke, methods=["POST"]))
        return routes

    # ---- vendor hooks -------------------------------------------------------------------

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        """The token response body; vendors override to add or drop fields."""
        payload: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": int(self.access_ttl),
        }
        if refresh is not None:
            payload["refresh_token"] = refresh.token
        if access.grant.scope:
            payload["scope"] = access.grant.scope
        return payload

    def error_response(self, err: OAuthError) -> Response:
        """RFC 6749 section 5.2 error body; vendors override for their own shape or status."""
        return JSONResponse(
            {"error": err.error, "error_description": err.description},
            status_code=err.status,
            headers={"Cache-Control": "no-store"},
        )

    def revoke_response(self, found: bool) -> Response:
        # RFC 7009 2.2: an unknown token is not an error, the answer is 200 either way.
        return Response(status_code=200)

    def new_access_token(self) -> str:
        return secrets.token_urlsafe(32)

    def new_refresh_token(self) -> str:
        return secrets.token_urlsafe(40)

    # ---- checks for the vendor's API routes ---------------------------------------------

    def check_bearer(self, request: Request) -> tuple[AccessToken | None, str]:
        """(token, "ok") or (None, why): "missing", "unknown", "expired" or "revoked"."""
        token = bearer_token(request)
        if token is None:
            return None, "missing"
        return self.check_token(token)

    def check_token(self, token: str) -> tuple[AccessToken | None, str]:
        found = self.access_tokens.get(token)
        if found is None:
            return None, "unknown"
        if found.revoked or not self._grant_usable(found.grant):
            return None, "revoked"
        if found.expires_at <= time.time():
            return None, "expired"
        return found, "ok"

    # ---- test hooks ---------------------------------------------------------------------

    def issue_tokens(self, user: str = DEFAULT_USER, scope: str = "") -> TokenSet:
        """Tokens as if `user` had consented, for tests that do not need the browser."""
        grant = self._new_grant(user, scope)
        access, refresh = self._issue(grant, with_refresh=self.issue_refresh)
        return TokenSet(access.token, refresh.token if refresh else None, grant)

    def revoke_grant(self, user: str = DEFAULT_USER) -> None:
        """The user removed the app: every token of theirs stops working."""
        for grant in self.grants:
            if grant.user == user:
                grant.active = False

    def disable_user(self, user: str = DEFAULT_USER) -> None:
        """The user was deactivated at the vendor; refresh gets invalid_grant."""
        self.disabled_users.add(user)

    def expire_access_token(self, token: str | None = None) -> None:
        """Expire one access token now, or all of them when `token` is None."""
        for access in self.access_tokens.values():
            if token is None or access.token == token:
                access.expires_at = 0

    def expire_codes(self) -> None:
        for code in self.codes.values():
            code.expires_at = 0

    def revoke_token(self, token: str, cascade: bool | None = None) -> bool:
        """Revoke an access or refresh token; a refresh token takes its access tokens along."""
        if token in self.access_tokens:
            self.access_tokens[token].revoked = True
            return True
        refresh = self.refresh_tokens.get(token)
        if refresh is None:
            return False
        refresh.revoked = True
        if self.cascade_revoke if cascade is None else cascade:
            for access in self.access_tokens.values():
                if access.grant is refresh.grant:
                    access.revoked = True
        return True

    # ---- authorize ----------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = {k: str(v) for k, v in (await request.form()).items()}
        problem = self._authorize_problem(params)
        if problem:
            # RFC 6749 4.1.2.1: a bad client or redirect URI must not redirect anywhere.
            return HTMLResponse(_error_page(self.vendor_name, problem), status_code=400)
        redirect_error = self._authorize_redirect_error(params)
        if redirect_error:
            return self._redirect(params, {"error": "invalid_request", **redirect_error})
        if request.method == "GET":
            return HTMLResponse(_consent_page(self.vendor_name, self.authorize_path, params))
        if params.get("decision") != "allow":
            denied = "end-user denied authorization"
            return self._redirect(params, {"error": "access_denied", "error_description": denied})
        code = self._new_code(params)
        return self._redirect(params, {"code": code.code})

    def _authorize_problem(self, params: Mapping[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "Unknown client_id."
        if params.get("redirect_uri", self.redirect_uri) != self.redirect_uri:
            return "redirect_uri must match the one registered for this client."
        for name, expected in self.required_params.items():
            if params.get(name) != expected:
                return f"Parameter {name} must be {expected!r}."
        return None

    def _authorize_redirect_error(self, params: Mapping[str, str]) -> dict[str, str] | None:
        if params.get("response_type") != "code":
            return {"error_description": "response_type must be code"}
        method = params.get("code_challenge_method", "plain")
        if self.pkce and params.get("code_challenge") and method != "S256":
            return {"error_description": "code_challenge_method must be S256"}
        return None

    def _redirect(self, params: Mapping[str, str], extra: dict[str, str]) -> Response:
        query = dict(extra)
        if "state" in params:
            query["state"] = params["state"]
        return RedirectResponse(add_query(self.redirect_uri, query), status_code=302)

    def _new_code(self, params: Mapping[str, str]) -> AuthCode:
        grant = self._new_grant(params.get("username") or DEFAULT_USER, params.get("scope", ""))
        challenge = params.get("code_challenge") if self.pkce else None
        code = AuthCode(
            code=secrets.token_urlsafe(24),
            grant=grant,
            redirect_uri=params.get("redirect_uri", ""),
            expires_at=time.time() + self.code_ttl,
            code_challenge=challenge or None,
        )
        self.codes[code.code] = code
        return code

    # ---- token --------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        try:
            params = await self._token_params(request)
            self.token_requests.append(params)
            self._authenticate_client(request, params)
            grant_type = params.get("grant_type", "")
            if grant_type not in self.grant_types:
                unsupported = f"grant type {grant_type!r} not supported"
                raise OAuthError("unsupported_grant_type", unsupported)
            access, refresh = self._exchange(grant_type, params)
        except OAuthError as err:
            return self.error_response(err)
        payload = self.token_payload(request, access, refresh, grant_type)
        return JSONResponse(payload, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def _token_params(self, request: Request) -> dict[str, str]:
        content_type = request.headers.get("content-type", "")
        if "json" in content_type and "json" in self.token_body:
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError as exc:
                raise OAuthError("invalid_request", "request body is not valid JSON") from exc
            return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        if "x-www-form-urlencoded" in content_type and "form" in self.token_body:
            return {k: str(v) for k, v in (await request.form()).items()}
        accepted = " or ".join(sorted(self.token_body))
        raise OAuthError("invalid_request", f"token request body must be {accepted}")

    def _authenticate_client(self, request: Request, params: dict[str, str]) -> None:
        basic = basic_credentials(request)
        if basic is not None:
            if "client_secret_basic" not in self.client_auth:
                raise OAuthError("invalid_client", "HTTP Basic client auth not supported", 401)
            client_id, secret = basic
        else:
            if "client_secret_post" not in self.client_auth:
                raise OAuthError("invalid_client", "client authentication required", 401)
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        if client_id != self.client_id:
            raise OAuthError("invalid_client", "invalid client credentials", 401, "client_id")
        if not secrets.compare_digest(secret, self.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials", 401, "client_secret")

    def _exchange(
        self, grant_type: str, params: dict[str, str]
    ) -> tuple[AccessToken, RefreshToken | None]:
        if grant_type == "authorization_code":
            return self._exchange_code(params)
        if grant_type == "refresh_token":
            return self._exchange_refresh(params)
        grant = self._new_grant(self.client_id, params.get("scope", ""))
        return self._issue(grant, with_refresh=False)

    def _exchange_code(self, params: dict[str, str]) -> tuple[AccessToken, RefreshToken | None]:
        code = self.codes.get(params.get("code", ""))
        if code is None:
            raise OAuthError("invalid_grant", "invalid authorization code", reason="code")
        if code.used:
            # RFC 6749 4.1.2: a replayed code revokes what it already bought.
            for token in code.issued:
                self.revoke_token(token.token)
            raise OAuthError("invalid_grant", "authorization code already used", reason="code")
        if code.expires_at <= time.time():
            raise OAuthError("invalid_grant", "expired authorization code", reason="code")
        if params.get("redirect_uri") != code.redirect_uri and code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri mismatch", reason="redirect_uri")
        self._check_pkce(code, params.get("code_verifier"))
        code.used = True
        access, refresh = self._issue(code.grant, with_refresh=self.issue_refresh)
        code.issued.extend(t for t in (access, refresh) if t is not None)
        return access, refresh

    def _check_pkce(self, code: AuthCode, verifier: str | None) -> None:
        if code.code_challenge is None:
            return
        if not verifier:
            raise OAuthError("invalid_grant", "code_verifier required", reason="pkce")
        if pkce_challenge(verifier) != code.code_challenge:
            raise OAuthError("invalid_grant", "code_verifier does not match", reason="pkce")

    def _exchange_refresh(self, params: dict[str, str]) -> tuple[AccessToken, RefreshToken | None]:
        refresh = self.refresh_tokens.get(params.get("refresh_token", ""))
        if refresh is None or refresh.revoked or not self._grant_usable(refresh.grant):
            raise OAuthError("invalid_grant", "expired access/refresh token", reason="refresh")
        if self.rotate_refresh:
            refresh.revoked = True
            access, new_refresh = self._issue(refresh.grant, with_refresh=True)
            return access, new_refresh
        access, _ = self._issue(refresh.grant, with_refresh=False)
        return access, refresh if self.refresh_on_refresh else None

    def _issue(self, grant: Grant, with_refresh: bool) -> tuple[AccessToken, RefreshToken | None]:
        access = AccessToken(
            self.new_access_token(), grant, time.time() + self.access_ttl, self._next_token_id
        )
        self._next_token_id += 1
        self.access_tokens[access.token] = access
        refresh = None
        if with_refresh:
            refresh = RefreshToken(self.new_refresh_token(), grant)
            self.refresh_tokens[refresh.token] = refresh
        return access, refresh

    def _new_grant(self, user: str, scope: str) -> Grant:
        grant = Grant(secrets.token_hex(8), user, self.client_id, scope)
        self.grants.append(grant)
        return grant

    def _grant_usable(self, grant: Grant) -> bool:
        return grant.active and grant.user not in self.disabled_users

    # ---- revocation ---------------------------------------------------------------------

    async def _revoke(self, request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", ""))
        return self.revoke_response(self.revoke_token(token))


# ---- small shared helpers ---------------------------------------------------------------


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 4.2: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def add_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def utc_from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parse_iso(value: str) -> datetime:
    """ISO 8601 with Z, +hh:mm or +hhmm offsets (vendors use all three)."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_utc(value: datetime | str) -> datetime:
    return parse_iso(value) if isinstance(value, str) else value.astimezone(UTC)


def encode_cursor(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


class VendorFake:
    """What every vendor fake exposes: `.app`, `.requests`, `.faults`, `.oauth`."""

    def __init__(self, oauth: OAuthServer, routes: list[BaseRoute]) -> None:
        self.oauth = oauth
        self.requests: list[SeenRequest] = []
        self.faults = Faults()
        self.starlette = Starlette(routes=[*oauth.routes(), *routes])
        self.app = RecordingMiddleware(self.starlette, self.requests, self.faults)

    def authorize_url(self, base_url: str, **params: str) -> str:
        """The URL a client would send the browser to, for tests of the fake itself."""
        query = {
            "response_type": "code",
            "client_id": self.oauth.client_id,
            "redirect_uri": self.oauth.redirect_uri,
            **self.oauth.required_params,
            **params,
        }
        return add_query(base_url.rstrip("/") + self.oauth.authorize_path, query)


# ---- the consent page, and a browser stand-in for tests --------------------------------


def _consent_page(vendor: str, action: str, params: Mapping[str, str]) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in {"decision", "username"}
    )
    user = html.escape(params.get("username", DEFAULT_USER))
    return f"""<!doctype html>
<html><head><title>{html.escape(vendor)}: allow access?</title></head>
<body><h1>{html.escape(vendor)}</h1>
<p>An application is asking to access your data.</p>
<form method="post" action="{html.escape(action)}">
{hidden}
<label>Username <input type="text" name="username" value="{user}"></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>"""


def _error_page(vendor: str, problem: str) -> str:
    return (
        f"<!doctype html><html><head><title>{html.escape(vendor)}: error</title></head>"
        f"<body><h1>Authorization error</h1><p>{html.escape(problem)}</p></body></html>"
    )


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = attr.get("action", "")
        elif tag == "input" and attr.get("name"):
            self.fields[attr["name"]] = attr.get("value", "")
        elif tag == "button" and attr.get("name"):
            self.buttons[attr.get("value", "")] = (attr["name"], attr.get("value", ""))


async def browser_consent(
    http: httpx.AsyncClient, authorize_url: str, allow: bool = True, username: str | None = None
) -> httpx.Response:
    """Do what a person does: open the login page, press Allow (or Deny).

    Returns the authorization server's 302 (not followed), whose Location is the redirect
    URI with `code` or `error`, and `state`.
    """
    page = await http.get(authorize_url)
    if page.status_code != 200:
        return page
    form = _FormParser()
    form.feed(page.text)
    fields = dict(form.fields)
    if username is not None:
        fields["username"] = username
    name, value = form.buttons["allow" if allow else "deny"]
    fields[name] = value
    target = str(httpx.URL(authorize_url).join(form.action))
    return await http.post(target, data=fields, follow_redirects=False)
