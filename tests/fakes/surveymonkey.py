"""A fake SurveyMonkey account: its OAuth server, surveys and their bulk responses.

Written from SurveyMonkey's published API v3 documentation, https://api.surveymonkey.com/v3/docs:
- Authentication (Bearer token; long-lived tokens without refresh; `access_url` names the
  data centre's API host): #authentication, and tests/fakes/oauth_vendors.py's
  SurveyMonkeyOAuth, extended here so `access_url` is this fake's own address.
- Pagination (`page`, `per_page`; list bodies carry `data`, `per_page`, `page`, `total` and
  `links` with `self`, `prev`, `next`, `last`; `next` only while more pages remain):
  #pagination
- GET /v3/surveys (per_page default 50 and at most 1000; sort_by title | date_modified |
  num_responses; sort_order ASC | DESC; start_modified_at / end_modified_at as
  YYYY-MM-DDTHH:MM:SS; `include` adds response_count, date_created, date_modified, ...):
  #api-endpoints-get-surveys, and
  https://rdrr.io/github/tntp/surveymonkey/man/browse_surveys.html
- GET /v3/surveys/{id}/responses/bulk (per_page at most 100; start_modified_at,
  end_modified_at, sort_by=date_modified, sort_order): #api-endpoints-get-surveys-id-responses-bulk
  https://rdrr.io/github/sfirke/surveymonkey/man/get_responses.html
- GET /v3/users/me (the user's `id`, `username`, `email`, `account_type`):
  #api-endpoints-get-users-me
- Rate limits (draft and private apps: 120 requests a minute, 500 a day; every answer carries
  X-Ratelimit-App-Global-Minute-Limit / -Remaining / -Reset and the -Day- trio, Reset in
  seconds; 429 without Retry-After): #request-and-response-limits
  https://raw.githubusercontent.com/api-evangelist/surveymonkey/refs/heads/main/rate-limits/surveymonkey-rate-limits.yml
- Errors ({"error": {"id", "name", "docs", "message", "http_status_code"}}; 1011 bad token,
  1020 not found, 1040 rate limit reached): #error-codes

Quirks kept: dates are ISO with "+00:00"; ids are numeric strings; a per_page above the cap
is refused with 400 rather than trimmed; the Reset headers count seconds, not a Unix time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.oauth import AccessToken, RefreshToken, VendorFake, as_utc
from tests.fakes.oauth_vendors import REDIRECT, SurveyMonkeyOAuth

DOCS = "https://developer.surveymonkey.com/api/v3/#error-codes"
SURVEYS_MAX = 1000
RESPONSES_MAX = 100
DEFAULT_PER_PAGE = 50
MINUTE_LIMIT = 120
DAY_LIMIT = 500
SURVEY_EXTRAS = ("response_count", "date_created", "date_modified", "language", "question_count")


def sm_time(value: datetime | str) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def sm_error_body(status: int, error_id: str, name: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "id": error_id,
            "name": name,
            "docs": DOCS,
            "message": message,
            "http_status_code": status,
        }
    }


def sm_error(status: int, error_id: str, name: str, message: str) -> JSONResponse:
    return JSONResponse(sm_error_body(status, error_id, name, message), status_code=status)


class ListError(Exception):
    pass


class SurveyMonkeyAccountOAuth(SurveyMonkeyOAuth):
    """SurveyMonkey's token server, naming this fake (or `access_url`) as the API host."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.access_url: str | None = None

    def token_payload(
        self, request: Request, access: AccessToken, refresh: RefreshToken | None, grant_type: str
    ) -> dict[str, Any]:
        payload = super().token_payload(request, access, refresh, grant_type)
        payload["access_url"] = self.access_url or str(request.base_url).rstrip("/")
        return payload


