"""Walking the URL resolver and the OpenAPI schema; filling routes from the fixture bank."""

import re

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Routes the walk leaves to others: the Django admin (staff logins, its own permissions) and
# the API's own documentation (the OpenAPI schema and the docs page).
SKIPPED_NAMESPACES = ("admin",)
SKIPPED_NAMES = ("api:openapi-json", "api:openapi-view")


def page_routes() -> dict[str, str]:
    """Route name → pattern, for every named URL outside the API and the admin."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                if ns and ns.split(":")[0] in (*SKIPPED_NAMESPACES, "api"):
                    continue
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace else (p.name or "")
                found.setdefault(name or prefix + str(p.pattern), prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "/", None)
    return found


def api_routes() -> dict[str, dict]:
    """ "METHOD /api/path" → the OpenAPI operation, for every operation of the one NinjaAPI."""
    from config.api import api

    schema = api.get_openapi_schema()
    out = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            out[f"{method.upper()} {path}"] = operation
    return out


def _value(bank, key: str):
    if key.startswith("="):
        return key[1:]
    return bank.ids.get(key)


def page_url(bank, name: str, route) -> str | None:
    """The route's URL, its arguments filled from the bank; None when the bank lacks one."""
    kwargs = {}
    for arg, key in route.args.items():
        value = _value(bank, key)
        if value is None:
            return None
        kwargs[arg] = value
    return reverse(name, kwargs=kwargs)


def api_url(bank, key: str, route) -> str | None:
    path = key.split(" ", 1)[1]
    missing = False

    def fill(match):
        nonlocal missing
        arg = match.group(1)
        value = _value(bank, route.args.get(arg, ""))
        if value is None:
            missing = True
            return ""
        return str(value)

    url = re.sub(r"\{(\w+)\}", fill, path)
    return None if missing else url


def owners(bank, route) -> list[dict]:
    return [bank.owner[key] for key in route.args.values() if key in bank.owner]


def resolve_body(bank, body: dict | None) -> dict | None:
    """The route's body (form data, query or JSON) with "@key" values taken from the bank."""
    if body is None:
        return None
    out = {}
    for name, value in body.items():
        if isinstance(value, str) and value.startswith("@"):
            value = bank.ids.get(value[1:])
        out[name] = value
    return out
