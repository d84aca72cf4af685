"""Log in or out of the dashboard."""

from __future__ import annotations

from monitoring.ui.session import login_panel

login_panel()
