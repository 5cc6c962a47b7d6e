"""A fake Jira Cloud site behind Atlassian's OAuth 2.0 (3LO) and API gateway.

Written from Atlassian's published documentation:
- OAuth 2.0 (3LO): /authorize with audience=api.atlassian.com and prompt=consent, the JSON
  token exchange, accessible-resources and the /ex/jira/{cloudid} gateway:
  https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
- Rotating refresh tokens (each refresh returns a new one and disables the old; errors are
  403 {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}):
  https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens
- Enhanced JQL search (GET/POST /rest/api/3/search/jql, nextPageToken, isLast, maxResults
  default 50, at most 5000 when only id/key are asked, only ids by default):
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
  https://docs.adaptavist.com/sr4jc/latest/release-notes/breaking-changes/atlassian-rest-api-search-endpoints-deprecation
- Removal of /rest/api/3/search (410 Gone, CHANGE-2046):
  https://developer.atlassian.com/changelog/#CHANGE-2046
  https://confluence.atlassian.com/display/JIRAKB/Run+JQL+search+query+using+Jira+Cloud+REST+API
- Get all users (GET /rest/api/3/users/search and /rest/api/3/users: startAt, maxResults
  default 50 and at most 1000, a plain JSON array of users with accountId, accountType,
  displayName, emailAddress (hidden by the user's privacy settings), active, avatarUrls):
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/#api-rest-api-3-users-search-get
- JQL date-time values: "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd", "yyyy-MM-dd"
  in the searching user's time zone, or an unquoted number read as milliseconds after the
  epoch (1970-1-1), which no time zone moves:
  https://confluence.atlassian.com/spaces/JIRA052/pages/314448708/__JQL+Date+Time+Formats
  https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated
- Fields and paginated project search:
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/
- Basic auth with email and API token on the site URL:
  https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
- Rate limiting (429, Retry-After, X-RateLimit-Reset, RateLimit-Reason):
  https://developer.atlassian.com/cloud/jira/platform/rate-limiting/

Quirks kept: JQL dates have minute precision and are read in the user's time zone
(`user_timezone`), an unquoted number as epoch milliseconds; an unbounded JQL is refused;
the old search endpoint answers 410; users come as a bare array, not a page object; token
errors are 403, not 400; there is no revocation endpoint (a user revokes in their account).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import (
    AccessToken,
    OAuthError,
    OAuthServer,
    RefreshToken,
    VendorFake,
    as_utc,
    basic_credentials,
    decode_cursor,
    encode_cursor,
)

DEFAULT_MAX = 50
ID_ONLY_MAX = 5000
FIELDS_MAX = 100
USERS_MAX = 1000
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
JQL = re.compile(
    r"^\s*(?:project\s*=\s*\"?(?P<project>[A-Z][A-Z0-9_]*)\"?\s*(?:AND\s+)?)?"
    r"(?:updated\s*(?P<op>>=|>)\s*"
    r"(?:\"(?P<when>\d{4}[-/]\d{2}[-/]\d{2}(?: \d{2}:\d{2})?)\"|(?P<millis>\d+))\s*)?"
    r"(?:ORDER\s+BY\s+updated(?:\s+(?P<dir>ASC|DESC))?)?\s*$",
    re.IGNORECASE,
)
SYSTEM_FIELDS = [
    ("summary", "Summary", "string"),
    ("status", "Status", "status"),
    ("project", "Project", "project"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
    ("issuetype", "Issue Type", "issuetype"),
]


def jira_error(status: int, *messages: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"errorMessages": list(messages), "errors": {}}, status_code=status, headers=headers
    )


def jira_time(value: datetime) -> str:
    utc = as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass
class Issue:
    id: int
    key: str
    project: str
    updated: datetime
    fields: dict[str, Any]


class AtlassianOAuth(OAuthServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            authorize_path="/authorize",
            token_path="/oauth/token",
            client_auth=("client_secret_post",),
            token_body=("json", "form"),
            pkce=False,
            rotate_refresh=True,
            required_params={"audience": "api.atlassian.com", "prompt": "consent"},
            vendor_name="Atlassian",
            **kwargs,
        )

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": int(self.access_ttl),
            "token_type": "Bearer",
            "scope": access.grant.scope,
        }
        # A refresh token only comes with the offline_access scope.
        if refresh is not None and "offline_access" in access.grant.scope.split():
            payload["refresh_token"] = refresh.token
        return payload

    def error_response(self, err: OAuthError) -> Response:
        descriptions = {
            "refresh": "Unknown or invalid refresh token.",
            "code": "Invalid authorization code",
        }
        body = {
            "error": err.error,
            "error_description": descriptions.get(err.reason, err.description),
        }
        status = 403 if err.error in {"invalid_grant", "unauthorized_client"} else err.status
        return JSONResponse(body, status_code=status)


class JiraFake(VendorFake):
    """One Jira Cloud site reachable through the gateway (OAuth) and its own URL (Basic).

    Hooks: `add_issues(project, [{"summary": ..., "updated": datetime}])`,
    `add_project(key, name)`, `add_users([{"displayName": ...}])`, `add_api_token(email, token)`,
    `user_timezone` (an IANA name, what JQL dates are read in),
    `rate_limited(retry_after)`, and the OAuth server's `revoke_grant`, `disable_user`,
    `expire_access_token`, `issue_tokens`.
    """

    def __init__(
        self,
        client_id: str = "atl-client-id",
        client_secret: str = "atl-client-secret",
        redirect_uri: str = "http://127.0.0.1:8000/oauth/callback",
        cloud_id: str | None = None,
        site_url: str = "https://acme.atlassian.net",
    ) -> None:
        oauth = AtlassianOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.cloud_id = cloud_id or str(uuid.uuid4())
        self.site_url = site_url
        self.user_timezone = "UTC"
        self.api_tokens: dict[str, str] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        self.issues: list[Issue] = []
        self.users: list[dict[str, Any]] = []
        self.custom_fields: list[tuple[str, str, str]] = []
        super().__init__(oauth, self._routes())

    # ---- seeding and hooks --------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> dict[str, Any]:
        project = {
            "id": str(10000 + len(self.projects)),
            "key": key,
            "name": name or key.title(),
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
        }
        return self.projects.setdefault(key, project)

    def add_issues(self, project: str, issues: list[dict[str, Any]]) -> list[Issue]:
        self.add_project(project)
        stored = []
        for fields in issues:
            number = sum(1 for i in self.issues if i.project == project) + 1
            updated = as_utc(fields.get("updated") or datetime.now(UTC))
            issue = Issue(10000 + len(self.issues), f"{project}-{number}", project, updated, {})
            issue.fields = {
                "summary": fields.get("summary", f"Issue {number}"),
                "status": {"name": fields.get("status", "To Do")},
                "issuetype": {"name": fields.get("issuetype", "Task")},
                "created": jira_time(as_utc(fields.get("created") or updated)),
                **{k: v for k, v in fields.items() if k.startswith("customfield_")},
            }
            self.issues.append(issue)
            stored.append(issue)
        return stored

    def add_users(self, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Users as Get all users shows them; accountId and the defaults are filled in."""
        stored = []
        for user in users:
            account = user.get("accountId") or f"5b10ac8d82e05b22cc7d{len(self.users):04x}"
            row = {
                "accountId": account,
                "accountType": "atlassian",
                "displayName": f"User {len(self.users)}",
                "active": True,
                "avatarUrls": {"48x48": f"https://avatar.example/{account}/48.png"},
                **user,
            }
            self.users.append(row)
            stored.append(row)
        return stored

    def add_custom_field(self, field_id: str, name: str, type_: str = "string") -> None:
        self.custom_fields.append((field_id, name, type_))

    def add_api_token(self, email: str, token: str) -> None:
        self.api_tokens[email] = token

    def rate_limited(
        self, retry_after: int = 1, times: int = 1, path: str = "/rest/api/3/"
    ) -> None:
        reset = (datetime.now(UTC) + timedelta(seconds=retry_after)).strftime("%Y-%m-%dT%H:%MZ")
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Reset": reset,
            "RateLimit-Reason": "jira-burst-based",
        }
        body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        self.faults.add(429, body=body, headers=headers, path=path, times=times)

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        routes = [Route("/oauth/token/accessible-resources", self._accessible_resources)]
        for prefix in ("/ex/jira/{cloud_id:str}", ""):
            api = prefix + "/rest/api/3"
            routes += [
                Route(api + "/search/jql", self._search_jql, methods=["GET", "POST"]),
                Route(api + "/search", self._search_removed, methods=["GET", "POST"]),
                Route(api + "/field", self._fields),
                Route(api + "/project/search", self._projects),
                Route(api + "/users/search", self._users),
                Route(api + "/users", self._users),
            ]
        return routes

    def _auth(self, request: Request) -> Response | None:
        if "cloud_id" in request.path_params:
            if request.path_params["cloud_id"] != self.cloud_id:
                return jira_error(404, "Site not found")
            token, _ = self.oauth.check_bearer(request)
            if token is None:
                # The gateway's own 401, not Jira's error collection.
                return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)
            return None
        basic = basic_credentials(request)
        if basic is None or self.api_tokens.get(basic[0]) != basic[1]:
            return jira_error(
                401,
                "You are not authenticated. Authentication required to perform this operation.",
            )
        return None

    async def _accessible_resources(self, request: Request) -> Response:
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)
        scopes = [s for s in token.grant.scope.split() if s != "offline_access"]
        return JSONResponse(
            [
                {
                    "id": self.cloud_id,
                    "name": self.site_url.split("//")[-1].split(".")[0],
                    "url": self.site_url,
                    "scopes": scopes,
                    "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
                }
            ]
        )

    async def _search_removed(self, request: Request) -> Response:
        denied = self._auth(request)
        return denied or jira_error(410, REMOVED)

    async def _search_jql(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        args = await _search_args(request)
        match = JQL.match(args["jql"])
        if match is None:
            return jira_error(400, f"Error in the JQL Query: unsupported query {args['jql']!r}.")
        if not (match["project"] or match["when"] or match["millis"]):
            return jira_error(
                400,
                "Unbounded JQL queries are not allowed here. "
                "Please add a search restriction to your query.",
            )
        rows = self._select(match)
        return JSONResponse(self._search_page(request, rows, args))

    def _select(self, match: re.Match[str]) -> list[Issue]:
        rows = [i for i in self.issues if not match["project"] or i.project == match["project"]]
        if match["when"] or match["millis"]:
            since = (
                datetime.fromtimestamp(int(match["millis"]) / 1000, UTC)
                if match["millis"]
                else self._jql_time(match["when"])
            )
            strict = match["op"] == ">"
            rows = [i for i in rows if i.updated > since or (not strict and i.updated >= since)]
        descending = (match["dir"] or "ASC").upper() == "DESC"
        return sorted(rows, key=lambda i: (i.updated, i.id), reverse=descending)

    def _jql_time(self, text: str) -> datetime:
        """JQL dates are read in the searching user's time zone, to the minute."""
        clean = text.replace("/", "-")
        parsed = datetime.strptime(clean, "%Y-%m-%d %H:%M" if " " in clean else "%Y-%m-%d")
        return parsed.replace(tzinfo=ZoneInfo(self.user_timezone)).astimezone(UTC)

    def _search_page(
        self, request: Request, rows: list[Issue], args: dict[str, Any]
    ) -> dict[str, Any]:
        fields = args["fields"]
        cap = ID_ONLY_MAX if set(fields) <= {"id", "key"} else FIELDS_MAX
        size = max(1, min(args["maxResults"], cap))
        start = int((decode_cursor(args["nextPageToken"] or "") or {}).get("offset", 0))
        page = rows[start : start + size]
        body: dict[str, Any] = {"issues": [self._shape(request, i, fields) for i in page]}
        if start + size < len(rows):
            body["nextPageToken"] = encode_cursor({"offset": start + size})
        body["isLast"] = start + size >= len(rows)
        return body

    def _shape(self, request: Request, issue: Issue, fields: list[str]) -> dict[str, Any]:
        base = self._api_base(request)
        shaped: dict[str, Any] = {"id": str(issue.id)}
        if fields == ["id"]:
            return shaped
        shaped.update({"key": issue.key, "self": f"{base}/rest/api/3/issue/{issue.id}"})
        everything = {
            **issue.fields,
            "project": {"key": issue.project, "id": self.projects[issue.project]["id"]},
            "updated": jira_time(issue.updated),
        }
        wanted = everything if {"*all", "*navigable"} & set(fields) else fields
        shaped["fields"] = {f: everything.get(f) for f in wanted if f not in {"id", "key"}}
        return shaped

    def _api_base(self, request: Request) -> str:
        root = str(request.base_url).rstrip("/")
        cloud = request.path_params.get("cloud_id")
        return f"{root}/ex/jira/{cloud}" if cloud else root

    async def _fields(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        system = [_field(f, n, t, custom=False) for f, n, t in SYSTEM_FIELDS]
        custom = [_field(f, n, t, custom=True) for f, n, t in self.custom_fields]
        return JSONResponse(system + custom)

    async def _projects(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        start = int(request.query_params.get("startAt", 0))
        size = min(int(request.query_params.get("maxResults", 50)), 100)
        values = list(self.projects.values())
        page = values[start : start + size]
        base = self._api_base(request)
        return JSONResponse(
            {
                "self": f"{base}/rest/api/3/project/search?startAt={start}&maxResults={size}",
                "maxResults": size,
                "startAt": start,
                "total": len(values),
                "isLast": start + size >= len(values),
                "values": [{**p, "self": f"{base}/rest/api/3/project/{p['id']}"} for p in page],
            }
        )

    async def _users(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        try:
            start = int(request.query_params.get("startAt", 0))
            size = int(request.query_params.get("maxResults", DEFAULT_MAX))
        except ValueError:
            return jira_error(400, "startAt and maxResults must be numbers.")
        size = max(1, min(size, USERS_MAX))
        base = self._api_base(request)
        page = self.users[start : start + size]
        # A bare array: this endpoint says neither total nor isLast.
        return JSONResponse(
            [{**u, "self": f"{base}/rest/api/3/user?accountId={u['accountId']}"} for u in page]
        )


def _field(field_id: str, name: str, type_: str, custom: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_}
    schema["custom" if custom else "system"] = field_id
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{field_id.split('_')[-1]}]" if custom else field_id],
        "schema": schema,
    }


async def _search_args(request: Request) -> dict[str, Any]:
    """GET takes query parameters (fields comma-separated), POST a JSON body."""
    if request.method == "POST":
        body = await request.json()
        fields = body.get("fields") or ["id"]
    else:
        body = dict(request.query_params)
        fields = [f for f in (body.get("fields") or "id").split(",") if f]
    return {
        "jql": body.get("jql", ""),
        "nextPageToken": body.get("nextPageToken"),
        "maxResults": int(body.get("maxResults", DEFAULT_MAX)),
        "fields": fields,
    }
