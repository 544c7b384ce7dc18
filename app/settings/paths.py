"""Where the app keeps its files: platformdirs, overridable for tests and the demo.

``SEEDLY_DESK_HOME`` redirects every path below one directory (tests point it
at a temp dir so no test touches the user's real profile).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "seedly-desk"
HOME_ENV = "SEEDLY_DESK_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's directories; ``ensure()`` creates them."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        home = os.environ.get(HOME_ENV)
        if home:
            return cls.under(Path(home))
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        return cls(root / "config", root / "data", root / "cache", root / "logs")

    def ensure(self) -> AppPaths:
        """Create the app's folders, readable by the user only (they hold the cache of
        contacts and messages, the settings and the logs)."""
        for path in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
        return self

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    @property
    def cache_db(self) -> Path:
        return self.data_dir / "cache.sqlite3"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"
