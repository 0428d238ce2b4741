"""The request class: uploads stay in memory, never in a plaintext temporary file."""

from __future__ import annotations

import io
from typing import IO

from flask import Request


class InMemoryUploadRequest(Request):
    """Werkzeug spools uploads over 500 KB to a temporary file on disk, where an unencrypted
    court verdict or passport scan would linger. The size limit (EVIDENCE_MAX_BYTES, checked
    before the body is read) bounds what memory this costs."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()
