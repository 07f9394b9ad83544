"""The explorer's web app (Starlette): one page, and a small JSON/PNG API over a `LatentSpace`.

Every bad request is a JSON `{"error": ...}` with a 4xx status, never a traceback page.
"""

from __future__ import annotations

import math
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from keras_vae.explorer.latent_space import Decoded, LatentSpace


class BadRequest(ValueError):
    """A request parameter the API cannot use: answered with 400 and the message."""


def create_app(space: LatentSpace) -> Starlette:
    """Returns the ASGI app that serves the page and its API for `space`."""
    page = resources.files("keras_vae.explorer").joinpath("page.html").read_text("utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def info(request: Request) -> Response:
        return JSONResponse(space.info())

    async def scatter(request: Request) -> Response:
        return JSONResponse(space.scatter())

    def image(request: Request) -> Response:
        return JSONResponse(space.image(_path_int(request, "index")))

    def image_png(request: Request) -> Response:
        return _png(space.image_png(_path_int(request, "index")))

    def reconstruction(request: Request) -> Response:
        index = _path_int(request, "index")
        return _decoded(space.reconstruction_png(index, _label(request)))

    def decode(request: Request) -> Response:
        return _decoded(space.decode_png(_floats(request, "z"), _label(request)))

    def interpolate(request: Request) -> Response:
        start, end = _query_int(request, "from"), _query_int(request, "to")
        steps = _query_int(request, "steps", 10)
        return _decoded(space.interpolation_png(start, end, steps, _label(request)))

    def samples(request: Request) -> Response:
        return _decoded(
            space.samples_png(
                _query_int(request, "n", 36),
                _query_float(request, "temperature", 1.0),
                _query_int(request, "seed", 0),
                _label(request),
            )
        )

    routes = [
        Route("/", index),
        Route("/api/info", info),
        Route("/api/scatter", scatter),
        Route("/api/images/{index}", image),
        Route("/api/images/{index}/image", image_png),
        Route("/api/images/{index}/reconstruction", reconstruction),
        Route("/api/decode", decode),
        Route("/api/interpolation", interpolate),
        Route("/api/samples", samples),
    ]

    async def bad_request(request: Request, error: Exception) -> Response:
        return JSONResponse({"error": str(error)}, status_code=400)

    async def not_found(request: Request, error: Exception) -> Response:
        return JSONResponse({"error": str(error).strip("'\"")}, status_code=404)

    async def http_error(request: Request, error: HTTPException) -> Response:
        return JSONResponse({"error": error.detail}, status_code=error.status_code)

    async def server_error(request: Request, error: Exception) -> Response:
        # Whatever else went wrong, in one line; the traceback stays on the server's console.
        return JSONResponse({"error": f"{type(error).__name__}: {error}"}, status_code=500)

    return Starlette(
        routes=routes,
        exception_handlers={
            ValueError: bad_request,
            IndexError: not_found,
            HTTPException: http_error,
            Exception: server_error,
        },
    )


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


def _decoded(decoded: Decoded) -> Response:
    response = _png(decoded.png)
    # The model's time, which the page shows beside its own round trip (Server-Timing is the
    # standard header for it).
    response.headers["Server-Timing"] = f"model;dur={decoded.model_ms:.2f}"
    return response


def _path_int(request: Request, name: str) -> int:
    value = request.path_params[name]
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {value!r}.") from None


def _query_int(request: Request, name: str, default: int | None = None) -> int:
    value = request.query_params.get(name)
    if value is None:
        if default is None:
            raise BadRequest(f"Missing query parameter {name!r}.")
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {value!r}.") from None


def _query_float(request: Request, name: str, default: float) -> float:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise BadRequest(f"{name} must be finite, got {value!r}.")
    return number


def _floats(request: Request, name: str) -> list[float]:
    value = request.query_params.get(name)
    if value is None:
        raise BadRequest(f"Missing query parameter {name!r} (comma-separated numbers).")
    try:
        return [float(v) for v in value.split(",")]
    except ValueError:
        raise BadRequest(f"{name} must be comma-separated numbers, got {value!r}.") from None


def _label(request: Request) -> int | None:
    if request.query_params.get("label", "") == "":
        return None
    return _query_int(request, "label")
