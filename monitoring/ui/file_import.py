"""File import panel for the settings page: upload, column mapping, progress, rejected rows.

The page calls :func:`file_import_panel` with the process's Monitor and the translator;
the import itself is :func:`monitoring.sources.file.import_file` (the same as the CLI's
``import`` command).  The cursor key is derived from the file's content, so importing the
same file again resumes it instead of duplicating it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from monitoring.sources.base import SourceError
from monitoring.sources.file import FileSource, ImportReport, import_file
from monitoring.sources.replay import parse_mapping

if TYPE_CHECKING:
    from monitoring.i18n import Translator
    from monitoring.monitor import Monitor

#: Largest file accepted from the browser (bytes).
MAX_UPLOAD_BYTES = 200_000_000


def file_import_panel(monitor: Monitor, tr: Translator) -> ImportReport | None:
    """Render the import form; run the import when asked. Returns its report, if any."""
    st.subheader(tr("source.import.title"))
    upload = st.file_uploader(tr("source.import.file"), type=["csv", "jsonl", "ndjson"])
    streams = {s.id: s.name for s in monitor.settings.streams}
    stream = st.selectbox(tr("source.import.stream"), list(streams), format_func=streams.get)
    mapping = st.text_input(tr("source.import.mapping"), placeholder="text=nota,ts=data")
    c1, c2 = st.columns(2)
    delimiter = c1.text_input(tr("source.import.delimiter"), value=",", max_chars=1)
    ts_format = c2.text_input(tr("source.import.ts_format"), placeholder="%d/%m/%Y %H:%M")
    if not st.button(tr("source.import.start"), disabled=upload is None) or upload is None:
        return None
    data = upload.getvalue()
    if len(data) > MAX_UPLOAD_BYTES:
        st.error(tr("source.import.too_large", limit=MAX_UPLOAD_BYTES // 1_000_000))
        return None
    try:
        columns = parse_mapping(mapping or None)
    except ValueError as exc:
        st.error(str(exc))
        return None
    suffix = Path(upload.name).suffix.lower() or ".csv"
    name = f"import-{hashlib.sha256(data).hexdigest()[:12]}"
    bar = st.progress(0.0, text=tr("source.import.progress", done=0, total="…"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        source = FileSource(name, path, stream, columns, delimiter=delimiter or ",",
                            ts_format=ts_format or None)
        try:
            report = import_file(monitor, source, progress=lambda done, total: bar.progress(
                done / max(total, 1), text=tr("source.import.progress", done=done, total=total)))
        except SourceError as exc:
            st.error(str(exc))
            return None
    st.success(tr("source.import.done", rows=report.rows, inserted=report.inserted,
                  duplicates=report.duplicates, rejected=len(report.rejected)))
    if report.rejected:
        st.caption(tr("source.import.rejected"))
        st.dataframe(pd.DataFrame(report.rejected, columns=["reason", "row"]), hide_index=True)
    return report
