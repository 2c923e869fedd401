"""Benchmarks for the decline service: `make bench` (or `uv run python -m bench`).

Every figure is printed beside a baseline measured in the same run on the same machine;
nothing here asserts a time. SMTP traffic goes to an aiosmtpd sink in its own process
(`bench.sink`), so client and server never share one event loop.
"""

import warnings

# fastapi.testclient still imports httpx the old way; the warning says nothing about us.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
