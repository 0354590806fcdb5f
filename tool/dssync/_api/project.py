"""A project's configuration, lock and upstreams, read once per run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from dssync.errors import NO_CONFIG, ConfigError

if TYPE_CHECKING:
    from dssync._source.chain import SourceChain, Upstream
    from dssync._source.interface import SourceContext
    from dssync.cache import Cache
    from dssync.config import Config
    from dssync.lock import Lock


@dataclass(frozen=True)
class UpstreamOptions:
    """How to reach upstream, beyond (or instead of) what the configuration says."""

    sources: tuple[str, ...] = ()
    """``github:OWNER/REPO``, ``pypi:PACKAGE`` or ``git:PATH_OR_URL`` in the order to try;
    empty: the configured sources."""
    index_url: str | None = None
    download_timeout: float | None = None
    """Seconds one download may take in all; None: the configuration's, else 300."""
    prereleases: bool = False
    """Consider pre- and development releases too (PEP 440 leaves them out)."""
    offline: bool = False
    """Use only what is in the cache."""
    cache_dir: Path | None = None
    """None: the platform's user cache (or ``DSSYNC_CACHE_DIR``)."""
    use_cache: bool = True
    verbose: bool = False
    """Log each upstream request to stderr (secrets redacted)."""


class Project:
    """A project's configuration, lock and upstreams, read once and shared by every question
    asked in one run."""

    def __init__(self, config: Config | None, options: UpstreamOptions | None = None) -> None:
        from dssync._source.chain import Upstream

        self.config = config
        self.options = options or UpstreamOptions()
        views = config.views() if config is not None else (None,)
        # One per configured upstream, in the configuration's order.
        self.upstreams: list[Upstream] = [Upstream(
            given=self.options.sources, config=view, index_url=self.options.index_url,
            download_timeout=self.options.download_timeout,
            prereleases=self.options.prereleases) for view in views]
        self._cache: Cache | None = None
        self._lock: Lock | None = None
        self._whole_project: Project | None = None
        """The project this one narrows: its cache and lock are the ones every upstream of a
        run uses, and its configuration (every upstream's) names the entries of an old lock."""

    @property
    def several(self) -> bool:
        """Whether this project follows more than one upstream."""
        return len(self.upstreams) > 1

    def only(self, name: str) -> Project:
        """The same project narrowed to the upstream called ``name`` (sharing cache and lock)."""
        config = self.require_config(hint="--upstream NAME names a configured upstream; add a "
                                          "configuration, or pass --config PATH")
        view = config.upstream_named(name)
        narrowed = Project(view, self.options)
        narrowed._whole_project = self._whole_project or self
        return narrowed

    def each(self) -> list[Project]:
        """One project per upstream, in order (just this one when it follows one)."""
        if not self.several:
            return [self]
        assert self.config is not None
        views = self.config.views()
        if self.options.sources:
            raise ConfigError("--source with several upstreams configured needs --upstream NAME",
                              hint="name the upstream the sources replace: "
                                   + ", ".join(f"--upstream {v.name}" for v in views))
        return [self.only(view.name) for view in views]

    def one_for(self, files: Sequence[str], command: str) -> Project:
        """The one upstream ``command`` reads: the only one, or the one that all ``files``
        come from; with several and no files, an error asking for ``--upstream``."""
        if not self.several:
            return self
        groups = self.split(files) if files else []
        if len(groups) == 1:
            return groups[0][0]
        assert self.config is not None
        names = ", ".join(v.name for v in self.config.views())
        why = "the files named come from several" if files else "several are configured"
        raise ConfigError(f"{command} reads one upstream's releases, and {why} ({names})",
                          hint="add --upstream NAME")

    def split(self, files: Sequence[str]) -> list[tuple[Project, tuple[str, ...]]]:
        """The upstreams to work on for the vendored ``files`` (all when none is named), each
        with the files of its own; an unconfigured file is an error naming it."""
        if not self.several or not files:
            return [(p, tuple(files)) for p in self.each()]
        assert self.config is not None
        mine: dict[str, list[str]] = {}
        for f in files:
            owner = self.config.upstream_of(f)
            if owner is None:
                raise self.config.not_mine(f)
            mine.setdefault(owner.name, []).append(f)
        return [(p, tuple(mine[p.upstream.name])) for p in self.each()
                if p.upstream.name in mine]

    def check_tag(self, tag: str | None, command: str) -> None:
        """An explicit tag names one upstream's release: with several, ``--upstream`` says
        which (``latest`` is each one's latest)."""
        if self.several and tag is not None and tag != "latest":
            assert self.config is not None
            names = ", ".join(v.name for v in self.config.views())
            raise ConfigError(f"{command} --tag {tag}: several upstreams are configured ({names})",
                              hint="add --upstream NAME for the one the tag belongs to, or use "
                                   "--tag latest for each one's latest")

    @classmethod
    def load(cls, config: str | Path | None = None, *, start: str | Path | None = None,
             options: UpstreamOptions | None = None) -> Project:
        """The project configured in ``config`` (a file, or a directory holding one), or the one
        found from ``start`` (default: the current directory) upward; a project without
        configuration when there is none to find."""
        from dssync.config import load_config

        found = load_config(Path(config) if config else None,
                            start=Path(start) if start is not None else Path.cwd())
        return cls(found, options)

    @property
    def upstream(self) -> Upstream:
        return self.upstreams[0]

    @property
    def root(self) -> Path:
        """Where relative paths start: the configuration's directory, else the current one."""
        return self.config.root if self.config is not None else Path.cwd()

    @property
    def cache(self) -> Cache:
        """The cache of this run, shared by every upstream's project (made on first use)."""
        if self._whole_project is not None:
            return self._whole_project.cache
        if self._cache is None:
            import os

            from dssync.cache import Cache, check_cache_root, default_cache_root

            opts = self.options
            if not opts.use_cache:
                self._cache = Cache(None)
            else:
                root = Path(opts.cache_dir) if opts.cache_dir else default_cache_root()
                check_cache_root(root, chosen=bool(opts.cache_dir
                                                   or os.environ.get("DSSYNC_CACHE_DIR")))
                self._cache = Cache(root)
        return self._cache

    def require_config(self, hint: str, message: str = NO_CONFIG) -> Config:
        """The configuration; without one, an error saying ``message`` and ``hint``."""
        if self.config is None:
            raise ConfigError(message, hint=hint)
        return self.config

    def lock(self) -> Lock:
        """The lock file (read once a run, for every upstream); an error without a
        configuration."""
        if self._whole_project is not None:
            return self._whole_project.lock()
        if self._lock is None:
            from dssync.lock import read_lock

            config = self.require_config(hint="add one, or pass --config PATH")
            self._lock = read_lock(config.resolve(config.lock), self.name_of)
        return self._lock

    def lock_written(self, lock: Lock | None = None) -> None:
        """The lock file was written: ``lock`` is what it holds now, or (None) it is read again
        when next asked for; for every upstream of the run."""
        (self._whole_project or self)._lock = lock

    def name_of(self, vendored: str) -> str | None:
        """The upstream whose file ``vendored`` is, in the whole configuration: it names the
        entries of an old lock (``dssync.lock/1``), whichever upstream this project is."""
        whole = (self._whole_project or self).config
        return whole.name_of(vendored) if whole is not None else None

    def context(self, upstream: Upstream | None = None) -> SourceContext:
        import dssync._source.chain as chain

        return chain.make_context(upstream or self.upstream, self.cache,
                                  offline=self.options.offline, verbose=self.options.verbose)

    def chain(self, upstream: Upstream | None = None) -> SourceChain:
        """The sources of ``upstream`` (default: the first) in order; close it when done."""
        from dssync._source.chain import make_chain

        upstream = upstream or self.upstream
        return make_chain(upstream, self.context(upstream))

    def resolve_tag(self, tag: str | None, chain: SourceChain, command: str) -> str:
        """``tag``, or the highest release for ``latest``."""
        from dssync._source.chain import resolve_tag

        return resolve_tag(tag, chain, prereleases=self.upstream.wants_prereleases,
                           command=command)
