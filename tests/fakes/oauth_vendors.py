"""Minimal OAuth-server fakes of the other OAuth connectors, each with its documented token
response; they serve the authorization server (authorize, token, revoke) and, where the token
names no account, the one documented API call that does (`account_routes()`, answering with
`account_id`, which a test changes to log in to another account), no data API.

- Microsoft identity platform (Dynamics 365): v2.0 authorize/token, PKCE, refresh tokens that
  rotate, access tokens are JWTs with a `tid` (tenant) claim; no RFC 7009 endpoint.
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
  https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
- Zoho: accounts host per data centre, `api_domain` in every token response, refresh returns
  no new refresh token, errors as HTTP 200 {"error": "invalid_code"}, revoke with `token`.
  https://www.zoho.com/crm/developer/docs/api/v8/access-refresh.html
  https://www.zoho.com/crm/developer/docs/api/v8/refresh.html
  https://www.zoho.com/crm/developer/docs/api/v8/revoke-tokens.html
  The org: GET /crm/{version}/org with `Authorization: Zoho-oauthtoken`, scope
  ZohoCRM.org.READ (or .ALL), answering {"org": [{"id", "zgid", "company_name", ...}]}; a
  token without that scope is 401 OAUTH_SCOPE_MISMATCH, an unknown one 401 INVALID_TOKEN.
  https://zoho.com/crm/developer/docs/api/v6/get-org-data.html
  https://www.zoho.com/crm/developer/docs/api/v8/scopes.html
  https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html
- Pipedrive: client authentication by HTTP Basic only, `api_domain` in the token response,
  RFC 7009 revoke at /oauth/revoke.
  https://pipedrive.readme.io/docs/marketplace-oauth-authorization
  https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses
- Intercom: POST /auth/eagle/token with code, client_id and client_secret; the answer carries
  `token` and `access_token`, no refresh token and no expiry.
  https://intercom-developer-hub.readme.io/reference/using-oauth
  The workspace: GET /me answers the admin with the embedded app (`app.id_code`); a bad token
  is 401 error.list "unauthorized".
  https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/identifyadmin
  https://developers.intercom.com/docs/references/2.6/rest-api/admins/view-the-current-admin
- Gong: /oauth2/generate-customer-token with HTTP Basic client auth and the parameters on the
  query string; `api_base_url_for_customer` in the token response; single-use refresh tokens.
  https://help.gong.io/docs/create-an-app-for-gong
- SurveyMonkey: long-lived tokens, no refresh token; `access_url` names the API host.
  https://api.surveymonkey.com/v3/docs#authentication
  The user: GET /v3/users/me ({"id", "username", "email", "account_type", ...}); a bad token
  is 401 with error id 1011. https://api.surveymonkey.com/v3/docs#api-endpoints-get-users-me
  and #error-codes
- ServiceNow: oauth_auth.do / oauth_token.do / oauth_revoke_token.do, standard token response.
  https://docs.servicenow.com/bundle/latest/page/administer/security/concept/c_OAuthAuthorizationCodeFlow.html
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.oauth import (
    AccessToken,
    OAuthError,
    OAuthServer,
    RefreshToken,
    VendorFake,
)

REDIRECT = "http://testserver/oauth/callback"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class VendorOAuth(OAuthServer):
    """An authorization server, plus the API call naming the account where the token does not."""

    account_id: str | None = None

    def account_routes(self) -> list[BaseRoute]:
        return []


class MicrosoftOAuth(VendorOAuth):
    def __init__(self, tenant_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/organizations/oauth2/v2.0/authorize",
            token_path="/organizations/oauth2/v2.0/token",
            rotate_refresh=True,
            vendor_name="Microsoft",
            **kwargs,
        )
        self.tenant_id = tenant_id or str(uuid.uuid4())

    def new_access_token(self) -> str:
        claims = {"tid": self.tenant_id, "aud": "https://contoso.crm.dynamics.com"}
        return f"{_b64({'typ': 'JWT', 'alg': 'RS256'})}.{_b64(claims)}.{secrets.token_urlsafe(16)}"

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["ext_expires_in"] = payload["expires_in"]
        return payload


class ZohoOAuth(VendorOAuth):
    def __init__(self, api_domain: str = "https://www.zohoapis.eu", **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/v2/auth",
            token_path="/oauth/v2/token",
            revoke_path="/oauth/v2/token/revoke",
            pkce=False,
            required_params={"access_type": "offline"},
            vendor_name="Zoho",
            **kwargs,
        )
        self.api_domain = api_domain
        self.account_id = "4150868000000225013"  # the org's `id`

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_domain"] = self.api_domain
        return payload

    def error_response(self, err: OAuthError) -> Response:
        error = "invalid_code" if err.error == "invalid_grant" else err.error
        return JSONResponse({"error": error})

    def account_routes(self) -> list[BaseRoute]:
        return [Route("/crm/{version:str}/org", self._org)]

    async def _org(self, request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token, _ = self.check_token(value.strip()) if scheme == "Zoho-oauthtoken" else (None, "")
        if token is None:
            return _zoho_error("INVALID_TOKEN", "invalid oauth token")
        granted = set(re.split(r"[,\s]+", token.grant.scope))
        if not granted & {"ZohoCRM.org.READ", "ZohoCRM.org.ALL"}:
            return _zoho_error("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
        org = {
            "id": self.account_id,
            "zgid": "74822955",
            "domain_name": "org74822955",
            "company_name": "Acme",
            "time_zone": "Asia/Kolkata",
            "type": "production",
        }
        return JSONResponse({"org": [org]})


def _zoho_error(code: str, message: str) -> JSONResponse:
    body = {"code": code, "details": {}, "message": message, "status": "error"}
    return JSONResponse(body, status_code=401)


class PipedriveOAuth(VendorOAuth):
    def __init__(self, api_domain: str = "https://acme.pipedrive.com", **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/authorize",
            token_path="/oauth/token",
            revoke_path="/oauth/revoke",
            client_auth=("client_secret_basic",),
            pkce=False,
            vendor_name="Pipedrive",
            **kwargs,
        )
        self.api_domain = api_domain

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_domain"] = self.api_domain
        return payload


class IntercomOAuth(VendorOAuth):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth",
            token_path="/auth/eagle/token",
            pkce=False,
            issue_refresh=False,
            grant_types=("authorization_code",),
            vendor_name="Intercom",
            **kwargs,
        )
        self.account_id = "ecahpwf5"  # the app's (workspace's) id_code

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        return {"token_type": "Bearer", "token": access.token, "access_token": access.token}

    def me(self) -> dict[str, Any]:
        app = {"type": "app", "id_code": self.account_id, "name": "Acme", "region": "US"}
        return {
            "type": "admin",
            "id": "991267",
            "email": "admin@example.com",
            "email_verified": True,
            "name": "Ada Admin",
            "app": app,
        }

    def account_routes(self) -> list[BaseRoute]:
        return [Route("/me", self._me)]

    async def _me(self, request: Request) -> Response:
        if self.check_bearer(request)[0] is None:
            errors = [{"code": "unauthorized", "message": "Access Token Invalid"}]
            body = {"type": "error.list", "request_id": secrets.token_hex(10), "errors": errors}
            return JSONResponse(body, status_code=401)
        return JSONResponse(self.me())


class GongOAuth(VendorOAuth):
    def __init__(self, api_base: str = "https://us-4321.api.gong.io", **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth2/authorize",
            token_path="/oauth2/generate-customer-token",
            client_auth=("client_secret_basic",),
            pkce=False,
            rotate_refresh=True,
            access_ttl=86400,
            vendor_name="Gong",
            **kwargs,
        )
        self.api_base = api_base

    async def _token_params(self, request: Request) -> dict[str, str]:
        # Gong's guide puts grant_type, code, client_id and redirect_uri on the query string.
        params = dict(request.query_params)
        if "x-www-form-urlencoded" in request.headers.get("content-type", ""):
            params.update({k: str(v) for k, v in (await request.form()).items()})
        return params

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["api_base_url_for_customer"] = self.api_base
        return payload


class SurveyMonkeyOAuth(VendorOAuth):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth/authorize",
            token_path="/oauth/token",
            pkce=False,
            issue_refresh=False,
            grant_types=("authorization_code",),
            access_ttl=31536000,
            vendor_name="SurveyMonkey",
            **kwargs,
        )
        self.account_id = "1234"  # the user's id

    def me(self, request: Request) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": "acme-research",
            "email": "research@example.com",
            "account_type": "enterprise_platinum",
            "href": str(request.url),
        }

    def account_routes(self) -> list[BaseRoute]:
        return [Route("/v3/users/me", self._me)]

    async def _me(self, request: Request) -> Response:
        if self.check_bearer(request)[0] is None:
            error = {
                "id": "1011",
                "name": "Authorization Error",
                "docs": "https://developer.surveymonkey.com/api/v3/#error-codes",
                "message": "The authorization token provided was invalid.",
                "http_status_code": 401,
            }
            return JSONResponse({"error": error}, status_code=401)
        return JSONResponse(self.me(request))

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        return {
            "access_token": access.token,
            "access_url": "https://api.eu.surveymonkey.com",
            "expires_in": int(self.access_ttl),
            "token_type": "bearer",
        }


class ServiceNowOAuth(VendorOAuth):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/oauth_auth.do",
            token_path="/oauth_token.do",
            revoke_path="/oauth_revoke_token.do",
            pkce=False,
            access_ttl=1799,
            vendor_name="ServiceNow",
            **kwargs,
        )


VENDORS: dict[str, type[VendorOAuth]] = {
    "DYNAMICS": MicrosoftOAuth,
    "ZOHO": ZohoOAuth,
    "PIPEDRIVE": PipedriveOAuth,
    "INTERCOM": IntercomOAuth,
    "GONG_IO": GongOAuth,
    "SURVEYMONKEY": SurveyMonkeyOAuth,
    "SERVICENOW": ServiceNowOAuth,
}


def vendor_fake(
    key: str, client_id: str, client_secret: str, redirect_uri: str = REDIRECT
) -> VendorFake:
    """An authorization-server fake of connector `key` (with its account call), for one client."""
    oauth = VENDORS[key](
        client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
    )
    return VendorFake(oauth, oauth.account_routes())
