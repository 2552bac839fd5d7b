"""The answer to a provider's OAuth consent form (Allow / Cancel), shared by the fakes that have one."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fakes.core.http import Request, Response, control_error


def answer_consent(request: Request, *, account_kind: str, grant: Callable[[str, str], str]) -> Response:
    """Cancel: back to `redirect_uri` with ``error=access_denied``. Allow: back with the code that
    ``grant(redirect_uri, email)`` issued, and the client's ``state`` either way. A missing redirect_uri is
    a 422; an email without "@" shows the form's error ("Enter the email of a <account_kind>")."""
    form = request.form()
    redirect_uri, state = form.get("redirect_uri") or "", form.get("state") or ""
    if not redirect_uri.startswith(("http://", "https://")):
        raise control_error(422, "redirect_uri is required")
    separator = "&" if "?" in redirect_uri else "?"
    if form.get("decision") != "allow":
        return Response.redirect(redirect_uri + separator + urlencode({"error": "access_denied", "state": state}))
    email = (form.get("email") or "").strip().lower()
    if "@" not in email:
        return Response.html(f"<h1>Enter the email of a {account_kind}</h1>", 422)
    code = grant(redirect_uri, email)
    return Response.redirect(redirect_uri + separator + urlencode({"code": code, "state": state}))
