"""GET /oauth/callback: where the source system sends the browser back after its login page.

The answer is a small page that says what happened and can be closed (the console opened it in
a new tab): 200 when the connection is authorized, 400 when the state is bad, replayed or
expired or the source refused. Everything shown is HTML-escaped, nothing redirects anywhere,
and no token, code or secret is ever on the page.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse

from models.authorization import CallbackResult, complete_authorization

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


async def oauth_callback(request: Request) -> HTMLResponse:
    params = request.query_params
    result = await complete_authorization(
        state=params.get("state"),
        code=params.get("code"),
        error=params.get("error"),
        error_description=params.get("error_description"),
    )
    return HTMLResponse(page(result), status_code=200 if result.ok else 400, headers=HEADERS)


def page(result: CallbackResult) -> str:
    title = "Connection authorized" if result.ok else "Authorization failed"
    next_step = (
        "You can close this tab and go back to the console."
        if result.ok
        else "Nothing was changed. Close this tab and try again from the console."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(result.message)}</p>
<p>{html.escape(next_step)}</p>
</body></html>
"""
