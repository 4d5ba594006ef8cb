"""Where the site links to: the repository (edit links, Colab, the students' install cell) and its URL.

``repo_url`` of ``mkdocs.yml`` is the one setting; ``TP8_REPO_URL`` overrides it for a build and, on
GitHub Actions, ``GITHUB_REPOSITORY`` does, so that a fork links to itself without any edit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

DEFAULT_REPO_URL = "https://github.com/tp8-course/tp8"


@dataclass
class Repo:
    url: str  # https://github.com/owner/name
    branch: str = "main"

    @property
    def slug(self) -> str | None:
        """``owner/name`` when the repository is on github.com (Colab opens only those)."""
        match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", self.url)
        return match.group(1) if match else None

    @property
    def name(self) -> str:
        return self.slug or self.url.rstrip("/").rsplit("/", 2)[-1]

    def install_spec(self) -> str:
        return f"tp8 @ git+{self.url.rstrip('/')}"

    def colab_url(self, student_path: str) -> str | None:
        if self.slug is None:
            return None
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{student_path}"

    def blob_url(self, path: str) -> str:
        return f"{self.url.rstrip('/')}/blob/{self.branch}/{path}"

    def raw_url(self, path: str) -> str:
        """A file of the repository as it is (GitHub's raw host; ``/raw/`` elsewhere, GitLab and Gitea)."""
        if self.slug is not None:
            return f"https://raw.githubusercontent.com/{self.slug}/{self.branch}/{path}"
        return f"{self.url.rstrip('/')}/raw/{self.branch}/{path}"


def resolve_repo(configured_url: str | None, edit_uri: str | None = None, env=None) -> Repo:
    """The repository the site links to: ``TP8_REPO_URL``, else ``GITHUB_REPOSITORY`` (set by
    GitHub Actions, so that a fork links to itself), else ``repo_url`` from ``mkdocs.yml``."""
    env = os.environ if env is None else env
    url = env.get("TP8_REPO_URL", "").strip()
    if not url and env.get("GITHUB_REPOSITORY", "").strip():
        server = env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com"
        url = f"{server.rstrip('/')}/{env['GITHUB_REPOSITORY'].strip()}"
    if not url:
        url = configured_url or DEFAULT_REPO_URL
    branch = "main"
    match = re.match(r"^/?(?:edit|blob|tree)/([^/]+)/", edit_uri or "")
    if match:
        branch = match.group(1)
    return Repo(url.rstrip("/"), branch)


def site_url(repo_url: str, configured: str | None, env=None) -> str | None:
    """Where GitHub Pages publishes the site: ``TP8_SITE_URL``, else derived from the repository
    when it was set from the environment (a fork), else ``site_url`` from ``mkdocs.yml``.
    Material's instant loading needs it (it reads the sitemap)."""
    env = os.environ if env is None else env
    explicit = env.get("TP8_SITE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/") + "/"
    from_env = env.get("TP8_REPO_URL", "").strip() or env.get("GITHUB_REPOSITORY", "").strip()
    match = re.match(r"^https://github\.com/([^/]+)/([^/]+?)/?$", repo_url)
    if from_env and match:
        owner, name = match.groups()
        if name.lower() == f"{owner.lower()}.github.io":
            return f"https://{owner.lower()}.github.io/"
        return f"https://{owner.lower()}.github.io/{name}/"
    return configured
