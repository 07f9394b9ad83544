"""`keras-vae explore`: a trained VAE's latent space in the browser.

`latent_space.py` computes what the page shows (no web code), `app.py` serves it (Starlette),
`server.py` runs the app (Uvicorn), `page.html` is the page. The web stack is the `explore`
extra; `check_installed` says what to install without it.
"""

from __future__ import annotations

import importlib.util


def check_installed() -> None:
    """Raises ImportError, in one line saying what to install, without the web stack."""
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(
            f"keras-vae explore needs {' and '.join(missing)}: pip install 'keras-vae[explore]'"
        )