class SurveyMonkeyFake(VendorFake):
    """A SurveyMonkey account with surveys and their responses.

    Hooks: `add_survey(title, date_modified=...)` (returns the survey), `add_responses(survey_id,
    [...])` (each with `date_modified`; ids filled in), `rate_limited(reset_in, times)`,
    `minute_remaining` (what the headers report), and the OAuth server's `issue_tokens`,
    `revoke_grant`, `account_id` (the user id GET /v3/users/me answers).
    """

    def __init__(
        self,
        client_id: str = "sm-client-id",
        client_secret: str = "sm-client-secret",
        redirect_uri: str = REDIRECT,
    ) -> None:
        oauth = SurveyMonkeyAccountOAuth(
            client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
        )
        self.surveys: list[dict[str, Any]] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.minute_remaining = MINUTE_LIMIT - 1
        self._next_id = 400000000
        super().__init__(oauth, self._routes())
        self.oauth: SurveyMonkeyAccountOAuth = oauth

    # ---- seeding and hooks --------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def add_survey(self, title: str, date_modified: datetime | str | None = None) -> dict:
        modified = sm_time(date_modified or datetime.now(UTC))
        survey = {
            "id": self._new_id(),
            "title": title,
            "nickname": "",
            "language": "en",
            "question_count": 3,
            "response_count": 0,
            "date_created": modified,
            "date_modified": modified,
        }
        self.surveys.append(survey)
        self.responses[survey["id"]] = []
        return survey

    def add_responses(self, survey_id: str, items: list[dict[str, Any]]) -> list[dict]:
        stored = []
        for raw in items:
            modified = sm_time(raw.get("date_modified") or datetime.now(UTC))
            response = {
                "id": str(raw.get("id") or self._new_id()),
                "recipient_id": "",
                "collection_mode": "default",
                "response_status": "completed",
                "custom_value": "",
                "first_name": "",
                "last_name": "",
                "email_address": "",
                "ip_address": "203.0.113.7",
                "logic_path": {},
                "metadata": {},
                "page_path": [],
                "collector_id": "4000001",
                "survey_id": survey_id,
                "custom_variables": {},
                "total_time": 62,
                "date_created": modified,
                "pages": [],
                **{k: v for k, v in raw.items() if k != "date_modified"},
                "date_modified": modified,
            }
            kept = [r for r in self.responses[survey_id] if r["id"] != response["id"]]
            self.responses[survey_id] = [*kept, response]
            stored.append(response)
        survey = next(s for s in self.surveys if s["id"] == survey_id)
        survey["response_count"] = len(self.responses[survey_id])
        return stored

    def rate_limited(self, reset_in: int = 1, times: int = 1) -> None:
        headers = self._limit_headers(minute_remaining=0, minute_reset=reset_in)
        message = "Too many requests were made, try again later."
        body = sm_error_body(429, "1040", "Rate Limit Reached", message)
        self.faults.add(429, body=body, headers=headers, path="/v3/", times=times)

    # ---- routes -------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        return [
            Route("/v3/users/me", self._me),
            Route("/v3/surveys", self._list_surveys),
            Route("/v3/surveys/{survey_id:str}/responses/bulk", self._bulk_responses),
        ]

    def _limit_headers(self, minute_remaining: int | None = None, minute_reset: int = 60):
        remaining = self.minute_remaining if minute_remaining is None else minute_remaining
        return {
            "X-Ratelimit-App-Global-Minute-Limit": str(MINUTE_LIMIT),
            "X-Ratelimit-App-Global-Minute-Remaining": str(remaining),
            "X-Ratelimit-App-Global-Minute-Reset": str(minute_reset),
            "X-Ratelimit-App-Global-Day-Limit": str(DAY_LIMIT),
            "X-Ratelimit-App-Global-Day-Remaining": str(DAY_LIMIT - 1),
            "X-Ratelimit-App-Global-Day-Reset": "43200",
        }

    def _auth(self, request: Request) -> Response | None:
        if not request.headers.get("authorization"):
            return sm_error(
                401, "1010", "Authorization Error", "The authorization token was not provided."
            )
        token, _ = self.oauth.check_bearer(request)
        if token is None:
            return sm_error(
                401, "1011", "Authorization Error", "The authorization token provided was invalid."
            )
        return None

    def _ok(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, headers=self._limit_headers())

    async def _me(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        return self._ok(self.oauth.me(request))  # its `id` is `oauth.account_id`

    async def _list_surveys(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        params = request.query_params
        include = {i for i in params.get("include", "").split(",") if i}
        try:
            rows = self._filtered(self.surveys, params, sort_fields=("title", "date_modified"))
            base = str(request.base_url).rstrip("/")
            shaped = [self._survey_item(s, include, base) for s in rows]
            return self._ok(_page(request, shaped, params, SURVEYS_MAX))
        except ListError as err:
            return sm_error(400, "1001", "Invalid URL parameters", str(err))

    def _survey_item(self, survey: dict[str, Any], include: set[str], base: str) -> dict:
        item = {k: survey[k] for k in ("id", "title", "nickname")}
        item["href"] = f"{base}/v3/surveys/{survey['id']}"
        item.update({k: survey[k] for k in SURVEY_EXTRAS if k in include})
        return item

    async def _bulk_responses(self, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        survey_id = request.path_params["survey_id"]
        if survey_id not in self.responses:
            return sm_error(404, "1020", "Resource Not Found", "Requested resource not found.")
        params = request.query_params
        try:
            rows = self._filtered(self.responses[survey_id], params, ("date_modified",))
            return self._ok(_page(request, rows, params, RESPONSES_MAX))
        except ListError as err:
            return sm_error(400, "1001", "Invalid URL parameters", str(err))

    def _filtered(
        self, rows: list[dict[str, Any]], params: Any, sort_fields: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        start = _param_time(params.get("start_modified_at"))
        end = _param_time(params.get("end_modified_at"))
        kept = [
            r
            for r in rows
            if (start is None or as_utc(r["date_modified"]) >= start)
            and (end is None or as_utc(r["date_modified"]) < end)
        ]
        sort_by = params.get("sort_by", "date_modified")
        if sort_by not in sort_fields:
            raise ListError(f"Invalid value for sort_by: {sort_by}")
        order = params.get("sort_order", "DESC").upper()
        if order not in ("ASC", "DESC"):
            raise ListError(f"Invalid value for sort_order: {order}")
        return sorted(kept, key=lambda r: (r[sort_by], r["id"]), reverse=order == "DESC")


def _param_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ListError(f"Invalid date format, expected YYYY-MM-DDTHH:MM:SS: {value}") from exc


def _page(request: Request, rows: list[dict[str, Any]], params: Any, cap: int) -> dict:
    try:
        page = int(params.get("page", 1))
        per_page = int(params.get("per_page", DEFAULT_PER_PAGE))
    except ValueError as exc:
        raise ListError("page and per_page must be integers") from exc
    if per_page > cap or per_page < 1 or page < 1:
        raise ListError(f"per_page must be between 1 and {cap}")
    start = (page - 1) * per_page
    last = max(1, -(-len(rows) // per_page))
    url = str(request.base_url).rstrip("/") + request.url.path
    query = {k: v for k, v in params.items() if k not in ("page", "per_page")}

    def link(number: int) -> str:
        return f"{url}?{urlencode({**query, 'page': number, 'per_page': per_page})}"

    links = {"self": link(page), "last": link(last)}
    if page > 1:
        links["prev"] = link(page - 1)
    if page < last:
        links["next"] = link(page + 1)
    return {
        "data": rows[start : start + per_page],
        "per_page": per_page,
        "page": page,
        "total": len(rows),
        "links": links,
    }
